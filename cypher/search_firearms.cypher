// Firearms with one normalised serial number, for the serial search.
MATCH (f:Firearm)
WHERE f.serial_normalized = $serial
RETURN f.firearm_key AS firearm_key, f.manufacturer AS manufacturer, f.model AS model, f.caliber AS caliber
