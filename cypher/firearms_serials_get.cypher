// The given firearms' serial, make, model and serial group (algorithms/serial_groups.py).
UNWIND $keys AS key
MATCH (f:Firearm {firearm_key: key})
RETURN f.firearm_key AS key, f.serial_normalized AS serial_normalized,
       f.manufacturer_normalized AS manufacturer_normalized, f.model AS model, f.serial_group AS serial_group
