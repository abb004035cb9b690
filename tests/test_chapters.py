"""Structural checks on the chapter notebooks, complementing the nbval run.

nbval proves that each stored output is what the code produces today; these tests
prove that the notebooks were executed once, top to bottom, store no errors, and that
every numbered claim has a check cell tagged ``verifies:<label>`` pointing at it. The
last tests check the claims ledger (``_ext/claims_ledger.py``, page ``claims.md``) that
is generated from those tags.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

# The notebooks are read the same way here and by the claims ledger page (claims.md).
sys.path.insert(0, str(ROOT / "_ext"))
from claims_ledger import (  # noqa: E402
    EQUATION_LABEL,
    chapter_results,
    claims,
    labels_in,
    load,
    markdown_text,
    techniques,
    verified_labels,
)
from misstatements import misstatements  # noqa: E402


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks under chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_executed_once_top_to_bottom_without_errors(path):
    nb = load(path)
    counts = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        assert cell["execution_count"] is not None, f"code cell {index} was never executed"
        counts.append(cell["execution_count"])
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"code cell {index} stores an error"
    assert counts == list(range(1, len(counts) + 1)), "re-run the notebook in a fresh kernel"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_claim_has_a_check(path):
    nb = load(path)
    stated = claims(nb)
    assert stated, "a chapter states its results as labelled prf/exercise blocks"
    unchecked = sorted(set(stated) - set(verified_labels(nb)))
    assert not unchecked, f"claims with no cell tagged verifies:<label>: {unchecked}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_verifies_tag_names_a_real_label(path):
    unknown = sorted(set(verified_labels(load(path))) - labels_in(CHAPTERS))
    assert not unknown, f"verifies: tags that name no label in the book: {unknown}"


# What counts as an assertion in a check cell: a statement that raises when the claim is false.
ASSERTION = re.compile(
    r"^\s*assert\b|\bassert_close\(|\bassert_sym_equal\(|\bnp\.testing\.assert_\w+\(|"
    r"\braise AssertionError\b|\bpytest\.raises\(",
    re.MULTILINE,
)
_FUNCTION = re.compile(r"^def (?P<name>\w+)\(.*?(?=^\S|\Z)", re.MULTILINE | re.DOTALL)


def asserting_helpers(sources: list[str]) -> set[str]:
    """Functions defined in the notebook whose body asserts (directly or through another)."""
    bodies = {m["name"]: m.group(0) for src in sources for m in _FUNCTION.finditer(src)}
    found: set[str] = set()
    while True:
        new = {
            name
            for name, body in bodies.items()
            if name not in found
            and (ASSERTION.search(body) or any(re.search(rf"\b{h}\(", body) for h in found))
        }
        if not new:
            return found
        found |= new


def asserts(source: str, helpers: set[str]) -> bool:
    return bool(ASSERTION.search(source)) or any(re.search(rf"\b{h}\(", source) for h in helpers)


def test_assertion_detector_tells_a_check_from_a_print():
    helpers = asserting_helpers(
        ["def agree(a, b):\n    assert a == b\n", "def show(x):\n    print(x)\n"]
    )
    assert helpers == {"agree"}
    assert asserts("agree(1, 1)", helpers) and asserts("ml.assert_close(a, b, rtol=0)", helpers)
    assert asserts("x = 1\nassert x == 1", helpers)
    assert not asserts("show(1)", helpers)
    assert not asserts("print('assert nothing')", helpers)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_check_cell_asserts(path):
    # A cell tagged verifies:<label> must contain something that fails when the claim is false.
    cells = load(path)["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    helpers = asserting_helpers(code)
    silent = [
        index
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        and any(t.startswith("verifies:") for t in cell["metadata"].get("tags", []))
        and not asserts("".join(cell["source"]), helpers)
    ]
    assert not silent, f"cells tagged verifies: that assert nothing: {silent}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_has_caption_name_and_alt_text(path):
    for index, cell in enumerate(load(path)["cells"]):
        has_image = any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        if not has_image:
            continue
        meta = cell["metadata"].get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        assert figure.get("caption") and figure.get("name"), f"cell {index}: figure without caption"
        assert image.get("alt"), f"cell {index}: figure without alt text"


# ------------------------------------------------------------------ the claims ledger
LEDGER_SAMPLE = """\
:::{prf:theorem} Shift
:label: thm-a

$$ x = y $$ (eq-inside)
:::

:::{prf:proof}
$$ y = z $$ (eq-in-proof)
:::

$$ z = w $$ (eq-outside)

