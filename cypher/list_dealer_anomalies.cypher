// Every dealer with an anomaly score and what the anomaly list shows.
// Ordered and ranked in one place, api/services/ranking.py (score descending, dealer_key ascending).
MATCH (d:Dealer)
WHERE d.anomaly_score IS NOT NULL
RETURN d.dealer_key AS dealer_key, d.license_number AS license_number, d.business_name AS business_name,
       d.license_name AS license_name, d.premise_state AS premise_state, d.trace_count AS trace_count,
       d.expected_traces AS expected_traces, d.anomaly_score AS anomaly_score,
       d.anomaly_indicators AS anomaly_indicators, d.short_ttc_share AS short_ttc_share,
       d.multiple_sale_share AS multiple_sale_share, d.obliterated_share AS obliterated_share
