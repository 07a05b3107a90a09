"""uvicorn pieces for ``tracegraph serve`` (and the tests' loopback server): one set of server options.

With ``--workers N`` uvicorn binds the listening socket itself (``socket.socket(AF_INET, SOCK_STREAM)``, protocol
number 0) and hands it to the worker processes; asyncio only sets ``TCP_NODELAY`` on connections of sockets whose
protocol reads ``IPPROTO_TCP``, so every keep-alive response then waited for the client's delayed ACK (Nagle):
~43 ms per request whatever the load (measured with wrk, one connection). The protocol below sets ``TCP_NODELAY``
on each connection itself.

It also closes a connection that does not finish sending its request headers within ``header_timeout_s`` of
connecting (or of starting the next request): uvicorn's keep-alive timeout only starts after a response, so a
connection that never sent a byte (or sends one a minute, "slowloris") stayed open for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.settings import Settings


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    header_timeout_s = 10.0  # set per server by :func:`uvicorn_options`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._start_header_timer()

    def _start_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_timeout)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:
            self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options every tracegraph server runs with (``tracegraph serve`` and the tests)."""
    # a class attribute, not a subclass: the workers of `serve --workers N` get the class by name (pickled) and
    # set it again from their settings (api.app.create_app_from_environment)
    NoDelayHttpToolsProtocol.header_timeout_s = settings.api_header_timeout_s
    # loop="asyncio": uvloop is a little faster but measurably unfair under load (at 50 closed-loop clients a
    # few requests waited 10x the median: p99 ~400 ms against ~50 ms with asyncio; docs/performance.md).
    # No proxy-header rewriting: the failed-authentication limit counts per peer address (docs/security.md).
    return dict(access_log=False, log_level="warning", loop="asyncio", proxy_headers=False, server_header=False,
                http=NoDelayHttpToolsProtocol, timeout_keep_alive=settings.api_keep_alive_s)
