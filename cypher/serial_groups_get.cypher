// The stored serial groups by key: size and runs (algorithms/serial_groups.py).
UNWIND $keys AS key
MATCH (g:SerialGroup {group_key: key})
RETURN g.group_key AS group_key, g.size AS size, g.runs AS runs
