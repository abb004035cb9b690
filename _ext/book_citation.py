"""Citations generated from ``CITATION.cff``, so that they are never typed twice.

- ``CITATION.cff`` is validated against the Citation File Format 1.2.0 schema
  (``cff-schema-1.2.0.json`` beside this file) when the book is built; an invalid file stops
  the build.
- The substitutions ``{{ book_version }}``, ``{{ book_date }}`` and ``{{ book_title }}`` are
  available on every page.
- The directive ``{citation-bibtex}`` (option ``:scope: book`` or ``:scope: chapters``) is
  replaced by BibTeX for the book or for every numbered chapter, with the chapter numbers and
  titles that Sphinx itself resolved from the table of contents.

The pure functions (``load_cff``, ``validate_cff``, ``bibtex_book``, ``bibtex_chapter``) are
also used by ``tests/test_citation.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, ClassVar

import yaml
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

SCHEMA_PATH = Path(__file__).with_name("cff-schema-1.2.0.json")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$"}


def load_cff(path: str | Path) -> dict[str, Any]:
    """Read ``CITATION.cff``; dates stay strings, as the schema expects."""
    text = Path(path).read_text(encoding="utf-8")
    # YAML turns an unquoted 2026-11-24 into a date; the schema wants the string.
    data = yaml.load(text, Loader=_StringDateLoader)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a YAML mapping, got {type(data).__name__}")
    return data


class _StringDateLoader(yaml.SafeLoader):
    pass


_StringDateLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def validate_cff(data: dict[str, Any]) -> list[str]:
    """Return the schema violations of a parsed ``CITATION.cff`` (empty when valid)."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]


def _tex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def _author(person: dict[str, Any]) -> str:
    if "name" in person:  # an entity: braces keep BibTeX from splitting it into names
        return "{" + _tex(person["name"]) + "}"
    family = " ".join(str(person[k]) for k in ("name-particle", "family-names") if k in person)
    given = str(person.get("given-names", "")).strip()
    name = f"{family}, {given}" if given else family
    suffix = person.get("name-suffix")
    return _tex(f"{family}, {suffix}, {given}" if suffix else name)


def _common_fields(cff: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    released = dt.date.fromisoformat(str(cff["date-released"]))
    key = f"mse_textbook_{released.year}"
    fields = [
        ("author", " and ".join(_author(a) for a in cff["authors"])),
        ("year", str(released.year)),
        ("month", MONTHS[released.month - 1]),
        ("version", str(cff["version"])),
        ("date", released.isoformat()),
        ("note", f"Version {cff['version']}, released {released.isoformat()}"),
    ]
    if cff.get("url"):
        fields.append(("url", str(cff["url"])))
    if cff.get("doi"):
        fields.append(("doi", str(cff["doi"])))
    return key, fields


def _entry(kind: str, key: str, fields: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in fields)
    lines = [f"@{kind}{{{key},"]
    for name, value in fields:
        # A month macro (nov) is written bare; everything else is braced.
        text = value if name == "month" else "{" + value + "}"
        lines.append(f"  {name.ljust(width)} = {text},")
    lines.append("}")
    return "\n".join(lines)


def bibtex_book(cff: dict[str, Any]) -> str:
    """BibTeX ``@book`` entry for the whole book."""
    key, fields = _common_fields(cff)
    return _entry("book", key, [("title", "{" + _tex(cff["title"]) + "}"), *fields])


def bibtex_chapter(cff: dict[str, Any], number: int, title: str) -> str:
    """BibTeX ``@incollection`` entry for chapter ``number`` titled ``title``."""
    key, fields = _common_fields(cff)
    head = [
        ("title", "{" + _tex(title) + "}"),
        ("booktitle", "{" + _tex(cff["title"]) + "}"),
        ("chapter", str(number)),
    ]
    return _entry("incollection", f"{key}_ch{number:02d}", [*head, *fields])


# --- Sphinx glue ------------------------------------------------------------------------


class citation_placeholder(nodes.General, nodes.Element):
    """Stands for a BibTeX block until every chapter title is known."""


class CitationBibtex(SphinxDirective):
    option_spec: ClassVar[dict] = {
        "scope": lambda arg: directives.choice(arg, ("book", "chapters"))
    }

    def run(self) -> list[Any]:
        self.env.note_dependency(str(Path(self.env.srcdir) / "CITATION.cff"))
        node = citation_placeholder()
        node["scope"] = self.options.get("scope", "book")
        return [node]


def _sphinx_setup(app: Any) -> None:
    def config_inited(app: Any, config: Any) -> None:
        path = Path(app.srcdir) / "CITATION.cff"
        cff = load_cff(path)
        problems = validate_cff(cff)
        if problems:
            raise ExtensionError(f"{path} is not valid CFF 1.2.0: " + "; ".join(problems))
        app.book_cff = cff
        subs = dict(getattr(config, "myst_substitutions", None) or {})
        subs.update(
            book_title=str(cff["title"]),
            book_version=str(cff["version"]),
            book_date=str(cff["date-released"]),
        )
        config.myst_substitutions = subs

    def chapters(env: Any) -> list[tuple[int, str]]:
        found = []
        for docname, numbers in env.toc_secnumbers.items():
            top = numbers.get("")
            if top and len(top) == 1 and docname in env.titles:
                found.append((top[0], env.titles[docname].astext()))
        return sorted(found)

    def resolve(app: Any, doctree: Any, docname: str) -> None:
        for node in list(doctree.findall(citation_placeholder)):
            cff = app.book_cff
            if node["scope"] == "book":
                text = bibtex_book(cff)
            else:
                text = "\n\n".join(bibtex_chapter(cff, n, t) for n, t in chapters(app.env))
            block = nodes.literal_block(text, text, language="bibtex")
            block["classes"].append(f"citation-bibtex-{node['scope']}")
            node.replace_self(block)

    def always_outdated(app: Any, env: Any, added: Any, changed: Any, removed: Any) -> list:
        # The page lists every chapter's title: rebuild it whenever anything is rebuilt.
        return [d for d in app.config.book_citation_pages if d in env.found_docs]

    app.add_config_value("book_citation_pages", ["cite"], "env")
    app.add_node(citation_placeholder)
    app.add_directive("citation-bibtex", CitationBibtex)
    app.connect("config-inited", config_inited)
    app.connect("doctree-resolved", resolve)
    app.connect("env-get-outdated", always_outdated)


def setup(app: Any) -> dict[str, Any]:
    _sphinx_setup(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
