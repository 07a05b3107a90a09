// The straw neighbourhood: how many groups are stored as too big to tie (algorithms/straw_groups.py), to choose
// between reading them whole (straw_groups_all) and by key (straw_groups_get).
MATCH (g:StrawGroup)
RETURN count(g) AS groups
