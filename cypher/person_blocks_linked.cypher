// 1 when every stored person is linked to its identity-resolution blocks (the PersonBlock '*' mark the
// migration and the first load into an empty store write: loaders/entities.py blocks_linked), else 0.
MATCH (b:PersonBlock {block_key: '*'})
RETURN count(b) AS linked
