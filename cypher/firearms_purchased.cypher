// Every firearm with a purchase record (the straw lookup keys' migration, loaders/straw_keys.py).
MATCH (:Person)-[:PURCHASED]->(f:Firearm)
RETURN DISTINCT f.firearm_key AS key
