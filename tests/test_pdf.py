"""The PDF carries the same numbers as the site, so that a citation means the same in both.

An instructor who cites "Theorem 3.1" or "equation (4.2)" from the PDF must send a student to the
same result on the site. These tests read what LaTeX and Sphinx wrote, after both builds:

* the site (``_build/html``): the numbers shown next to each labelled theorem, definition,
  exercise, figure and equation;
* the PDF (``_build/latex``): LaTeX's own numbers for figures and equations (``.aux``), the
  titles of theorems and exercises (``.tex``), the table of contents (``.toc``) and the log.

Build both first::

    jupyter-book build --warningiserror --keep-going -n .
    jupyter-book build --builder pdflatex .
    python -m pytest -q tests/test_pdf.py

Skipped, with the reason, when either build is missing; ``MSE_BOOK_REQUIRE_PDF=1`` (CI) makes a
missing build a failure instead.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from site_numbers import numbered_chapters, site_numbers

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
LATEX = ROOT / "_build" / "latex"
NAME = "mse-textbook"

_TEX_ADMONITION = re.compile(r"\\begin\{sphinxadmonition\}\{note\}\{(?P<number>\w+ [\d.]+)")
_TEX_LABEL = re.compile(r"\\label\{(?:\\detokenize\{)?(?P<label>[^{}]+)\}")
_AUX_LABEL = re.compile(r"\\newlabel\{(?P<label>[^{}]+)\}\{\{(?P<number>[^{}]*)\}")
_TOC_CHAPTER = re.compile(
    # A title may hold LaTeX's empty groups, as in "hold\\sphinxhyphen {}out".
    r"\\contentsline \{chapter\}\{(?:\\numberline \{(?P<number>\d+)\})?"
    r"(?P<title>(?:[^{}]|\{\})*)\}"
)


def _cannot_run(message: str) -> None:
    if os.environ.get("MSE_BOOK_REQUIRE_PDF") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _require(path: Path, how: str) -> Path:
    if not path.exists():
        _cannot_run(f"{path.relative_to(ROOT)} not found: {how}")
    return path


@pytest.fixture(autouse=True, scope="module")
def _builds_of_the_same_sources() -> None:
    # After a chapter is edited and only the site rebuilt, the two builds rightly disagree.
    tex = _require(LATEX / f"{NAME}.tex", "build the PDF (python3 tasks.py pdf)")
    page = _require(SITE / "intro.html", "build the site (python3 tasks.py site)")
    newest_source = max(p.stat().st_mtime for p in ROOT.glob("chapters/*.ipynb"))
    if min(tex.stat().st_mtime, page.stat().st_mtime) < newest_source:
        _cannot_run("a chapter changed after the last site or PDF build: rebuild both")


def _latex_file(suffix: str) -> str:
    path = _require(
        LATEX / f"{NAME}{suffix}", "build the PDF (jupyter-book build --builder pdflatex .)"
    )
    return path.read_text(encoding="utf-8", errors="replace")


@cache
def _chapters() -> list[str]:
    return numbered_chapters()


@cache
def _site_numbers() -> dict[str, str]:
    """Every number the site shows, keyed by ``docname:label`` as LaTeX keys them."""
    for docname in _chapters():
        _require(SITE / f"{docname}.html", "build the site first")
    return site_numbers(SITE, _chapters())


@cache
def _pdf_numbers() -> dict[str, str]:
    """The same numbers in the PDF: LaTeX's for figures and equations, the titles for the rest."""
    numbers: dict[str, str] = {}
    for match in _AUX_LABEL.finditer(_latex_file(".aux")):
        label = match["label"]
        if label.startswith("equation:"):
            # Sphinx labels equations "equation:<page>:<name>"; the site's anchor is
            # "equation-<name>".
            page, name = label.removeprefix("equation:").rsplit(":", 1)
            numbers[f"{page}:equation-{name}"] = f"({match['number']})"
        elif ":fig-" in label:
            numbers[label] = f"Fig. {match['number']}"
    tex = _latex_file(".tex")
    for match in _TEX_ADMONITION.finditer(tex):
        # The admonition's labels stand on the lines just before it.
        labels = _TEX_LABEL.findall(tex, max(0, match.start() - 400), match.start())
        if labels:
            numbers[labels[-1]] = match["number"]
    return numbers


