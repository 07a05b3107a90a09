// The numbers of the recovered guns of the given serial groups (algorithms/serial_groups.py): each group by its key,
// its members' numbers from their IN_GROUP links. No gun is read (reading each member's key and serial at its place
// in the Firearm table cost ~0.8 CPU s for a national day's ~310k members; the links' numbers ~0.1 s): the chains of
// close serials are cut from these, and the guns are read for the chains a new gun is in (serial_group_window).
UNWIND $groups AS g
MATCH (s:SerialGroup {group_key: g})<-[r:IN_GROUP]-(:Firearm)
RETURN s.group_key AS serial_group, r.number AS number
