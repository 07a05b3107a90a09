// Clear the serial batch of the given firearms (guns an incremental analysis found to have left their batch).
UNWIND $keys AS key
MATCH (f:Firearm {firearm_key: key})
SET f.batch_id = NULL
