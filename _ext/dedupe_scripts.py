"""Drop repeated inline scripts from each page.

sphinx-thebe and sphinx-togglebutton both register their inline configuration
scripts twice under Jupyter Book 1.x, so every page declared ``const THEBE_JS_URL``
twice and the browser reported a SyntaxError in the console. Identical scripts are
kept once, in their first position.
"""

from __future__ import annotations

from typing import Any


def _drop_repeats(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        # The two copies differ only in filename None vs "": both mean an inline script.
        filename = str(getattr(script, "filename", script) or "")
        key = (filename, tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _drop_repeats, priority=1000)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
