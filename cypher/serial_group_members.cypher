// The recovered guns of one serial group whose numbers are among the given ones (algorithms/serial_groups.py: the
// members of the chains a new gun is in; the caller keeps the group's own numbers): serial, make, model, group and
// number. One statement per group with its own numbers: one over every touched group with all their numbers checked
// each group's links against the whole list (national batch 1: 84 groups, 201k links, 378 numbers: 0.47 CPU s,
// against 0.05 per group); a range per group over UNWIND'd maps was planned as a join over every IN_GROUP link
// (~0.8-1.4 CPU s).
MATCH (s:SerialGroup {group_key: $group_key})<-[r:IN_GROUP]-(f:Firearm)
WHERE r.number IN $numbers
RETURN f.firearm_key AS key, f.serial_normalized AS serial_normalized,
       f.manufacturer_normalized AS manufacturer_normalized, f.model AS model, s.group_key AS serial_group,
       r.number AS number
