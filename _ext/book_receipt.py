"""A reproducibility receipt in the footer of every page, and on the PDF's title page.

The receipt names the book's version (from ``CITATION.cff``), the git commit the book was built
from, and the installed ``mselib`` version, so that a reader can tell whether the outputs they
get locally should match the ones on the page. ``MSE_BOOK_COMMIT`` overrides the commit (for a
build from an exported tree without ``.git``). The PDF's title page shows it too: the version
under the title (and in the running head), the commit and mselib version beside the date.
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


def receipt_parts(srcdir: str | Path) -> tuple[str, str, str]:
    """Book version, commit and mselib version, as the receipt states them."""
    cff = load_cff(Path(srcdir) / "CITATION.cff")
    return str(cff["version"]), git_commit(srcdir), mselib_version()


def config_inited(app: Any, config: Any) -> None:
    app.book_receipt = receipt_parts(app.srcdir)
    options = dict(config.html_theme_options or {})
    options["extra_footer"] = (options.get("extra_footer") or "") + receipt_html(*app.book_receipt)
    config.html_theme_options = options


def latex_title_page(app: Any) -> None:
    """The receipt on the PDF's title page: the version as LaTeX's release, the rest by the date.

    The release also goes into every page's running head, so it stays short.
    """
    if app.builder.name != "latex":
        return
    book_version, commit, lib_version = app.book_receipt
    context = app.builder.context
    context["releasename"] = "Version"
    context["release"] = book_version
    context["date"] = f"{context.get('date') or ''}\\\\ commit {commit}, mselib {lib_version}"


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", config_inited)
    app.connect("builder-inited", latex_title_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
