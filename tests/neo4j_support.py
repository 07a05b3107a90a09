"""The session's Neo4j server as tests see it (the fixture itself is ``neo4j_server`` in tests/conftest.py)."""

from __future__ import annotations

import socket
import struct
import threading
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

from graph.neo4j_server import LocalNeo4j, free_port
from graph.neo4j_store import Neo4jStore


@dataclass(frozen=True)
class Neo4jServer:
    """Where the session's Neo4j answers, and (for a server this session started) the handle to stop it."""

    uri: str
    user: str
    password: str
    local: LocalNeo4j | None = None

    def store(self) -> Neo4jStore:
        """A store on an empty database with the schema created."""
        store = Neo4jStore(self.uri, self.user, self.password)
        clear_neo4j(store)
        store.init_schema()
        return store

    def env(self) -> dict[str, str]:
        return {"TRACEGRAPH_STORE": "neo4j", "TRACEGRAPH_NEO4J_URI": self.uri, "TRACEGRAPH_NEO4J_USER": self.user,
                "TRACEGRAPH_NEO4J_PASSWORD": self.password}


def clear_neo4j(store: Neo4jStore) -> None:
    """Empty the database between tests (small test graphs: one statement is fastest)."""
    store._write("MATCH (n) DETACH DELETE n")


class Plug:
    """A relay on its own loopback port in front of a server's Bolt port: the way a client reaches the server, which a
    test pulls (every connection through it reset, new ones refused, as when the server's process dies) and puts back
    (as when it is up again). tests/neo4j/test_errors.py pulls it mid-load instead of killing a server of its own:
    the client sees what a killed server shows it, without a second server's two cold starts (~35 CPU s)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self.put_back()

    @classmethod
    def before(cls, uri: str) -> Plug:
        parsed = urlsplit(uri)
        return cls(parsed.hostname or "127.0.0.1", parsed.port or 7687)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def put_back(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def pull(self) -> None:
        """Refuse new connections and end every open one at once (SO_LINGER 0: nothing left to send is sent), as
        a dead process's sockets end."""
        with self._lock:
            listener, self._listener = self._listener, None
            cut, self._open = self._open, []
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            listener.close()
        for sock in cut:
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)  # wakes the relay's threads blocked reading it (close alone may not)
            sock.close()

    def close(self) -> None:
        self.pull()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # pulled meanwhile
                    client.close()
                    server.close()
                    return
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
