// The stored persons a batch's mentions can meet, read by the block properties: what a load does on a store
// whose persons are not all linked to their PersonBlock yet (before `tracegraph init`; persons_by_blocks
// otherwise). Those sharing a surname|DOB block ($dob_blocks) or a surname|street block ($street_blocks),
// those keyed by one of the mentions' content keys ($person_keys); persons_unblocked_by_surname adds those of
// a store older than the blocks.
UNWIND $dob_blocks AS block
MATCH (p:Person {block_dob: block})
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip, p.record_count AS record_count
UNION
UNWIND $street_blocks AS block
MATCH (p:Person {block_street: block})
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip, p.record_count AS record_count
UNION
UNWIND $person_keys AS key
MATCH (p:Person {person_key: key})
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name,
       p.middle_name AS middle_name, p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city,
       p.state AS state, p.zip AS zip, p.record_count AS record_count