```{exercise}
:label: ex-a

Show it.
```
"""


def _notebook(*cells: tuple[str, str, list[str]]) -> dict:
    return {
        "cells": [
            {"cell_type": kind, "source": source, "metadata": {"tags": tags}}
            for kind, source, tags in cells
        ]
    }


def test_ledger_places_equations_and_counts_checks():
    nb = _notebook(
        ("markdown", LEDGER_SAMPLE, []),
        ("code", "ml.assert_sym_equal(a, b)", ["verifies:thm-a"]),
        ("code", "assert ml.mse([1], [1]) == 0", ["verifies:thm-a", "verifies:ex-a"]),
    )
    results = {r.label: r for r in chapter_results(nb)}
    assert list(results) == ["thm-a", "eq-inside", "eq-in-proof", "eq-outside", "ex-a"]
    assert results["thm-a"].title == "Shift" and results["thm-a"].kind == "prf:theorem"
    assert results["eq-inside"].within == "thm-a"
    assert results["eq-in-proof"].within == "thm-a"  # a proof proves the block before it
    assert results["eq-outside"].within is None and not results["eq-outside"].cells
    assert results["thm-a"].cells == [1, 2]
    assert results["thm-a"].how == ["symbolic identity (SymPy)", "mselib"]
    assert results["ex-a"].how == ["mselib"]


def test_ledger_names_how_a_cell_checks():
    assert techniques("assert_close(ml.mse(a, b), mean_squared_error(a, b))") == [
        "scikit-learn",
        "numeric tolerance",
        "mselib",
    ]
    assert techniques("g = ml.numerical_gradient(f, x)") == ["finite differences", "mselib"]
    assert techniques("assert Fraction(3, 8) == total") == ["exact rational arithmetic"]
    assert techniques("assert total == 3") == ["assertion on computed values"]
    assert techniques("print(total)") == []


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_ledger_has_every_result_and_leaves_none_unchecked(path):
    nb = load(path)
    results = chapter_results(nb)
    labels = {r.label for r in results}
    assert set(claims(nb)) <= labels
    assert set(verified_labels(nb)) <= labels, "a verifies: tag the ledger would not show"
    unchecked = [r.label for r in results if not r.cells and not r.within]
    assert not unchecked, f"results with no check of their own and no enclosing result: {unchecked}"
    silent = [r.label for r in results if r.cells and not r.how]
    assert not silent, f"check cells that assert nothing the ledger can name: {silent}"


SITE = ROOT / "_build" / "html"


@pytest.mark.skipif(not (SITE / "claims.html").exists(), reason="site not built (_build/html)")
def test_built_ledger_links_every_numbered_result_once():
    # Expected from the plain regular expressions (blocks by CLAIM_BLOCK, equations by
    # EQUATION_LABEL), not from the ledger's own fence-by-fence reader.
    page = (SITE / "claims.html").read_text(encoding="utf-8")
    rows = page.count('<tr class="row-odd">') + page.count('<tr class="row-even">')
    expected = 0
    for path in CHAPTERS:
        nb = load(path)
        blocks = set(claims(nb))
        equations = set(EQUATION_LABEL.findall(markdown_text(nb)))
        expected += len(blocks) + len(equations)
        for label in blocks | {f"equation-{eq}" for eq in equations}:
            link = f'href="chapters/{path.stem}.html#{label}"'
            assert link in page, f"the ledger has no link to {path.stem}#{label}"
    # One header row per chapter table, then one row per result.
    assert rows == expected + len(CHAPTERS), (rows, expected)
    assert "Not checked:" not in page, "the ledger's summary lists unchecked results"
    assert page.count("<strong>not checked</strong>") == 1  # only the explanation above the tables


# ------------------------------------------------------------------ the page a student reads
# Code fits the rendered column and no cell is longer than a reader can take in. Measured in
# Chromium at 1280 px (tests/browser/layout.py): a code box fits 75 characters, a folded one
# (hide-input) 73, and 8 fewer inside a solution dropdown (65 folded; printed output 68 there);
# tests/browser/test_layout.py measures the built page itself, outputs included.
MAX_LINE = 75
FOLD_MARGIN = 2
SOLUTION_MARGIN = 8
MAX_CELL_LINES = 30
LEVELS = ("Warm-up", "Core", "Challenge")
_EXERCISE = re.compile(
    r"^(?::{3,}|`{3,})\{exercise\}[ \t]*(?P<title>[^\n]*)\n(?P<options>(?::[^\n]*\n)*)",
    re.MULTILINE,
)


def exercises(nb: dict) -> list[tuple[str, str]]:
    """(label, title) of every exercise of a notebook."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for match in _EXERCISE.finditer("".join(cell["source"])):
            label = re.search(r"^:label:\s*(\S+)", match["options"], re.MULTILINE)
            found.append((label[1] if label else "", match["title"].strip()))
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_code_fits_the_column_and_cells_stay_short(path):
    long_lines, long_cells, in_solution = [], [], False
    for index, cell in enumerate(load(path)["cells"]):
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            starts, ends = text.rfind("{solution-start}"), text.rfind("{solution-end}")
            if starts != ends:
                in_solution = starts > ends
            continue
        lines = text.splitlines()
        if len(lines) > MAX_CELL_LINES:
            long_cells.append((index, len(lines)))
        folded = "hide-input" in cell["metadata"].get("tags", [])
        limit = MAX_LINE - FOLD_MARGIN * folded - SOLUTION_MARGIN * in_solution
        long_lines += [(index, len(line), limit) for line in lines if len(line) > limit]
    assert not long_cells, f"code cells over {MAX_CELL_LINES} lines (cell, lines): {long_cells}"
    assert not long_lines, f"code lines wider than the column (cell, length, limit): {long_lines}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_exercises_for_a_course(path):
    nb = load(path)
    found = exercises(nb)
    assert len(found) >= 6, f"{len(found)} exercises; a chapter has at least 6"
    unlevelled = [label for label, title in found if not title.startswith(LEVELS)]
    assert not unlevelled, f"exercises whose title is not one of {LEVELS}: {unlevelled}"
    levels = {title.split(":")[0].split()[0] for _, title in found}
    assert levels >= set(LEVELS), f"levels present: {sorted(levels)}"
    assert any("break a hypothesis" in title for _, title in found), (
        "no exercise asks the reader to break a hypothesis and watch the check fail"
    )
    unchecked = sorted({label for label, _ in found} - set(verified_labels(nb)))
    assert not unchecked, f"exercises whose solution has no check cell: {unchecked}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_misstatement_boxes_have_a_name_and_a_check(path):
    for box in misstatements(load(path)):
        assert box.claim.startswith('"'), (
            f"cell {box.cell}: title is not 'A common misstatement: \"...\"'"
        )
        assert box.name and box.name.startswith("mis-"), f"cell {box.cell}: no :name: mis-..."
        assert box.check is not None, f"cell {box.cell}: no check cell after the box"
