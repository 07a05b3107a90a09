// The straw neighbourhood: which of the groups $keys are stored as too big to tie (algorithms/straw_groups.py).
UNWIND $keys AS k
MATCH (g:StrawGroup {group_id: k})
RETURN g.group_id AS group_id, g.straw_members AS straw_members
