// The serials of the recovered guns of the given serial groups (algorithms/serial_groups.py): each group by its key,
// its members through IN_GROUP (a filter on Firearm.serial_group scans every firearm). Only the key and serial: the
// chains of close serials are found from these, and the rest of a gun is read for the chains a new gun is in.
UNWIND $groups AS g
MATCH (s:SerialGroup {group_key: g})
OPTIONAL MATCH (s)<-[:IN_GROUP]-(f:Firearm)
WITH s.group_key AS serial_group, f.firearm_key AS key, f.serial_normalized AS serial_normalized
WHERE key IS NOT NULL
RETURN key, serial_normalized, serial_group
