// The recovered guns of the given serial groups, with what the batch detection reads (algorithms/serial_groups.py).
MATCH (f:Firearm)
WHERE f.serial_group IN $groups
RETURN f.firearm_key AS key, f.serial_normalized AS serial_normalized,
       f.manufacturer_normalized AS manufacturer_normalized, f.model AS model, f.serial_group AS serial_group,
       f.batch_id AS batch_id
