"""The claims ledger: every numbered result of the book, where it is checked, and how.

Read from the chapter notebooks when the book is built, never typed:

* a **result** is a labelled ``{prf:...}`` block (theorem, definition, lemma, example, remark,
  ...), a labelled ``{exercise}``, or a labelled display equation ``$$ ... $$ (label)``;
* a **check** is a code cell tagged ``verifies:<label>``;
* **how** a result is checked is read off its check cells: the oracles and tools they call
  (SymPy identities, exact rationals, scikit-learn, finite differences, ...).

Each check cell gets a label ``check-<notebook>-<cell index>`` when its chapter is read, so the
ledger links every result to the cells that check it, not only to the result.

An equation inside a labelled block (or inside the proof that follows one) is covered by that
block's checks; one with neither its own check nor such a block is listed as not checked, so a
gap is visible rather than hidden.

The directive ``{claims-ledger}`` renders the ledger. The parsing functions are also used by
``tests/test_chapters.py``, so that the tests and the ledger read the notebooks the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

# A numbered, labelled block in MyST: ":::{prf:theorem}" ... ":label: thm-x".
CLAIM_BLOCK = re.compile(
    r"^(?::::*|```+)\{(prf:\w+|exercise)\}[^\n]*\n(?::[^\n]*\n)*?:label:\s*(\S+)", re.MULTILINE
)
EQUATION_LABEL = re.compile(r"\$\$\s*\((\S+)\)")
TARGET_LABEL = re.compile(r"^\((\S+)\)=\s*$", re.MULTILINE)
PROOF_KINDS_WITHOUT_CLAIM = {"prf:proof"}

_FENCE_OPEN = re.compile(r"^(?P<fence>:{3,}|`{3,})\{(?P<kind>[\w:-]+)\}\s*(?P<title>.*)$")
_OPTION = re.compile(r"^:(?P<name>[\w-]+):\s*(?P<value>.*)$")

# What a check cell does, read off the names it calls. First match per entry; order is display
# order. These are the book's own conventions (see DESIGN.md, section 3).
TECHNIQUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("symbolic identity (SymPy)", re.compile(r"assert_sym_equal|simplify\(|\.equals\(")),
    ("exact rational arithmetic", re.compile(r"\bFraction\(|sp\.Rational\(|sp\.nsimplify\(")),
    ("scikit-learn", re.compile(r"\bsklearn\b|mean_squared_error\(|mean_absolute_error\(")),
    ("finite differences", re.compile(r"numerical_gradient\(|central difference")),
    ("PyTorch", re.compile(r"\btorch\.")),
    ("Keras", re.compile(r"\bkeras\.")),
    ("seeded random data", re.compile(r"default_rng\(")),
    ("numeric tolerance", re.compile(r"assert_close\(|assert_allclose\(|isclose\(")),
    ("mselib", re.compile(r"\bml\.[a-z_]+\(")),
)
# Said of a check cell that matches none of the above but asserts something.
PLAIN_ASSERTION = "assertion on computed values"


def load(path: str | Path) -> dict:
    """A notebook as JSON."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def markdown_text(nb: dict) -> str:
    return "\n".join(_source(cell) for cell in nb["cells"] if cell["cell_type"] == "markdown")


def claims(nb: dict) -> dict[str, str]:
    """Map each numbered claim's label to its kind (prf:theorem, exercise, ...)."""
    found = {}
    for kind, label in CLAIM_BLOCK.findall(markdown_text(nb)):
        if kind not in PROOF_KINDS_WITHOUT_CLAIM:
            found[label] = kind
    return found


def labels_in(paths: Iterable[str | Path]) -> set[str]:
    """Every label the notebooks define: blocks, equations and ``(label)=`` targets."""
    labels: set[str] = set()
    for path in paths:
        text = markdown_text(load(path))
        labels |= {label for _, label in CLAIM_BLOCK.findall(text)}
        labels |= set(EQUATION_LABEL.findall(text)) | set(TARGET_LABEL.findall(text))
    return labels


def verified_labels(nb: dict) -> list[str]:
    """The labels named by ``verifies:`` tags, once per tag."""
    return [label for _, label in _check_tags(nb)]


def _check_tags(nb: dict) -> Iterable[tuple[int, str]]:
    for index, cell in enumerate(nb["cells"]):
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith("verifies:"):
                yield index, tag.split(":", 1)[1]


