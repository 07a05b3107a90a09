// The network each of the persons $keys is a member of (MEMBER_OF), if any: an incremental analysis reads the
// memberships of the persons its new ties touch, not every membership.
UNWIND $keys AS k
MATCH (p:Person {person_key: k})
OPTIONAL MATCH (p)-[:MEMBER_OF]->(n:Network)
WITH p.person_key AS person_key, n.network_id AS network_id WHERE network_id IS NOT NULL
RETURN person_key, network_id
