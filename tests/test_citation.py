"""CITATION.cff is valid, and the "How to cite" page's BibTeX is generated from it.

cffconvert 2.0.0 (the current release) needs jsonschema<4, while the pinned JupyterLab 4 needs
jsonschema>=4.18, so the two cannot be installed together. The file is therefore validated with
``jsonschema`` (a dependency of Jupyter Book) against the CFF 1.2.0 schema that cffconvert ships,
vendored as ``_ext/cff-schema-1.2.0.json``; the same check runs at every site build.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import book_citation as bc  # noqa: E402

CFF = ROOT / "CITATION.cff"
# The built site (``MSE_BOOK_SITE`` points elsewhere, e.g. at a scratch build).
SITE = Path(os.environ.get("MSE_BOOK_SITE", ROOT / "_build" / "html"))


@pytest.fixture(scope="module")
def cff() -> dict:
    return bc.load_cff(CFF)


def test_citation_cff_is_valid_cff_1_2_0(cff):
    assert cff["cff-version"] == "1.2.0"
    assert bc.validate_cff(cff) == []


def test_schema_check_can_fail(cff):
    broken = {k: v for k, v in cff.items() if k != "authors"}
    broken["version"] = ""
    problems = bc.validate_cff(broken)
    assert any("authors" in p for p in problems)
    assert any(p.startswith("version") for p in problems)


def _field(entry: str, name: str) -> str:
    match = re.search(rf"^\s*{name}\s*=\s*(.*),$", entry, flags=re.M)
    assert match, f"no {name} field in\n{entry}"
    return match.group(1).strip("{}")


def test_book_entry_carries_the_cff_fields(cff):
    entry = bc.bibtex_book(cff)
    assert entry.startswith("@book{mse_textbook_")
    assert _field(entry, "title") == cff["title"]
    assert _field(entry, "version") == str(cff["version"])
    assert _field(entry, "date") == str(cff["date-released"])
    assert _field(entry, "year") == str(cff["date-released"])[:4]
    names = [a.get("name") or a["family-names"] for a in cff["authors"]]
    assert all(n in _field(entry, "author") for n in names)


def test_chapter_entry_names_book_chapter_and_version(cff):
    entry = bc.bibtex_chapter(cff, 3, "Bias & variance")
    assert entry.startswith("@incollection{mse_textbook_") and "_ch03," in entry
    assert _field(entry, "title") == r"Bias \& variance"
    assert _field(entry, "booktitle") == cff["title"]
    assert _field(entry, "chapter") == "3"
    assert _field(entry, "version") == str(cff["version"])


def test_person_authors_are_family_comma_given():
    person = {"family-names": "Gauss", "given-names": "Carl Friedrich"}
    assert bc._author(person) == "Gauss, Carl Friedrich"
    assert bc._author({"name": "R&D group"}) == r"{R\&D group}"


def test_cite_page_uses_the_generator():
    text = (ROOT / "cite.md").read_text(encoding="utf-8")
    assert ":scope: book" in text and ":scope: chapters" in text
    assert "@book" not in text, "BibTeX must be generated from CITATION.cff, not typed"


@pytest.mark.skipif(not (SITE / "cite.html").exists(), reason="site not built (_build/html)")
def test_built_page_matches_citation_cff(cff):
    page = (SITE / "cite.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert bc.bibtex_book(cff) in text
    chapters = re.findall(r"@incollection\{[^@]*?\n\}", text)
    assert chapters, "no chapter entries on the page"
    for number, entry in enumerate(chapters, start=1):
        title = _field(entry, "title")
        assert entry == bc.bibtex_chapter(cff, number, title.replace(r"\&", "&"))
