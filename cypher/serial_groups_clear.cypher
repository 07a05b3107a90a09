// Forget every serial group before a full analysis writes them again (algorithms/serial_groups.py).
MATCH (g:SerialGroup)
DETACH DELETE g
