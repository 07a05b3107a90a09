// Every place with a point: what the corridor models take their coordinates (and a city's state) from
// (algorithms/trace_rows.points). A scan of the ~49k national places with four properties (~0.02 CPU s) where
// reading the corridor cells' ~26k places by key cost ~0.13-0.24 CPU s, most of it binding the key list.
MATCH (l:Location)
WHERE l.lat IS NOT NULL AND l.lon IS NOT NULL
RETURN l.location_key AS key, l.state AS state, l.lat AS lat, l.lon AS lon
