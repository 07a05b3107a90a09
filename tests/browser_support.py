"""One headless Chromium for the browser tests (reports and the workspace): Debian's ``chromium`` driven by
Playwright for Python. Skips with a stated reason on a machine without either (CI=true installs both)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

from tests.conftest import require

CHROMIUM = "/usr/bin/chromium"


def launch_chromium() -> Iterator[Any]:
    """Yield a launched headless Chromium (use with ``yield from`` in a fixture); closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None, "playwright-python is not installed (pip install playwright)")
    require(shutil.which(CHROMIUM) is not None, "Debian's chromium is not installed (apt-get install chromium)")
    assert sync_playwright is not None
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()
