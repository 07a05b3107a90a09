"""The ``tracegraph`` command line: one module per command group (see docs/architecture.md, "The command line").

``api.cli:main`` is the console-script entry point; ``app`` is the typer application (tests invoke it).
"""

from api.cli.root import app, main

__all__ = ["app", "main"]
