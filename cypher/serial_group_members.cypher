// The recovered guns of the given serial groups, with what the batch detection reads (algorithms/serial_groups.py):
// each group by its key, its members through IN_GROUP (a filter on Firearm.serial_group scans every firearm).
UNWIND $groups AS g
MATCH (s:SerialGroup {group_key: g})
OPTIONAL MATCH (s)<-[:IN_GROUP]-(f:Firearm)
WITH DISTINCT f.firearm_key AS key, f.serial_normalized AS serial_normalized,
     f.manufacturer_normalized AS manufacturer_normalized, f.model AS model, f.serial_group AS serial_group,
     f.batch_id AS batch_id
WHERE key IS NOT NULL
RETURN key, serial_normalized, manufacturer_normalized, model, serial_group, batch_id
