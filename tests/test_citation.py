"""CITATION.cff is valid, and the "How to cite" page's BibTeX is generated from it.

cffconvert 2.0.0 (the current release) needs jsonschema<4, while the pinned JupyterLab 4 needs
jsonschema>=4.18, so the two cannot be installed together. The file is therefore checked twice:

* here and at every site build, with ``jsonschema`` (a dependency of Jupyter Book) against the
  CFF 1.2.0 schema that cffconvert ships, vendored as ``_ext/cff-schema-1.2.0.json``;
* by cffconvert itself, installed in a separate environment from ``requirements-cff.txt``
  (``.ci/run`` does this). ``MSE_BOOK_CFFCONVERT`` names its executable; without it the
  cffconvert tests look on ``PATH`` and are skipped when it is not there, unless
  ``MSE_BOOK_REQUIRE_CFFCONVERT=1`` (CI) makes that a failure.

The last test reads the built site: every citation in a chapter shows the label of the
bibliography entry it links to.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
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


@pytest.fixture(scope="module")
def cffconvert() -> str:
    executable = os.environ.get("MSE_BOOK_CFFCONVERT") or shutil.which("cffconvert")
    if executable:
        return executable
    message = "cffconvert not found: pip install -r requirements-cff.txt in a separate venv"
    if os.environ.get("MSE_BOOK_REQUIRE_CFFCONVERT") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _run(executable: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_cffconvert_validates_citation_cff(cffconvert):
    result = _run(cffconvert, "--validate", "-i", str(CFF))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_cffconvert_rejects_a_broken_file(cffconvert, tmp_path):
    broken = tmp_path / "CITATION.cff"
    text = CFF.read_text(encoding="utf-8")
    # Valid YAML, invalid CFF: the release date is not a date.
    broken.write_text(re.sub(r"(?m)^date-released:.*$", 'date-released: "last week"', text))
    assert broken.read_text(encoding="utf-8") != text
    result = _run(cffconvert, "--validate", "-i", str(broken))
    assert result.returncode != 0
    assert "date-released" in result.stdout + result.stderr


def test_book_entry_agrees_with_cffconvert(cff, cffconvert):
    # An independent reading of CITATION.cff: cffconvert's own BibTeX.
    result = _run(cffconvert, "-f", "bibtex", "-i", str(CFF))
    assert result.returncode == 0, result.stderr
    theirs = result.stdout
    ours = bc.bibtex_book(cff)
    for name in ("title", "year"):
        assert _field(ours, name) == _field(theirs, name)
    assert _field(ours, "author").strip("{}") == _field(theirs, "author").strip("{}")


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
    match = re.search(rf"^\s*{name}\s*=\s*(.*?),?$", entry, flags=re.M)
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


@pytest.mark.skipif(
    not (SITE / "bibliography.html").exists(), reason="site not built (_build/html)"
)
def test_citations_show_the_label_of_the_entry_they_link_to():
    page = (SITE / "bibliography.html").read_text(encoding="utf-8")
    labels = dict(
        re.findall(
            r'<div class="citation" id="([^"]+)"[^>]*>\s*<span class="label">'
            r'<span class="fn-bracket">\[</span>([^<]+)<',
            page,
        )
    )
    assert labels, "no entries found on the bibliography page"
    citations = [
        (anchor, shown)
        for chapter in sorted((SITE / "chapters").glob("*.html"))
        for anchor, shown in re.findall(
            r'href="\.\./bibliography\.html#([^"]+)"[^>]*>([^<]+)</a>',
            chapter.read_text(encoding="utf-8"),
        )
    ]
    assert len(citations) >= len(labels), "fewer citations than entries: were some not cited?"
    # A parenthetical citation shows the whole label, "(Huber, 1964)"; a textual one,
    # {cite:t}, names the authors in the sentence and links the year: "Huber (1964)".
    wrong = [
        (shown, labels.get(anchor))
        for anchor, shown in citations
        if not (labels.get(anchor) == shown or str(labels.get(anchor)).endswith(f", {shown}"))
    ]
    assert not wrong, f"citation text differs from its entry's label (text, label): {wrong}"


def test_citation_cff_carries_the_mselib_version(cff):
    # CITATION.cff cites the book and mselib together: one version for both, written once in
    # mselib/__init__.py (pyproject.toml reads it from there).
    import mselib

    assert str(cff["version"]) == mselib.__version__
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "\nversion =" not in pyproject.split("[tool")[0]
