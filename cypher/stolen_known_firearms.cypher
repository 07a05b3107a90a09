// Which of $keys are already Firearm nodes (a lost/stolen report must not overwrite a trace's description).
MATCH (f:Firearm)
WHERE f.firearm_key IN $keys
RETURN f.firearm_key AS firearm_key
