// Each given firearm's stored share of its dealers' counts (Firearm.dealer_counts: algorithms/dealer_counts.py).
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
RETURN f.firearm_key AS key, f.dealer_counts AS dealer_counts
