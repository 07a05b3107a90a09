// The stored cells an incremental analysis adds new traces to (their time-to-crime histograms), by key.
UNWIND $cell_ids AS id
MATCH (c:CorridorCell {cell_id: id})
RETURN c.cell_id AS cell_id, c.ttc_days AS ttc_days
