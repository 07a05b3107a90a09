// The stored persons a batch's mentions can meet in identity resolution (loaders/identity.py StoredLookup): those
// in one of the mentions' blocks ($blocks: PersonBlock keys, loaders/entities.py block_keys) and those keyed by
// one of their content keys ($person_keys). Each block is found by its key (the primary-key index) and its
// persons through IN_BLOCK, so the read grows with the batch, not with the stored persons (the block
// properties, persons_by_block_properties, are scanned whole by the embedded engine: 4.4 CPU s at 1M traces).
// Only the columns identity resolution reads (loaders/identity.prepare_known): a day's ~5,800 persons lie all
// over Person's pages, so each column more is most of a column's pages read and decompressed in a fresh process.
UNWIND $blocks AS block
MATCH (b:PersonBlock {block_key: block})
OPTIONAL MATCH (b)<-[:IN_BLOCK]-(p:Person)
WITH DISTINCT p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
     p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
     p.state AS state, p.zip AS zip, p.record_count AS record_count
WHERE person_key IS NOT NULL
RETURN person_key, last_name, first_name, middle_name, suffix, dob, street, city, state, zip, record_count
UNION
UNWIND $person_keys AS key
MATCH (p:Person {person_key: key})
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip, p.record_count AS record_count
