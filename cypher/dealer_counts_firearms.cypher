// The given firearms' facts the dealer counts read (algorithms/dealer_counts.py).
UNWIND $keys AS key
MATCH (f:Firearm {firearm_key: key})
RETURN f.firearm_key AS key, f.obliterated AS obliterated
