// The recovered guns of the given serial groups whose numbers are among the given ones (algorithms/serial_groups.py:
// the members of the chains a new gun is in; the caller keeps each group's own numbers): serial, make, model, group
// and number. Each group by its key (a range per group, w.low <= r.number <= w.high over UNWIND'd maps, was planned
// as a join over every IN_GROUP link and cost ~0.8-1.4 CPU s at national scale; this ~0.3).
UNWIND $groups AS g
MATCH (s:SerialGroup {group_key: g})<-[r:IN_GROUP]-(f:Firearm)
WHERE r.number IN $numbers
RETURN f.firearm_key AS key, f.serial_normalized AS serial_normalized,
       f.manufacturer_normalized AS manufacturer_normalized, f.model AS model, s.group_key AS serial_group,
       r.number AS number
