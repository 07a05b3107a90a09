// Forget the serial batches of the previous analysis run before writing the new ones.
MATCH (f:Firearm)
WHERE f.batch_id IS NOT NULL
SET f.batch_id = NULL
