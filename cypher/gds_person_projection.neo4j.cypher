// The person projection in Graph Data Science's catalog (algorithms/gds.py): tracegraph's weighted person-person
// ties over the stored Person nodes, undirected; `length` (1 / weight) is what betweenness takes as distance.
UNWIND $ties AS tie
MATCH (a:Person {person_key: tie.a})
MATCH (b:Person {person_key: tie.b})
RETURN gds.graph.project($graph_name, a, b,
                         {relationshipProperties: {weight: tie.weight, length: tie.length}},
                         {undirectedRelationshipTypes: ['*']})
