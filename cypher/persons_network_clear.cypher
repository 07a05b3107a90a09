// Person.network_id is a copy of MEMBER_OF for Bloom's styling (readers use MEMBER_OF): after the networks of an
// analysis run are written, clear the copy on persons that are no longer in any network.
MATCH (p:Person)
WHERE p.network_id IS NOT NULL AND NOT EXISTS { MATCH (p)-[:MEMBER_OF]->(:Network) }
SET p.network_id = NULL
