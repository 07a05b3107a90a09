"""STIX 2.1, TAXII 2.1, GeoJSON, evidence packages, reports, Bloom perspective: pure functions, I/O at the edge."""
