// Persons without a stored normalised address key (Person.address_key; a store written before it existed): the
// migration computes theirs.
MATCH (p:Person)
WHERE p.address_key IS NULL
RETURN p.person_key AS person_key, p.street AS street, p.city AS city, p.state AS state, p.zip AS zip
