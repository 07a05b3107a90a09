// Forget every stored big straw group before a full analysis writes them again (algorithms/straw_groups.py).
MATCH (g:StrawGroup)
DETACH DELETE g
