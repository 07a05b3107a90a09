// Forget the corridor cells of the previous analysis before a full analysis writes them all again.
MATCH (c:CorridorCell)
DELETE c
