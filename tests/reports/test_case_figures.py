"""Link charts added to a case report (``report case --chart``): what is accepted, what is refused and why.

The end-to-end path (a chart exported by the workspace in Chromium, added to a case report, printed to PDF) is in
tests/web/test_workspace_browser.py; here the checks on untrusted files, including a property test."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.reports.figures import MAX_BYTES, figure
from graph.errors import InvalidInput

SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
       b'xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="20"><defs><clipPath id="c"><rect '
       b'width="40" height="20"/></clipPath></defs><g clip-path="url(#c)"><circle cx="10" cy="10" r="5" '
       b'fill="#E69F00"/><use xlink:href="#c"/><text x="20" y="12">Person: Doe, Jane</text></g></svg>')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_a_chart_as_the_workspace_exports_it_is_embedded_with_its_digest() -> None:
    svg = figure(SVG, "Link chart: chart.svg")
    assert svg.mime == "image/svg+xml" and svg.data_uri.startswith("data:image/svg+xml;base64,")
    assert svg.sha256 == hashlib.sha256(SVG).hexdigest()
    assert figure(PNG, "Link chart: chart.png").mime == "image/png"


@pytest.mark.parametrize(("payload", "why"), [
    (b"<svg><script>alert(1)</script></svg>", "<script"),
    (b'<svg onload="alert(1)"/>', "onload"),
    (b'<svg><image href="https://tiles.example/a.png"/></svg>', "href"),
    (b'<svg><image xlink:href="file:///etc/passwd"/></svg>', "href"),
    (b'<svg><rect style="fill:url(https://x.example/p)"/></svg>', "url("),
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>', "DOCTYPE"),
    (b"<svg><foreignObject><iframe src='x'/></foreignObject></svg>", "foreignObject"),
])
def test_an_svg_that_could_run_or_fetch_is_refused_in_one_line(payload: bytes, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        figure(payload, "Link chart: bad.svg")
    message = str(refused.value)
    assert why.lower() in message.lower() and "\n" not in message


@pytest.mark.parametrize("payload", [b"", b"GIF89a....", b"%PDF-1.7", b"name,dob\nDoe,1990-01-01\n",
                                     b"x" * (MAX_BYTES + 1)])
def test_anything_else_is_refused(payload: bytes) -> None:
    with pytest.raises(InvalidInput):
        figure(payload, "Link chart: other")


@given(st.binary(max_size=400))
def test_whatever_is_accepted_is_a_png_or_an_svg_with_nothing_active(data: bytes) -> None:
    for candidate in (data, b"<svg>" + data + b"</svg>", b"<svg " + data):
        try:
            checked = figure(candidate, "fuzz")
        except InvalidInput:
            continue
        if checked.mime == "image/png":
            assert candidate.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            lowered = candidate.lower()
            assert b"<script" not in lowered and b"<!doctype" not in lowered and b"javascript:" not in lowered
            candidate.decode("utf-8")
