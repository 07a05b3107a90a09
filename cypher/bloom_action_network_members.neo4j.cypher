// Bloom scene action "Show network members" on selected Person or Network nodes: every member of their networks.
MATCH (p:Person)-[:MEMBER_OF]->(n:Network)
WHERE elementId(p) IN $nodes OR elementId(n) IN $nodes
WITH DISTINCT n
MATCH members = (n)<-[:MEMBER_OF]-(:Person)
RETURN members
