// The straw neighbourhood: the purchasers whose guns were recovered from the possessors $keys (a common
// possessor's group).
UNWIND $keys AS k
MATCH (x:Person {person_key: k})
OPTIONAL MATCH (p:Person)-[:PURCHASED]->(f:Firearm)-[:RECOVERED_IN]->(r:Recovery)-[:POSSESSED_BY]->(x)
WITH x.person_key AS possessor, p.person_key AS person_key WHERE person_key IS NOT NULL
RETURN DISTINCT possessor, person_key
