// Remove purged identities whole: the node with its properties and scores, addresses, network memberships and
// partner references (nothing else keeps them; algorithms/retention.py decides).
MATCH (p:Person)
WHERE p.person_key IN $keys
DETACH DELETE p
