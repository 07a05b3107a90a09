// What the alert rules can see in this store (algorithms/alerts.coverage): trace rows, persons, lost/stolen reports.
OPTIONAL MATCH (r:Recovery)
WITH count(r) AS recoveries
OPTIONAL MATCH (p:Person)
WITH recoveries, count(p) AS persons
OPTIONAL MATCH (t:TheftReport)
RETURN recoveries, persons, count(t) AS theft_reports
