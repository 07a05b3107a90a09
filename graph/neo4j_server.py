"""A local Neo4j 5.26 LTS server from Maven Central jars, on loopback, without Docker.

``deploy/neo4j/pom.xml`` pins the server artifacts; :func:`resolve_jars` runs ``mvn dependency:copy-dependencies``
once (the jars are cached under ``~/.m2`` and copied into ``deploy/neo4j/target/lib``). :class:`LocalNeo4j` writes a
``neo4j.conf`` into a home folder (Bolt and HTTP on 127.0.0.1 on free ports, auth on, data inside the home), sets a
random initial password with ``neo4j-admin dbms set-initial-password`` before the first start, starts the server's
own entry point (``org.neo4j.server.CommunityEntryPoint``) with ``java``, waits until Bolt answers, and stops it with
SIGTERM (Neo4j's clean shutdown). Used by ``tracegraph neo4j start|stop`` and by the test suite's session fixture.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from graph.errors import InvalidInput, StoreUnavailable

REPO = Path(__file__).resolve().parent.parent
POM = REPO / "deploy" / "neo4j" / "pom.xml"
GDS_POM = REPO / "deploy" / "neo4j" / "gds" / "pom.xml"
GDS_GROUP = ("org", "neo4j", "gds")
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
STATE_FILE = "tracegraph-neo4j.json"  # in the home folder: pid, ports, password (mode 0600)
START_TIMEOUT_S = 300.0  # a first start on a loaded 2-core machine took over 120 s
STOP_TIMEOUT_S = 60.0
#: extra options for the local server's and admin tool's JVM, whitespace-separated (e.g. the test suite's
#: ``-XX:TieredStopAtLevel=1 -XX:+UseSerialGC``: short-lived servers spend less CPU compiling and collecting); a
#: garbage collector named here replaces the default G1
JVM_OPTIONS_ENV = "TRACEGRAPH_NEO4J_JVM_OPTIONS"
#: extra ``neo4j.conf`` settings for the local server, whitespace-separated ``name=value`` (e.g. the test suite's
#: Cypher replanning settings), appended after tracegraph's own
SETTINGS_ENV = "TRACEGRAPH_NEO4J_SETTINGS"


def missing_tools() -> list[str]:
    """The system tools the local server needs that are not on PATH (Java 17+ and, for the first run, Maven)."""
    return [tool for tool in ("java", "mvn") if shutil.which(tool) is None]


def gds_missing_tools() -> list[str]:
    """What building the Graph Data Science extension needs beyond :func:`missing_tools`: a JDK's compiler."""
    return [tool for tool in ("javac",) if shutil.which(tool) is None]


def lib_dir(pom: Path = POM) -> Path:
    return Path(os.environ.get("TRACEGRAPH_NEO4J_LIB") or pom.parent / "target" / "lib")


