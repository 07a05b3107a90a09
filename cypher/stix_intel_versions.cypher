// Intel already held (id and modified), for de-duplicating imports by id + modified.
MATCH (i:Intel)
RETURN i.intel_id AS intel_id, i.modified AS modified
