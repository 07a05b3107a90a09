"""Surfaces: the command-line interface (``api.cli``) and the HTTP API."""
