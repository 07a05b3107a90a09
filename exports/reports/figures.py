"""Charts an analyst adds to a network case report: the workspace's link-chart export (SVG or PNG).

A figure is untrusted input that ends up inside a report handed to a prosecutor and rendered to PDF, so it is
checked before it is embedded: PNG by its signature, SVG as text with an ``<svg`` root and nothing that could run
or fetch (no DOCTYPE/entities, scripts, foreign objects, event handlers, or links other than in-document and
``data:image`` ones; the report must stay self-contained and air-gap safe). It is embedded as a ``data:`` URI in an
``<img>``, where a browser runs nothing in it either. Each figure carries its SHA-256, printed under it, so the
file the workspace exported can be matched to the one in the report."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from graph.errors import InvalidInput

MAX_BYTES = 20 * 1024 * 1024
_PNG = b"\x89PNG\r\n\x1a\n"
_SVG_ROOT = re.compile(rb"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<svg[\s>]", re.S)
_UNSAFE = re.compile(
    rb"<!DOCTYPE|<!ENTITY|<script|<foreignObject|<iframe|<object|<embed|\son[a-z]+\s*=|javascript:"
    rb"|@import|url\(\s*['\"]?(?!#|data:image/)"
    rb"|href\s*=\s*['\"](?!#|data:image/)", re.I)


@dataclass(frozen=True)
class Figure:
    title: str
    mime: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def figure(data: bytes, title: str) -> Figure:
    """A checked figure from the bytes of a PNG or SVG file (InvalidInput, one line, for anything else)."""
    if not data:
        raise InvalidInput(f"chart {title!r} is empty")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"chart {title!r} is {len(data):,} bytes; at most {MAX_BYTES:,} may be added to a report")
    if data.startswith(_PNG):
        return Figure(title, "image/png", data)
    if data.lstrip().startswith(b"<"):
        unsafe = _UNSAFE.search(data)
        if unsafe:
            found = unsafe.group(0).decode("utf-8", "replace").strip()[:40]
            raise InvalidInput(f"chart {title!r} is markup with content a report may not carry ({found!r}): "
                               "export the chart again from the workspace")
    if _SVG_ROOT.match(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"chart {title!r} is an SVG that is not UTF-8 text") from exc
        return Figure(title, "image/svg+xml", data)
    raise InvalidInput(f"chart {title!r} is neither a PNG nor an SVG (the workspace's Export SVG/PNG writes both)")


def read_figure(path: Path) -> Figure:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read chart {str(path)!r}: {exc.strerror or exc}") from exc
    return figure(data, f"Link chart: {path.name}")
