// The straw neighbourhood: the Firearm rows of $keys.
UNWIND $keys AS k
MATCH (f:Firearm {firearm_key: k})
RETURN f.firearm_key AS key, f.manufacturer_normalized AS manufacturer_normalized, f.model AS model,
       f.caliber AS caliber, f.weapon_type AS weapon_type, f.obliterated AS obliterated,
       f.serial_normalized AS serial_normalized