def resolve_jars(pom: Path = POM, *, quiet: bool = True) -> Path:
    """The folder holding the server's jars, resolving them with Maven first if the pom changed since."""
    lib = lib_dir(pom)
    stamp = lib / ".pom-sha"
    if not pom.is_file():
        if any(lib.glob("neo4j-5*.jar")):
            return lib
        raise InvalidInput(f"no Neo4j jars in {lib} and no pom at {pom} to resolve them")
    digest = _sha(pom.read_bytes())
    if stamp.is_file() and stamp.read_text() == digest and any(lib.glob("neo4j-5*.jar")):
        return lib
    if shutil.which("mvn") is None:
        raise InvalidInput("Maven (mvn) is needed once to fetch the Neo4j jars from Maven Central")
    if lib.exists():
        shutil.rmtree(lib)
    command = ["mvn", "-B", *(["-q"] if quiet else []), "-f", str(pom), "dependency:copy-dependencies",
               f"-DoutputDirectory={lib}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise StoreUnavailable(f"mvn could not resolve the Neo4j jars: {tail[0][:200]}")
    stamp.write_text(digest)
    return lib


def resolve_gds(lib: Path, pom: Path = GDS_POM) -> list[Path]:
    """The Graph Data Science jars for a server whose own jars are in ``lib``: the extension built from
    ``deploy/neo4j/gds`` and the GDS modules from Maven Central, without the libraries ``lib`` already holds (two
    copies of one library on the class path break class loading). Built with Maven once per pom change."""
    out = lib.parent / "gds"
    stamp = out / ".pom-sha"
    digest = _sha(pom.read_bytes() + b"".join(p.read_bytes() for p in sorted((pom.parent / "src").rglob("*"))
                                              if p.is_file()))
    if not (stamp.is_file() and stamp.read_text() == digest):
        if shutil.which("mvn") is None:
            raise InvalidInput("Maven (mvn) is needed once to fetch Graph Data Science from Maven Central")
        if out.exists():
            shutil.rmtree(out)
        command = ["mvn", "-B", "-q", "-f", str(pom), "package", "dependency:copy-dependencies",
                   f"-DoutputDirectory={out / 'modules'}", f"-Dgds.build.dir={out / 'build'}"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            tail = [x for x in (done.stdout + done.stderr).splitlines() if "ERROR" in x][:1] or ["no output"]
            raise StoreUnavailable(f"mvn could not build the Graph Data Science plugin: {tail[0][:200]}")
        stamp.write_text(digest)
    shipped = [jar.stem for jar in lib.glob("*.jar")]  # artifactId-version

    def ships(artifact: str) -> bool:
        return any(stem.startswith(f"{artifact}-") and stem[len(artifact) + 1:][:1].isdigit() for stem in shipped)

    jars = sorted((out / "build").glob("*.jar"))
    for jar in sorted((out / "modules").rglob("*.jar")):
        parts = jar.relative_to(out / "modules").parts  # group/…/artifactId/version/file (repository layout)
        if parts[:-3] == GDS_GROUP or not ships(parts[-3]):
            jars.append(jar)
    return jars


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerState:
    """What a running local server needs to be found again (kept in HOME/tracegraph-neo4j.json)."""

    home: str
    bolt_port: int
    http_port: int
    password: str
    user: str = "neo4j"
    pid: int | None = None

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"


def conf_text(home: Path, bolt_port: int, http_port: int, heap_mb: int, pagecache_mb: int) -> str:
    lines = [
        "# Written by tracegraph (graph/neo4j_server.py): a loopback-only development server.",
        "server.default_listen_address=127.0.0.1",
        "server.default_advertised_address=127.0.0.1",
        f"server.bolt.listen_address=127.0.0.1:{bolt_port}",
        f"server.bolt.advertised_address=127.0.0.1:{bolt_port}",
        "server.bolt.tls_level=DISABLED",
        f"server.http.listen_address=127.0.0.1:{http_port}",
        f"server.http.advertised_address=127.0.0.1:{http_port}",
        "server.https.enabled=false",
        "dbms.security.auth_enabled=true",
        f"server.directories.data={home / 'data'}",
        f"server.directories.logs={home / 'logs'}",
        f"server.directories.plugins={home / 'plugins'}",
        f"server.directories.import={home / 'import'}",
        f"server.directories.run={home / 'run'}",
        f"server.memory.heap.initial_size={heap_mb}m",
        f"server.memory.heap.max_size={heap_mb}m",
        f"server.memory.pagecache.size={pagecache_mb}m",
        "server.jvm.additional=-XX:+UseG1GC",
        "dbms.security.procedures.unrestricted=gds.*",
        "db.shutdown_transaction_end_timeout=2s",
        "dbms.usage_report.enabled=false",
    ]
    lines += os.environ.get(SETTINGS_ENV, "").split()
    return "\n".join(lines) + "\n"


def memory_for_machine(total_mb: int | None = None) -> tuple[int, int]:
    """Heap and page cache (MB) for a local server on this machine, which it shares with tracegraph's own process
    (and, on a development machine, with others): an eighth of the memory each, the heap between 512 MB and 8 GB
    and the page cache between 256 MB and 16 GB. Bulk loads want the page cache to hold the store (about 1 GB per
    million trace rows) and a heap that keeps 10k-row transactions off the garbage collector's critical path; a
    server of its own is better sized with ``neo4j-admin server memory-recommendation``."""
    if total_mb is None:
        total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return min(max(total_mb // 8, 512), 8192), min(max(total_mb // 8, 256), 16384)


def jvm_options(extra: str | None = None) -> list[str]:
    """G1 (Neo4j's own launcher's collector) and the options ``TRACEGRAPH_NEO4J_JVM_OPTIONS`` (or ``extra``) adds;
    a collector named there (``-XX:+Use…GC``) replaces G1."""
    added = (os.environ.get(JVM_OPTIONS_ENV, "") if extra is None else extra).split()
    collector = [] if any(o.startswith("-XX:+Use") and o.endswith("GC") for o in added) else ["-XX:+UseG1GC"]
    return [*collector, *added]


def new_password() -> str:
    """A random initial password (144 bits) that ``neo4j-admin dbms set-initial-password`` takes as its argument: hex
    only, so it never starts with ``-`` (a URL-safe token did one time in 64, and the admin tool then read it as an
    option and refused with "Missing required parameter: '<password>'")."""
    return secrets.token_hex(18)

class LocalNeo4j:
    """One local server in ``home``. ``start()`` then ``stop()``, or use it as a context manager.

    A home that already holds a state file reuses its ports and password (the password is set only before the
    first start, as Neo4j requires)."""

    def __init__(self, home: Path, *, lib: Path | None = None, heap_mb: int = 768, pagecache_mb: int = 256,
                 bolt_port: int | None = None, http_port: int | None = None, gds: bool = False) -> None:
        self.home = Path(home).resolve()
        self.lib = lib
        self.gds = gds
        self.heap_mb, self.pagecache_mb = heap_mb, pagecache_mb
        self._process: subprocess.Popen[bytes] | None = None
        previous = read_state(self.home)
        self.state = previous or ServerState(str(self.home), bolt_port or free_port(), http_port or free_port(),
                                             new_password())

    @property
    def uri(self) -> str:
        return self.state.uri

    @property
    def user(self) -> str:
        return self.state.user

    @property
    def password(self) -> str:
        return self.state.password

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else self.state.pid

    def _java(self, lib: Path, main: str, *args: str, heap: bool = True) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise InvalidInput("Java 17 or newer (java) is needed to run the local Neo4j server")
        memory = [f"-Xms{self.heap_mb}m", f"-Xmx{self.heap_mb}m"] if heap else []
        # plugins/ on the class path as Neo4j's own launcher puts it: extensions (GDS) are found there only
        classpath = f"{lib}/*:{self.home / 'plugins'}/*"
        return [java, *memory, *jvm_options(), "-Dfile.encoding=UTF-8", "-cp", classpath, main, *args]

    def admin_command(self, *args: str) -> list[str]:
        """The ``neo4j-admin`` command line (``org.neo4j.cli.AdminTool``) for this home, with ``args``; run it with
        :meth:`admin_env`."""
        return self._java(self.lib or resolve_jars(), ADMIN_TOOL, *args)

    def admin_env(self) -> dict[str, str]:
        return {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}

    def start(self, timeout_s: float = START_TIMEOUT_S) -> Self:
        if self.running():
            raise InvalidInput(f"a local Neo4j already runs from {self.home} (pid {self.state.pid})")
        lib = self.prepare()
        env = self.admin_env()
        log = (self.home / "logs" / "console.log").open("ab")
        self._process = subprocess.Popen(  # noqa: S603
            self._java(lib, ENTRY_POINT, f"--home-dir={self.home}", f"--config-dir={self.home / 'conf'}"),
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.home,
            start_new_session=True)
        log.close()
        self.state.pid = self._process.pid
        write_state(self.home, self.state)
        try:
            self._wait_for_bolt(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def prepare(self) -> Path:
        """The home's folders, plugins and ``neo4j.conf``, and the initial password before a first start (what a
        start needs, and what ``neo4j-admin database import`` needs before a first start); the jars' folder."""
        lib = self.lib or resolve_jars()
        for folder in ("conf", "data", "logs", "plugins", "import", "run"):
            (self.home / folder).mkdir(parents=True, exist_ok=True)
        self._plugins(resolve_gds(lib) if self.gds else [])
        (self.home / "conf" / "neo4j.conf").write_text(
            conf_text(self.home, self.state.bolt_port, self.state.http_port, self.heap_mb, self.pagecache_mb),
            encoding="utf-8")
        if not (self.home / "data" / "dbms").exists():
            done = subprocess.run(  # noqa: S603 - our own arguments
                self._java(lib, ADMIN_TOOL, "dbms", "set-initial-password", self.state.password, heap=False),
                env=self.admin_env(), capture_output=True, text=True, check=False, cwd=self.home)
            if done.returncode != 0:
                raise StoreUnavailable(f"neo4j-admin could not set the initial password: "
                                       f"{(done.stderr or done.stdout).strip()[:200]}")
        write_state(self.home, self.state)
        return lib

    def _plugins(self, jars: list[Path]) -> None:
        """HOME/plugins holds links to exactly these jars (those tracegraph put there before are replaced)."""
        plugins = self.home / "plugins"
        for old in plugins.glob("*.jar"):
            if old.is_symlink():
                old.unlink()
        for jar in jars:
            (plugins / jar.name).symlink_to(jar)

    def _wait_for_bolt(self, timeout_s: float) -> None:
        import neo4j
        from neo4j import exceptions

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise StoreUnavailable(f"Neo4j exited during start (code {self._process.returncode}); see "
                                       f"{self.home / 'logs'}: {self._log_tail()}")
            try:
                with neo4j.GraphDatabase.driver(self.uri, auth=(self.user, self.password),
                                                connection_timeout=2) as driver:
                    driver.verify_connectivity()
                return
            except (exceptions.ServiceUnavailable, exceptions.SessionExpired, OSError):
                time.sleep(0.5)
        raise StoreUnavailable(f"Neo4j did not answer on {self.uri} within {timeout_s:.0f} s; see "
                               f"{self.home / 'logs'}")

    def _log_tail(self) -> str:
        for name in ("neo4j.log", "console.log"):
            path = self.home / "logs" / name
            if path.is_file():
                lines = [x for x in path.read_text(errors="replace").splitlines() if "ERROR" in x or "rror" in x]
                if lines:
                    return lines[-1][:300]
        return "no error logged"

    def running(self) -> bool:
        pid = self.pid
        if pid is None:
            return False
        if self._process is not None:
            return self._process.poll() is None
        return _alive(pid)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM (Neo4j shuts down cleanly), then SIGKILL after ``timeout_s``."""
        pid = self.pid
        if pid is not None and self.running():
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and self.running():
                time.sleep(0.2)
            if self.running():
                os.kill(pid, signal.SIGKILL)
                time.sleep(0.2)
            if self._process is not None:
                self._process.wait(timeout=10)
        self._process = None
        self.state.pid = None
        write_state(self.home, self.state)

    def __enter__(self) -> Self:
        return self.start() if not self.running() else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().split()[2:3] == ["Z"])


def read_state(home: Path) -> ServerState | None:
    path = Path(home) / STATE_FILE
    if not path.is_file():
        return None
    return ServerState(**json.loads(path.read_text(encoding="utf-8")))


def write_state(home: Path, state: ServerState) -> None:
    path = Path(home) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(state), handle)
