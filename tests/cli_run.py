"""The ``tracegraph`` command line run in the test's own process, as its console script runs it.

``tracegraph(*args, env=...)`` calls ``api.cli.main`` (the entry point: one error line and an exit code, as a user
sees them) with ``args`` as the command line, ``env`` as the whole environment (as ``subprocess.run(env=...)``
takes it; by default this process's) and its own stdout and stderr, and returns what ``subprocess.run`` would:
the exit code and both streams as text. A subprocess spends 1.5-3 CPU s importing pandas, pyarrow and the engine
before each command; here they are imported once. Tests that need a process of its own keep one: the installed
entry point (tests/cli/test_cli_foundation.py, tests/cli/test_cli_package.py), a process killed or out of disk
(tests/loaders/test_interrupted_load.py, test_disk_full.py, test_day_in_the_log.py), two processes at once.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path


def tracegraph(*args: str | Path, env: dict[str, str] | None = None,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``tracegraph *args`` in this process; ``env`` replaces the environment and ``cwd`` is the working
    folder while it runs."""
    from api.cli import main
    from api.cli.common import err as err_console
    from api.cli.common import out as out_console

    argv = ["tracegraph", *(str(a) for a in args)]
    saved_env, saved_argv, saved_cwd = dict(os.environ), sys.argv, os.getcwd()
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    code = 0
    # rich fixes a console's width when it is made, from COLUMNS if set then: a process of its own would read the
    # COLUMNS it is given (else size itself, as these consoles do when made without one)
    columns = (env if env is not None else os.environ).get("COLUMNS", "")
    widths = [(console, console._width) for console in (out_console, err_console)]
    try:
        for console, _ in widths:
            console._width = int(columns) if columns.isdigit() else None
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        sys.argv = argv
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception:  # what the interpreter would print and exit 1 with
                traceback.print_exc()
                code = 1
    finally:
        for console, width in widths:
            console._width = width
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(argv, code, _text(out), _text(err))


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8")
