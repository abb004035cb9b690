"""Structural checks on the chapter notebooks, complementing the nbval run.

nbval proves that each stored output is what the code produces today; these tests
prove that the notebooks were executed once, top to bottom, store no errors, and that
every numbered claim has a check cell tagged ``verifies:<label>`` pointing at it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

# A numbered, labelled block in MyST: ":::{prf:theorem}" ... ":label: thm-x".
CLAIM_BLOCK = re.compile(
    r"^(?::::*|```+)\{(prf:\w+|exercise)\}[^\n]*\n(?::[^\n]*\n)*?:label:\s*(\S+)", re.MULTILINE
)
EQUATION_LABEL = re.compile(r"\$\$\s*\((\S+)\)")
TARGET_LABEL = re.compile(r"^\((\S+)\)=\s*$", re.MULTILINE)
PROOF_KINDS_WITHOUT_CLAIM = {"prf:proof"}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def markdown_text(nb: dict) -> str:
    return "\n".join(
        "".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "markdown"
    )


def claims(nb: dict) -> dict[str, str]:
    """Map each numbered claim's label to its kind (prf:theorem, exercise, ...)."""
    found = {}
    for kind, label in CLAIM_BLOCK.findall(markdown_text(nb)):
        if kind not in PROOF_KINDS_WITHOUT_CLAIM:
            found[label] = kind
    return found


def all_labels() -> set[str]:
    labels: set[str] = set()
    for path in CHAPTERS:
        text = markdown_text(load(path))
        labels |= {label for _, label in CLAIM_BLOCK.findall(text)}
        labels |= set(EQUATION_LABEL.findall(text)) | set(TARGET_LABEL.findall(text))
    return labels


def verified_labels(nb: dict) -> list[str]:
    return [
        tag.split(":", 1)[1]
        for cell in nb["cells"]
        for tag in cell.get("metadata", {}).get("tags", [])
        if tag.startswith("verifies:")
    ]


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
    unknown = sorted(set(verified_labels(load(path))) - all_labels())
    assert not unknown, f"verifies: tags that name no label in the book: {unknown}"


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
