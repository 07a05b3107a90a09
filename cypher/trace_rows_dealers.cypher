// The Dealer rows of $keys (the dealers that sold the new traces' guns): what the corridor cells and the alerts'
// recovery rows read of them (algorithms/trace_rows.py).
UNWIND $keys AS k
MATCH (d:Dealer {dealer_key: k})
RETURN d.dealer_key AS key, d.license_number AS license_number, d.business_name AS business_name,
       d.premise_state AS premise_state, d.premise_city AS premise_city, d.lat AS lat, d.lon AS lon
