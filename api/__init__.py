"""Surfaces: the command-line interface (the package ``api.cli``) and the HTTP API."""
