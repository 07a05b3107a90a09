// The Location rows of $keys (the places of the corridor cells: the corridor models' coordinates; a load's
// cities: the display names the store keeps, loaders/geo.py).
UNWIND $keys AS k
MATCH (l:Location {location_key: k})
RETURN l.location_key AS key, l.kind AS kind, l.name AS name, l.state AS state, l.country AS country,
       l.lat AS lat, l.lon AS lon
