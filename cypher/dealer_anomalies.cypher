// Dealers ranked by anomaly score (written back by `tracegraph analyze`).
MATCH (d:Dealer)
WHERE d.anomaly_score IS NOT NULL
RETURN d.dealer_key AS dealer_key, d.license_number AS license_number, d.business_name AS business_name,
       d.license_name AS license_name, d.premise_state AS state, d.trace_count AS traces,
       d.expected_traces AS expected, d.anomaly_score AS score, d.anomaly_indicators AS indicators,
       d.short_ttc_share AS short_ttc_share, d.multiple_sale_share AS multiple_sale_share,
       d.obliterated_share AS obliterated_share
ORDER BY score DESC, dealer_key
LIMIT $limit
