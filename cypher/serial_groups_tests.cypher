// The serial-batch scores' Bonferroni count: the serial groups holding a run (algorithms/serial_groups.py).
MATCH (g:SerialGroup)
WHERE g.runs > 0
RETURN count(g) AS tests
