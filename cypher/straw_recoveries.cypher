// The straw neighbourhood: the Recovery rows of $keys, as load_tables reads them.
UNWIND $keys AS k
MATCH (r:Recovery {trace_id: k})
RETURN r.trace_id AS key, r.recovery_date AS recovery_date, r.recovery_state AS recovery_state,
       r.recovery_city AS recovery_city, r.recovery_country AS recovery_country, r.lat AS lat, r.lon AS lon,
       r.time_to_crime_days AS time_to_crime_days, r.crime_code AS crime_code, r.purchase_date AS purchase_date,
       r.trace_status AS trace_status, r.multiple_sale_report_id AS multiple_sale_report_id
