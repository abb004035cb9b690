"""Every chapter page keeps the argument in front: measured in Chromium (see ``layout.py``).

Targets (issue 16): visible code at most a quarter of the page's height, no code box or printed
output that scrolls sideways (folded cells opened), and no visible code cell over 30 lines.
The per-page figures are written to ``_build/layout-report.txt`` for the CI log and a person.
"""

from __future__ import annotations

import os

import layout  # tests/browser/layout.py (pytest puts this folder on sys.path)
import pytest
from test_site import _missing


@pytest.fixture(scope="module")
def figures():
    reason = _missing()
    if reason:
        if os.environ.get("MSE_BOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MSE_BOOK_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    pages = layout.chapter_pages()
    assert len(pages) >= 8, pages
    result = layout.measure(pages)
    report = layout.table(result)
    (layout.SITE.parent / "layout-report.txt").write_text(report + "\n", encoding="utf-8")
    print(report)
    return result


def test_visible_code_is_at_most_a_quarter_of_each_page(figures):
    heavy = {p: round(f["code_share"], 3) for p, f in figures.items()}
    heavy = {p: s for p, s in heavy.items() if s > layout.MAX_CODE_SHARE}
    assert not heavy, f"pages over {layout.MAX_CODE_SHARE:.0%} visible code: {heavy}"


def test_no_code_box_scrolls_sideways(figures):
    scrolling = {p: f["scrolling_starts"] for p, f in figures.items() if f["scrolling"]}
    assert not scrolling, f"boxes wider than the column (first lines): {scrolling}"


def test_no_visible_code_cell_is_over_30_lines(figures):
    long = {p: f["longest"] for p, f in figures.items() if f["longest"] > layout.MAX_VISIBLE_LINES}
    assert not long, f"longest visible code cell per page: {long}"


def test_the_measurement_can_fail(figures):
    # The figures are real measurements, not zeros: every page has code, folded and visible.
    for page, f in figures.items():
        assert f["boxes"] > 0 and f["page_height"] > 900, (page, f)
        assert f["columns"] and 60 <= f["columns"] <= 120, (page, f["columns"])
