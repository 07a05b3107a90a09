// Warming (algorithms/warm_up.py): the stored big straw groups the neighbourhood reads by key (straw_groups_get).
// Only the pages matter.
MATCH (g:StrawGroup)
RETURN max(g.group_id) AS group_id, sum(g.straw_members) AS members
