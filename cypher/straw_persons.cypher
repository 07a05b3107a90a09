// The straw neighbourhood (algorithms/straw_neighbourhood.py): the Person rows of $keys, as load_tables reads them.
UNWIND $keys AS k
MATCH (p:Person {person_key: k})
RETURN p.person_key AS key, p.last_name AS last_name, p.first_name AS first_name, p.middle_name AS middle_name,
       p.suffix AS suffix, p.dob AS dob, p.street AS street, p.city AS city, p.state AS state, p.zip AS zip,
       p.record_count AS record_count, p.purged AS purged, p.address_key AS address_key
