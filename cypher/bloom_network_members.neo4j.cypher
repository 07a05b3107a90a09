// Bloom search phrase "network $network_id": one detected network, its members and their purchases.
MATCH members = (:Person)-[:MEMBER_OF]->(n:Network {network_id: $network_id})
OPTIONAL MATCH purchases = (:Network {network_id: $network_id})<-[:MEMBER_OF]-(:Person)-[:PURCHASED]->(:Firearm)
RETURN n, members, purchases
LIMIT 1000
