// Bloom search phrase "guns from dealer $license recovered within a year": firearms the dealer sold that were
// recovered in crime within 365 days of the purchase (time_to_crime_days is computed at load). $license is the
// full license number or the stable REGN-DIST-SEQN dealer key.
MATCH (d:Dealer)
WHERE d.license_number = $license OR d.dealer_key = $license
MATCH chain = (d)-[:SOLD]->(:Firearm)-[:RECOVERED_IN]->(r:Recovery)
WHERE r.time_to_crime_days IS NOT NULL AND r.time_to_crime_days <= 365
RETURN chain
LIMIT 1000
