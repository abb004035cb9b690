"""Keep every page free of third-party addresses while live code (thebe) is off.

Jupyter Book always loads sphinx-thebe. Even with ``launch_buttons: thebe: false`` every page
carried an inline script naming ``https://unpkg.com/thebe@.../index.js``, the sphinx-thebe
script and stylesheet, and a ``text/x-thebe-config`` block naming a public Binder repository.
None of them fetches anything unless a thebe button is pressed, and there is no such button,
so they are dropped: a page read offline then names no host but its own (links a reader may
click excepted).
"""

from __future__ import annotations

import re
from typing import Any

_THEBE_CONFIG = re.compile(r'\s*<script type="text/x-thebe-config">.*?</script>', re.S)


def _thebe_enabled(app: Any) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def _is_thebe(asset: Any) -> bool:
    filename = str(getattr(asset, "filename", asset) or "")
    body = str((getattr(asset, "attributes", {}) or {}).get("body", ""))
    return "sphinx-thebe" in filename or "THEBE_JS_URL" in body


def _drop_thebe(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if _thebe_enabled(app):
        return
    for key in ("script_files", "css_files"):
        if context.get(key):
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]
    body = context.get("body")
    if body and "x-thebe-config" in body:
        context["body"] = _THEBE_CONFIG.sub("", body)


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _drop_thebe, priority=1000)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
