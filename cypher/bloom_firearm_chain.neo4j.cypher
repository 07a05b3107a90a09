// Bloom search phrase "firearm $serial chain": the whole chain of a gun found by serial (as recorded, or
// normalised as the loaders do: upper case without separators) or firearm_key: dealer, purchaser, recoveries,
// possessors and NIBIN-linked recoveries.
MATCH (f:Firearm)
WHERE f.serial_normalized = replace(replace(replace(replace(toUpper(trim($serial)), '-', ''), ' ', ''), '.', ''), '/', '')
   OR f.serial_number = $serial OR f.firearm_key = $serial
OPTIONAL MATCH sold = (:Dealer)-[:SOLD]->(f)
OPTIONAL MATCH bought = (:Person)-[:PURCHASED]->(f)
OPTIONAL MATCH recovered = (f)-[:RECOVERED_IN]->(r:Recovery)
OPTIONAL MATCH possessed = (r)-[:POSSESSED_BY]->(:Person)
OPTIONAL MATCH nibin = (r)-[:NIBIN_LINK]-(:Recovery)
RETURN f, sold, bought, recovered, possessed, nibin
LIMIT 500
