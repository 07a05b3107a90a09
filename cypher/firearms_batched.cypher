// Firearms in a serial batch (Firearm.batch_id), as the last analysis wrote them.
MATCH (f:Firearm)
WHERE f.batch_id IS NOT NULL
RETURN f.firearm_key AS key, f.batch_id AS batch_id
