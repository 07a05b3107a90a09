// Persons whose last name is $last (compared upper case, as the API's snapshot index does), for the name search.
MATCH (p:Person)
WHERE upper(p.last_name) = $last
RETURN p.person_key AS person_key, p.last_name AS last_name, p.first_name AS first_name, p.state AS state
