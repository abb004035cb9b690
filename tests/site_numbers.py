"""The numbers the built site shows next to each labelled result, read from its HTML.

Shared by ``test_pdf.py`` (the PDF carries the same numbers) and ``test_cited_numbers.py``
(numbers that readers cite never move).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

_PROOF = re.compile(
    r'<div class="(?:proof \w+|exercise) admonition" id="(?P<label>[^"]+)">\s*'
    r'<p class="admonition-title"><span class="caption-number">(?P<number>\w+ [\d.]+) </span>'
)
_FIGURE = re.compile(
    r'<figure class="[^"]*" id="(?P<label>[^"]+)">.*?'
    r'<span class="caption-number">Fig\. (?P<number>[\d.]+) </span>',
    re.S,
)
_EQUATION = re.compile(
    r'<span class="eqno">\((?P<number>[\d.]+)\)<a class="headerlink" href="#(?P<label>[^"]+)"'
)


def numbered_chapters() -> list[str]:
    """The numbered chapters' docnames, in the order of ``_toc.yml``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [
        entry["file"] for part in toc["parts"] if part.get("numbered") for entry in part["chapters"]
    ]


def site_numbers(site: Path, docnames: list[str]) -> dict[str, str]:
    """``{"docname:label": "Theorem 3.1" | "Fig. 2.1" | "(4.2)"}`` for every numbered result."""
    numbers: dict[str, str] = {}
    for docname in docnames:
        html = (site / f"{docname}.html").read_text(encoding="utf-8")
        for match in _PROOF.finditer(html):
            numbers[f"{docname}:{match['label']}"] = match["number"]
        for match in _FIGURE.finditer(html):
            numbers[f"{docname}:{match['label']}"] = f"Fig. {match['number']}"
        for match in _EQUATION.finditer(html):
            numbers[f"{docname}:{match['label']}"] = f"({match['number']})"
    return numbers
