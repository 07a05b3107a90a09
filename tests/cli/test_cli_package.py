"""The command line as a package: `tracegraph --help` lists every command without importing the heavy parts, and
the lazily registered commands are the real ones (names, help, hidden aliases)."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import typer.main
from typer.testing import CliRunner

from api.cli import app
from api.cli.root import COMMANDS, load_module_commands

HEAVY = ("pandas", "numpy", "fastapi", "ladybug", "kuzu", "igraph", "neo4j", "pydantic_settings", "exports.stix",
         "graph.store", "algorithms")


def modules_after(*args: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running `tracegraph ARGS`."""
    code = ("import sys\nfrom api.cli import main\nsys.argv = ['tracegraph', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print({HEAVY!r} and __import__('json').dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{HEAVY!r} or m in {HEAVY!r})), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "100"})
    assert "Usage" in done.stdout, done.stdout + done.stderr
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_imports_no_heavy_module() -> None:
    assert modules_after("--help") == []
    assert modules_after() == []  # no arguments: the help too


def test_help_lists_every_command_with_its_own_first_help_paragraph() -> None:
    shown = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    for module in sorted({module for module, _ in COMMANDS.values()}):
        for name, command in load_module_commands(module).items():
            assert name in COMMANDS and COMMANDS[name][0] == module, f"{name}: add it to api.cli.root.COMMANDS"
            text = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
            listed = COMMANDS[name][1]
            if command.hidden:
                assert listed is None and f"│ {name} " not in shown
            else:
                assert listed is not None and " ".join(listed.split()) == " ".join(text.split()), name
                assert f"│ {name} " in shown
    group = typer.main.get_group(app)
    assert set(group.list_commands(None)) == set(COMMANDS)  # type: ignore[arg-type]


def test_a_command_runs_its_module_and_typos_get_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["schema", "ddl"])
    assert result.exit_code == 0 and "CREATE NODE TABLE" in result.stdout
    typo = CliRunner().invoke(app, ["corridor"])
    assert typo.exit_code == 2 and "corridors" in typo.output
