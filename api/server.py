"""uvicorn pieces for ``tracegraph serve``.

With ``--workers N`` uvicorn binds the listening socket itself (``socket.socket(AF_INET, SOCK_STREAM)``, protocol
number 0) and hands it to the worker processes; asyncio only sets ``TCP_NODELAY`` on connections of sockets whose
protocol reads ``IPPROTO_TCP``, so every keep-alive response then waited for the client's delayed ACK (Nagle):
~43 ms per request whatever the load (measured with wrk, one connection). The protocol below sets ``TCP_NODELAY``
on each connection itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
