"""A reproducibility receipt in the footer of every page.

The footer names the book's version (from ``CITATION.cff``), the git commit the site was built
from, and the installed ``mselib`` version, so that a reader can tell whether the outputs they
get locally should match the ones on the page. ``MSE_BOOK_COMMIT`` overrides the commit (for a
build from an exported tree without ``.git``).
"""

from __future__ import annotations

import html
import os
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from book_citation import load_cff


def git_commit(srcdir: str | Path) -> str:
    """Short hash of HEAD, with ``+modified`` when tracked files differ from it."""
    if os.environ.get("MSE_BOOK_COMMIT"):
        return os.environ["MSE_BOOK_COMMIT"]

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=srcdir, capture_output=True, text=True, check=True, timeout=10
        )
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+modified" if dirty else head


def mselib_version() -> str:
    try:
        return metadata.version("mselib")
    except metadata.PackageNotFoundError:
        return "not installed"


def receipt_html(book_version: str, commit: str, lib_version: str) -> str:
    parts = (
        f"Book version {html.escape(book_version)}",
        f"built from commit <code>{html.escape(commit)}</code>",
        f"with mselib {html.escape(lib_version)}",
    )
    return '<p class="build-receipt">' + " · ".join(parts) + ".</p>"


def config_inited(app: Any, config: Any) -> None:
    cff = load_cff(Path(app.srcdir) / "CITATION.cff")
    receipt = receipt_html(str(cff["version"]), git_commit(app.srcdir), mselib_version())
    options = dict(config.html_theme_options or {})
    options["extra_footer"] = (options.get("extra_footer") or "") + receipt
    config.html_theme_options = options


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
