// The straw neighbourhood: every group stored as too big to tie (algorithms/straw_groups.py), read whole when the
// table holds fewer rows than the groups a step asks about (straw_groups_get reads them by key otherwise).
MATCH (g:StrawGroup)
RETURN g.group_id AS group_id, g.straw_members AS straw_members
