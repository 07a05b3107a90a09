// Browser guide, slide "The model": nodes per label (one label per node in tracegraph).
MATCH (n)
RETURN labels(n)[0] AS label, count(*) AS nodes
ORDER BY nodes DESC
