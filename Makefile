# Two commands a newcomer needs: `make demo` and `make test`. Both bootstrap .venv from pyproject.toml
# with nothing but Python 3.11 and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean

# pip compiles what it installs one file at a time; compileall writes the same bytecode on every core (~20 s less
# on a 2-core CI, docs/performance.md).
# The workspace (issue 19) is TypeScript + Cytoscape.js from npm, bundled into api/web/static/ (needs Node.js + npm).
$(STAMP): pyproject.toml web/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	-$(BIN)/python -m compileall -q -j 0 $(VENV)/lib
	cd web && npm ci --no-audit --no-fund && npm run build
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tracegraph demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker a core (pytest-xdist; 2 on CI): tests/conftest.py groups every Neo4j test onto one worker (one
# server) and the rest by module, handed out longest first (tests/schedule.py); the slowest tests are listed at
# the end (docs/performance.md, "Test suite duration").
unit: $(STAMP)
	$(BIN)/pytest -q -n auto --dist loadscope --durations=20

bench: $(STAMP)
	$(BIN)/python bench/bench_bulk_load.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache web/node_modules api/web/static
