"""The Browser guide has the structure of the real guides and runs only checked registry statements; the CLI
writes both files."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from cypher import registry
from exports.bloom import cypher_params, perspective, render
from exports.bloom_guide import guide
from graph.statements import check_statement

REAL_GUIDE = Path(__file__).resolve().parents[1] / "data" / "bloom" / "pole.neo4j-browser-guide.html"


@dataclass
class Element:
    tag: str
    classes: tuple[str, ...]
    parent: Element | None
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str, cls: str | None = None) -> list[Element]:
        found = []
        for child in self.children:
            if child.tag == tag and (cls is None or cls in child.classes):
                found.append(child)
            found.extend(child.find(tag, cls))
        return found

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class _Tree(HTMLParser):
    VOID = frozenset({"br", "img", "meta", "link", "hr", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", (), None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = tuple((dict(attrs).get("class") or "").split())
        element = Element(tag, classes, self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.text += data


def parse(text: str) -> Element:
    tree = _Tree()
    tree.feed(text)
    tree.close()
    return tree.root


def _slides(root: Element) -> list[Element]:
    (article,) = root.find("article", "guide")
    (deck,) = article.find("carousel", "deck")
    return [child for child in deck.children if child.tag == "slide"]


def _runnable(slide: Element) -> list[str]:
    return [html.unescape(pre.all_text()) for pre in slide.find("pre", "runnable")]


def test_guide_has_the_structure_of_a_real_guide() -> None:
    real, ours = parse(REAL_GUIDE.read_text(encoding="utf-8")), parse(guide())
    real_slides, our_slides = _slides(real), _slides(ours)
    assert real_slides and len(our_slides) == 5
    real_pre = next(pre for s in real_slides for pre in s.find("pre", "runnable"))
    for slide in our_slides:
        assert "row-fluid" in slide.classes
        assert slide.find("div", "col-sm-12") and slide.find("h3")
        pres = slide.find("pre", "runnable")
        assert pres and all(set(real_pre.classes) == set(p.classes) for p in pres)


def test_guide_slides_cover_the_tour() -> None:
    titles = [s.find("h3")[0].all_text().lower() for s in _slides(parse(guide()))]
    for topic in ("model", "load", "straw", "corridor", "chain"):
        assert any(topic in title for title in titles), topic


def test_every_runnable_block_is_a_checked_statement_with_its_parameters_set() -> None:
    statements = {text for _, backend, text in registry().items() if backend in ("neo4j", None)}
    for slide in _slides(parse(guide())):
        params_set: set[str] = set()
        for block in _runnable(slide):
            match = re.fullmatch(r":param (\w+) => (.+)", block)
            if match:
                json.loads(match.group(2))  # a plain literal, nothing evaluated
                params_set.add(match.group(1))
                continue
            assert block in statements, block[:60]
            assert check_statement(block) == []
            assert cypher_params(block) <= params_set, f"unset parameters in {block[:60]}"


def test_cli_writes_perspective_and_guide(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "tracegraph.bloom-perspective.json"
    for _ in range(2):  # twice: the second run must reproduce the same bytes
        result = runner.invoke(app, ["bloom", "perspective", "--out", str(target)])
        assert result.exit_code == 0, result.output
        assert target.read_text(encoding="utf-8") == render(perspective())
    guide_file = tmp_path / "tracegraph.neo4j-browser-guide.html"
    result = runner.invoke(app, ["bloom", "guide", "--out", str(guide_file)])
    assert result.exit_code == 0, result.output
    assert guide_file.read_text(encoding="utf-8") == guide()


def test_cli_refuses_an_output_in_a_missing_directory_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "bloom", "perspective",
                             "--out", str(tmp_path / "no" / "p.json")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "no").exists()