def techniques(source: str) -> list[str]:
    """How a check cell checks, from the names it calls (see ``TECHNIQUES``).

    >>> techniques("ml.assert_sym_equal(lhs, rhs)")
    ['symbolic identity (SymPy)', 'mselib']
    >>> techniques("assert total == 3")
    ['assertion on computed values']
    """
    found = [name for name, pattern in TECHNIQUES if pattern.search(source)]
    if not found and re.search(r"\bassert\b", source):
        found.append(PLAIN_ASSERTION)
    return found


@dataclass
class Result:
    """One numbered result of a chapter and the cells that check it."""

    label: str
    kind: str  # "prf:theorem", "exercise", "equation", ...
    title: str = ""
    within: str | None = None  # for an equation: the labelled block it belongs to
    cells: list[int] = field(default_factory=list)
    how: list[str] = field(default_factory=list)


def _blocks_and_equations(text: str) -> Iterable[tuple[Result, bool]]:
    """The labelled blocks and equations of one markdown cell, in order of appearance.

    Each comes with whether it stands inside a proof (whose result is the block before it).
    """
    stack: list[dict[str, Any]] = []  # the fences open at this line, innermost last
    for line in text.splitlines():
        stripped = line.strip()
        opened = _FENCE_OPEN.match(stripped)
        if opened:
            stack.append(
                {
                    "fence": opened["fence"],
                    "kind": opened["kind"],
                    "label": None,
                    "title": opened["title"].strip(),
                }
            )
            continue
        if stack and stripped == stack[-1]["fence"]:
            stack.pop()
            continue
        in_proof = any(block["kind"] in PROOF_KINDS_WITHOUT_CLAIM for block in stack)
        option = _OPTION.match(stripped)
        if stack and option and option["name"] == "label":
            block = stack[-1]
            block["label"] = option["value"].strip()
            if block["kind"] not in PROOF_KINDS_WITHOUT_CLAIM | {"solution"}:
                yield Result(block["label"], block["kind"], block["title"]), in_proof
            continue
        for label in EQUATION_LABEL.findall(line):
            enclosing = next(
                (b["label"] for b in reversed(stack) if b["label"] and b["kind"] != "solution"),
                None,
            )
            yield Result(label, "equation", within=enclosing), in_proof


def chapter_results(nb: dict) -> list[Result]:
    """Every numbered result of a chapter, with its check cells and how they check."""
    results: list[Result] = []
    last_block: str | None = None
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for result, in_proof in _blocks_and_equations(_source(cell)):
            if result.kind != "equation":
                last_block = result.label
            elif result.within is None and in_proof:
                result.within = last_block  # a proof proves the block just before it
            results.append(result)
    by_label = {result.label: result for result in results}
    for index, label in _check_tags(nb):
        if label in by_label:
            by_label[label].cells.append(index)
    order = [name for name, _ in TECHNIQUES] + [PLAIN_ASSERTION]
    for result in results:
        found = {name for index in result.cells for name in techniques(_source(nb["cells"][index]))}
        result.how = sorted(found, key=order.index)
    return results


_CHAPTER_HEAD = re.compile(r"^(?:\((?P<anchor>\S+)\)=\s*\n)?# (?P<title>.+)$", re.MULTILINE)


def chapter_heading(nb: dict) -> tuple[str, str]:
    """The chapter's anchor (the ``(label)=`` target just above its title) and its title."""
    for cell in nb["cells"]:
        match = _CHAPTER_HEAD.search(_source(cell)) if cell["cell_type"] == "markdown" else None
        if match:
            return match["anchor"] or "", match["title"].strip()
    return "", ""


# ------------------------------------------------------------------ the directive
def _reference(result: Result) -> str:
    """MyST for a link to the result that shows its number."""
    if result.kind == "equation":
        return f"Equation {{eq}}`{result.label}`"
    if result.kind == "exercise":
        return f"{{numref}}`{result.label}`"
    return f"{{prf:ref}}`{result.label}`"


def _row(*cells: str) -> list[str]:
    """One row of a MyST list-table; an empty cell stays empty."""
    first, *rest = (cell.strip() or " " for cell in cells)
    return [f"* - {first}", *(f"  - {cell}" for cell in rest)]


