// How many persons are members (MEMBER_OF) of each of the networks $keys that exist.
UNWIND $keys AS k
MATCH (n:Network {network_id: k})
OPTIONAL MATCH (p:Person)-[:MEMBER_OF]->(n)
RETURN n.network_id AS network_id, count(p) AS members
