// The straw neighbourhood: the persons at the normalised addresses $keys (Person.address_key).
UNWIND $keys AS k
MATCH (p:Person)
WHERE p.address_key = k
RETURN k AS address_key, p.person_key AS person_key
