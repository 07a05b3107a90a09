// The straw neighbourhood: the firearms $keys with their recoveries, retail sale and lost/stolen reports, in one
// read (straw_firearms, straw_recovered, straw_sold and straw_stolen each found the firearm by key again: ~40 %
// of their engine time at national scale). A firearm with two recoveries or reports gives a row per combination;
// algorithms/straw_neighbourhood.py splits the rows into those four tables.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
OPTIONAL MATCH (f)-[:RECOVERED_IN]->(r:Recovery)
OPTIONAL MATCH (d:Dealer)-[s:SOLD]->(f)
OPTIONAL MATCH (f)-[:REPORTED_STOLEN]->(t:TheftReport)
RETURN f.firearm_key AS key, f.manufacturer_normalized AS manufacturer_normalized, f.model AS model,
       f.caliber AS caliber, f.weapon_type AS weapon_type, f.obliterated AS obliterated,
       f.serial_normalized AS serial_normalized, r.trace_id AS trace_id, d.dealer_key AS dealer_key,
       s.sale_date AS sale_date, t.report_id AS report_id, t.reported_date AS reported_date