def check_anchor(docname: str, index: int) -> str:
    """The anchor (and Sphinx label) of the check cell ``index`` of a chapter's notebook."""
    return f"check-{Path(docname).name.lower()}-{index}"


def _checked_by(result: Result, by_label: dict[str, Result], docname: str) -> str:
    if result.cells:
        links = ", ".join(
            f"{{ref}}`{index} <{check_anchor(docname, index)}>`" for index in result.cells
        )
        return f"cell{'s' if len(result.cells) > 1 else ''} {links}"
    if result.within in by_label:
        return f"part of {_reference(by_label[result.within])}"
    return "**not checked**"


def ledger_markdown(chapters: list[tuple[str, dict]]) -> list[str]:
    """The ledger as MyST lines: one table per chapter. ``chapters``: (docname, notebook)."""
    lines: list[str] = []
    totals = {"results": 0, "cells": set(), "unchecked": []}
    for docname, nb in chapters:
        results = chapter_results(nb)
        anchor, title = chapter_heading(nb)
        heading = (
            f"{{numref}}`Chapter %s <{anchor}>`: {title}" if anchor else f"{{doc}}`/{docname}`"
        )
        # A list-table, so that the PDF gets fixed column widths and a table that breaks
        # across pages (longtable); the site renders it like any table.
        lines += [
            f"**{heading}**",
            "",
            "```{list-table}",
            ":header-rows: 1",
            ":widths: 17 29 22 32",
        ]
        lines += [":class: longtable", "", *_row("Result", "Statement", "Checked by", "How")]
        by_label = {result.label: result for result in results}
        for result in results:
            lines += _row(
                _reference(result),
                result.title,
                _checked_by(result, by_label, docname),
                ", ".join(result.how),
            )
            totals["results"] += 1
            totals["cells"] |= {(docname, index) for index in result.cells}
            if not result.cells and result.within not in by_label:
                totals["unchecked"].append(result)
        lines += ["```", ""]
    unchecked = totals["unchecked"]
    summary = (
        f"{totals['results']} numbered results in {len(chapters)} chapters, checked by "
        f"{len(totals['cells'])} tagged cells."
    )
    if unchecked:
        summary += " Not checked: " + ", ".join(_reference(r) for r in unchecked) + "."
    return [summary, "", *lines]


class ClaimsLedger(SphinxDirective):
    """``{claims-ledger}``: the ledger of every chapter notebook under ``chapters/``."""

    def run(self) -> list[nodes.Node]:
        chapters = []
        self.env.note_dependency(__file__)  # rebuild the page when this code changes
        for docname in _numbered_chapters(self.env):
            path = Path(self.env.doc2path(docname))
            self.env.note_dependency(str(path))
            chapters.append((docname, load(path)))
        container = nodes.container(classes=["claims-ledger"])
        self.state.nested_parse(
            StringList(ledger_markdown(chapters)), self.content_offset, container
        )
        return [container]


def _numbered_chapters(env: Any) -> list[str]:
    """The chapter notebooks, in book order (their file names start with the number)."""
    return sorted(
        docname
        for docname in env.found_docs
        if docname.startswith("chapters/") and str(env.doc2path(docname)).endswith(".ipynb")
    )


def anchor_check_cells(app: Any, doctree: nodes.document) -> None:
    """Give every code cell tagged ``verifies:`` a label, so that pages can link to the cell."""
    docname = app.env.docname
    if not docname.startswith("chapters/"):
        return
    std = app.env.get_domain("std")
    for cell in list(doctree.findall(nodes.container)):
        tags = cell.get("cell_metadata", {}).get("tags", [])
        if cell.get("cell_index") is None or not any(t.startswith("verifies:") for t in tags):
            continue
        name = check_anchor(docname, cell["cell_index"])
        # A target node just before the cell (not an id on the container, so that LaTeX
        # gets a \label too; not inside it, where myst-nb would no longer fold its code).
        cell.parent.insert(cell.parent.index(cell), nodes.target("", "", ids=[name], names=[name]))
        std.anonlabels[name] = (docname, name)
        std.labels[name] = (docname, name, f"check cell {cell['cell_index']}")


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("claims-ledger", ClaimsLedger)
    app.connect("doctree-read", anchor_check_cells)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
