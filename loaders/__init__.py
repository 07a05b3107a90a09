"""Readers for the real input formats: read -> validate -> load in batches -> report; bad rows quarantined."""
