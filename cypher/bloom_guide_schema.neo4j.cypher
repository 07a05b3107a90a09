// Browser guide, slide "The model": the schema as the database sees it.
CALL db.schema.visualization()
