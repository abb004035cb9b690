"""The "Common misstatements" page: the chapters' boxes of that name, for instructors.

A chapter corrects a claim that is often made in a form that is false, or true only under a
hypothesis it does not state, in a box of this form::

    :::{admonition} A common misstatement: "the claim as usually stated"
    :class: warning
    :name: mis-<chapter>-<slug>

    Why it fails. **Correct form:** ... with links to the result that corrects it.
    :::

The directive ``{misstatements}`` lists them chapter by chapter: the claim, a link to the box
(where the correction is), and a link to its check, the first code cell tagged ``verifies:``
after the box in the notebook, together with the result that cell checks. The same reader is
used by ``tests/test_chapters.py``, so a box without a name or without a check fails the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claims_ledger import _numbered_chapters, _source, chapter_heading, check_anchor, load
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

TITLE = "A common misstatement"
_BOX = re.compile(
    r"^(?P<fence>:{3,}|`{3,})\{admonition\}\s*(?P<title>A common misstatement\b.*)$", re.MULTILINE
)
_NAME = re.compile(r"^:name:\s*(\S+)\s*$", re.MULTILINE)


@dataclass
class Misstatement:
    claim: str  # the title after "A common misstatement:", quotes and all
    name: str | None  # the box's :name: (its anchor), None if missing
    cell: int  # the notebook cell holding the box
    check: int | None  # the first verifies:-tagged code cell after it, if any
    checks: list[str]  # the labels that cell verifies


def _options(text: str, start: int) -> str:
    """The option lines (``:key: value``) right after a fence opening at ``start``."""
    lines = []
    for line in text[start:].splitlines()[1:]:
        if not line.startswith(":") or line.startswith(":::"):
            break
        lines.append(line)
    return "\n".join(lines)


def misstatements(nb: dict) -> list[Misstatement]:
    """Every "A common misstatement" box of a notebook, in order."""
    found = []
    cells = nb["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        text = _source(cell)
        for match in _BOX.finditer(text):
            title = match["title"].strip()
            claim = title[len(TITLE) :].lstrip(": ").strip()
            name = _NAME.search(_options(text, match.start()))
            check, labels = None, []
            for later in range(index + 1, len(cells)):
                tags = cells[later]["metadata"].get("tags", [])
                labels = [t.removeprefix("verifies:") for t in tags if t.startswith("verifies:")]
                if cells[later]["cell_type"] == "code" and labels:
                    check = later
                    break
            found.append(Misstatement(claim, name and name[1], index, check, labels))
    return found


def _link(label: str) -> str:
    """MyST for a link that shows the number of the result ``label`` names."""
    if label.startswith("eq-"):
        return f"{{eq}}`{label}`"
    if label.startswith(("ex-", "fig-")):
        return f"{{numref}}`{label}`"
    return f"{{prf:ref}}`{label}`"


def page_markdown(chapters: list[tuple[str, dict]]) -> list[str]:
    lines: list[str] = []
    total = 0
    for docname, nb in chapters:
        boxes = [m for m in misstatements(nb) if m.name]
        if not boxes:
            continue
        anchor, title = chapter_heading(nb)
        heading = (
            f"{{numref}}`Chapter %s <{anchor}>`: {title}" if anchor else f"{{doc}}`/{docname}`"
        )
        lines += [f"**{heading}**", "", "```{list-table}", ":header-rows: 1"]
        lines += [":widths: 52 16 32", ":class: longtable", ""]
        lines += ["* - The claim, as often stated", "  - Correction", "  - Checked by"]
        for box in boxes:
            check = "**not checked**"
            if box.check is not None:
                results = ", ".join(_link(label) for label in box.checks)
                check = f"{{ref}}`cell {box.check} <{check_anchor(docname, box.check)}>`"
                check += f" ({results})"
            lines += [f"* - {box.claim or '(untitled)'}", f"  - {{ref}}`the box <{box.name}>`"]
            lines += [f"  - {check}"]
            total += 1
        lines += ["```", ""]
    count = f"{total} misstatements corrected in {len(chapters)} chapters."
    return [count, "", *lines]


class Misstatements(SphinxDirective):
    """``{misstatements}``: the table of every chapter's misstatement boxes."""

    def run(self) -> list[nodes.Node]:
        chapters = []
        self.env.note_dependency(__file__)
        for docname in _numbered_chapters(self.env):
            path = Path(self.env.doc2path(docname))
            self.env.note_dependency(str(path))
            chapters.append((docname, load(path)))
        container = nodes.container(classes=["misstatements"])
        self.state.nested_parse(
            StringList(page_markdown(chapters)), self.content_offset, container
        )
        return [container]


def anchor_boxes(app: Any, doctree: nodes.document) -> None:
    """Move a misstatement box's anchor onto a target just before it.

    The link stays the same on the site; in the PDF only targets get a ``\\label``, so
    without this every link from the misstatements page to a box would be undefined.
    """
    for box in list(doctree.findall(nodes.admonition)):
        names = [n for n in box["names"] if n.startswith("mis-")]
        if not names:
            continue
        ids = list(box["ids"])
        box["ids"], box["names"] = [], [n for n in box["names"] if n not in names]
        box.parent.insert(box.parent.index(box), nodes.target("", "", ids=ids, names=names))


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("misstatements", Misstatements)
    app.connect("doctree-read", anchor_boxes)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
