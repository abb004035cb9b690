"""Accessibility fixes for what the theme and docutils emit (found by axe-core in the browser test).

- Bibliography entries: docutils marks each one ``role="doc-biblioentry"`` inside a
  ``role="list"`` container; that DPub role is deprecated and is not a list item, so axe reports
  a critical ``aria-required-children`` violation. Entries are marked ``role="listitem"``.
- Theme buttons whose accessible name differs from their visible text (search, colour mode)
  are overridden by the templates in ``_ext/templates/``.
- The book's title link at the top of the sidebar stood outside every landmark (axe ``region``,
  moderate); ``_ext/templates/navbar-logo.html`` wraps it in a ``<nav>`` named "Book home".
- Links inside tinted theorem boxes get a darker colour (``_vendor/book.css``) for contrast.
- Folded code cells: myst-nb names each fold's ``<summary>`` "Toggle hidden content" while it
  shows "Show code cell source", so axe reports ``label-content-name-mismatch`` (serious) on
  every fold. The ``aria-label`` is dropped: the visible text is then the accessible name.
"""

from __future__ import annotations

from typing import Any


def _biblio_roles(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        body = context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')
    if body and '<summary aria-label="Toggle hidden content">' in body:
        context["body"] = body.replace('<summary aria-label="Toggle hidden content">', "<summary>")


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _biblio_roles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
