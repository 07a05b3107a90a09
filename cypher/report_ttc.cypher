// Time-to-crime of every traced recovery with the selling dealer's state and the recovery place.
MATCH (d:Dealer)-[:SOLD]->(:Firearm)-[:RECOVERED_IN]->(r:Recovery)
WHERE r.time_to_crime_days IS NOT NULL AND r.recovery_date IS NOT NULL
RETURN d.premise_state AS source_state, r.recovery_state AS destination_state,
       r.recovery_country AS destination_country, r.recovery_date AS recovery_date,
       r.time_to_crime_days AS ttc_days
