"""Loopback helpers for tests that start servers (uvicorn, medallion, a webhook receiver, ``tracegraph serve``):
a free port, waiting until a started server accepts connections, and a server that never answers."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from graph.neo4j_server import free_port  # the one the local Neo4j server takes its ports from

__all__ = ["free_port", "silent_port", "wait_for_port"]


def wait_for_port(port: int, *, process: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
                  timeout_s: float = 60.0, what: str = "the server") -> None:
    """Return once 127.0.0.1:``port`` accepts a connection; raise if ``process`` exits first or ``timeout_s``
    passes (a loaded CI machine is slow: the caller says how slow is wrong)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it listened on port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on port {port} within {timeout_s:.0f} s") from None
            time.sleep(0.1)


@contextmanager
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that takes connections (the kernel's backlog) and never answers: a hung server."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        yield silent.getsockname()[1]
    finally:
        silent.close()
