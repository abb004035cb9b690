"""The API reference (api.md) documents every public name of mselib, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mselib

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "api.md"
SITE = ROOT / "_build" / "html"
_ENTRY = re.compile(r"^\.\. auto(?P<kind>function|class):: mselib\.(?P<name>\w+)$", re.MULTILINE)


def documented() -> dict[str, str]:
    return {m["name"]: m["kind"] for m in _ENTRY.finditer(PAGE.read_text(encoding="utf-8"))}


def test_every_public_name_is_on_the_api_page_once():
    entries = _ENTRY.findall(PAGE.read_text(encoding="utf-8"))
    names = [name for _, name in entries]
    assert len(names) == len(set(names)), "a name is documented twice"
    assert sorted(names) == sorted(mselib.__all__)


def test_classes_and_functions_are_documented_as_such():
    for name, kind in documented().items():
        assert (kind == "class") == isinstance(getattr(mselib, name), type), name


@pytest.mark.skipif(not (SITE / "api.html").exists(), reason="site not built (_build/html)")
def test_built_page_has_an_entry_with_signature_for_every_name():
    html = (SITE / "api.html").read_text(encoding="utf-8")
    missing = [name for name in mselib.__all__ if f'id="mselib.{name}"' not in html]
    assert not missing, f"no entry on the built API page for {missing}"


@pytest.mark.skipif(not (SITE / "api.html").exists(), reason="site not built (_build/html)")
def test_chapters_link_to_the_api_page():
    # `ml.mse` in a chapter's text is a link to the function's entry (_ext/api_links.py).
    linked = set()
    for page in (SITE / "chapters").glob("*.html"):
        linked |= set(re.findall(r'href="\.\./api\.html#mselib\.(\w+)"', page.read_text()))
    assert {"mse", "ols", "huber", "numerical_gradient"} <= linked, sorted(linked)
    assert linked <= set(mselib.__all__)
