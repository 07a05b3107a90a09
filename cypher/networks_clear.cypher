// Remove the networks of the previous analysis run before writing the new ones.
MATCH (n:Network)
DETACH DELETE n
