// Does the Firearm an evidence item documents exist? (one row or none)
MATCH (f:Firearm {firearm_key: $key})
RETURN f.firearm_key AS key
