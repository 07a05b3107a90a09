// Warming (algorithms/warm_up.py): the network memberships the network joins read by person
// (networks_of_persons). Only the pages matter.
MATCH (p:Person)-[:MEMBER_OF]->(n:Network)
RETURN count(p.person_key) AS members, max(n.network_id) AS network
