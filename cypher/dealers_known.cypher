// Which of $keys are stored Dealer keys (the loaders' dealer stubs, loaders/entities.py: a quoted license number
// that names no dealer becomes a stub): looked up by key, so a day's load reads its own few hundred dealers, not
// every stored one.
UNWIND $keys AS k
MATCH (d:Dealer {dealer_key: k})
RETURN d.dealer_key AS key
