// Bloom scene action "Traced guns of this dealer" on selected Dealer nodes: sold firearms later recovered.
MATCH (d:Dealer)
WHERE elementId(d) IN $nodes
MATCH traced = (d)-[:SOLD]->(:Firearm)-[:RECOVERED_IN]->(:Recovery)
RETURN traced
LIMIT 1000