def _pdf_number(key: str) -> str | None:
    numbers = _pdf_numbers()
    if key in numbers:
        return numbers[key]
    # sphinx-exercise labels its blocks "exercise:<label>", without the page.
    return numbers.get(f"exercise:{key.split(':', 1)[1]}")


def test_the_site_numbers_results_in_every_chapter() -> None:
    numbers = _site_numbers()
    for docname in _chapters():
        assert any(key.startswith(f"{docname}:") for key in numbers), (
            f"no numbered result found on {docname}.html: has the page's HTML changed?"
        )
    kinds = {value.split(" ")[0] for value in numbers.values() if not value.startswith("(")}
    assert {"Theorem", "Definition", "Exercise", "Fig."} <= kinds
    assert any(value.startswith("(") for value in numbers.values()), "no numbered equation"


def test_every_number_on_the_site_is_the_same_in_the_pdf() -> None:
    differing = {
        key: (site, _pdf_number(key))
        for key, site in _site_numbers().items()
        if _pdf_number(key) != site
    }
    assert not differing, (
        "numbers differ between the site and the PDF (label: site, PDF):\n"
        + "\n".join(f"  {key}: {site}, {pdf}" for key, (site, pdf) in sorted(differing.items()))
    )


def test_the_pdf_numbers_nothing_the_site_does_not() -> None:
    # An equation numbered by LaTeX but not on the site (an unlabelled amsmath block, say)
    # would shift every later number of its chapter in the PDF only.
    site = _site_numbers()
    extra = sorted(
        key for key in _pdf_numbers() if key.split(":", 1)[0] in _chapters() and key not in site
    )
    assert not extra, f"numbered in the PDF but not on the site: {extra}"
    unlabelled = re.findall(
        r"\\begin\{(?:equation|align|gather|multline|eqnarray)\}(?!\\label)", _latex_file(".tex")
    )
    assert not unlabelled, f"{len(unlabelled)} numbered LaTeX environments without a label"


def test_the_pdf_has_the_sites_chapters_and_unnumbered_back_matter() -> None:
    entries = [(m["number"], m["title"]) for m in _TOC_CHAPTER.finditer(_latex_file(".toc"))]
    numbered = [number for number, _ in entries if number]
    assert numbered == [str(i) for i in range(1, len(_chapters()) + 1)], entries
    titles = [title for _, title in entries]
    assert titles.count("Bibliography") == 1, (
        f"the bibliography is listed {titles.count('Bibliography')} times"
    )
    back_matter = [title for number, title in entries[len(numbered) :]]
    assert {"Bibliography", "Glossary", "How to cite", "Index"} <= set(back_matter), entries
    assert all(number is None for number, _ in entries[len(numbered) :]), entries


def test_latex_resolved_every_reference_and_wrote_the_pdf() -> None:
    log = _latex_file(".log")
    undefined = re.findall(r"(?:Reference|Citation) `([^']*)' on page \d+ undefined", log)
    assert not undefined, f"LaTeX left references unresolved: {sorted(set(undefined))}"
    assert "There were undefined references" not in log
    written = re.search(r"Output written on \S+ \((\d+) pages", log)
    assert written, "LaTeX wrote no PDF"
    pdf = _require(LATEX / f"{NAME}.pdf", "build the PDF")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_title_page_carries_the_receipt() -> None:
    # The same receipt as the site's footer: the version under the title (LaTeX's release),
    # the commit and the mselib version beside the date.
    sys.path.insert(0, str(ROOT / "_ext"))
    from book_citation import load_cff

    version = str(load_cff(ROOT / "CITATION.cff")["version"])
    tex = _latex_file(".tex")
    assert re.search(rf"^\\release\{{{re.escape(version)}\}}$", tex, re.M), "no version"
    assert re.search(r"^\\date\{.*commit \S+, mselib \S+\}$", tex, re.M), "no commit/mselib"


def test_nothing_sticks_out_of_the_page() -> None:
    # LaTeX reports a line wider than the text block as an overfull box; a formula that
    # is 200 pt too wide is cut off at the margin. Code lines may stick out a little.
    widths = [
        float(w)
        for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", _latex_file(".log"))
    ]
    assert max(widths, default=0.0) < 20.0, (
        f"overfull lines, in pt: {sorted(widths, reverse=True)[:5]}"
    )
