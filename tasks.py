#!/usr/bin/env python3
"""One entry point for readers and CI, needing nothing but Python 3.10+.

    python3 tasks.py site    build the website into _build/html
    python3 tasks.py test    run every test: mselib, doctests, every notebook (nbval)
    python3 tasks.py lab     open the chapters in JupyterLab
    python3 tasks.py pdf     build the book as one PDF: _build/latex/mse-textbook.pdf
                             (needs XeLaTeX: see PDF_PACKAGES below)
    python3 tasks.py setup   only create the environment

Each command first makes sure an isolated virtual environment exists (``.venv`` next
to this file, or the folder named by ``MSE_BOOK_VENV``) with ``requirements.txt``
installed. The environment is reinstalled only when ``requirements.txt`` or
``pyproject.toml`` change. Extra arguments are passed on: ``python3 tasks.py test -k mse``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("MSE_BOOK_VENV", ROOT / ".venv")).resolve()
STAMP = VENV / ".requirements.sha256"
SCRIPTS = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = SCRIPTS / ("python.exe" if os.name == "nt" else "python")
# The TeX the PDF needs, as Debian packages (fonts-freefont-otf: the Unicode fonts the
# book's LaTeX class asks for).
PDF_PACKAGES = (
    "texlive-xetex texlive-latex-extra texlive-fonts-recommended texlive-plain-generic "
    "latexmk fonts-freefont-otf"
)


def run(*command: str | os.PathLike[str]) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    completed = subprocess.run([str(part) for part in command], cwd=ROOT)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def requirements_digest() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def setup() -> None:
    if sys.version_info < (3, 10):  # noqa: UP036  (this file may be run by an older Python)
        sys.exit(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}.")
    wanted = requirements_digest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-r", ROOT / "requirements.txt")
    # Matplotlib builds its font cache on first import and says so on stderr; do it
    # now so that no notebook output depends on whether this is the first run.
    run(PYTHON, "-c", "import matplotlib.pyplot")
    STAMP.write_text(wanted)


def check_tex() -> None:
    missing = [tool for tool in ("xelatex", "latexmk") if shutil.which(tool) is None]
    if missing:
        sys.exit(
            f"The PDF needs {' and '.join(missing)}, not found on PATH. On Debian or Ubuntu:\n"
            f"    sudo apt-get install --no-install-recommends {PDF_PACKAGES}"
        )


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"setup", "site", "test", "lab", "pdf"}:
        sys.exit(__doc__)
    command, extra = argv[0], argv[1:]
    setup()
    if command == "test":
        # Two workers, each taking whole files: a notebook's cells share one kernel, so a
        # notebook must never be split across workers (pass -n 0 to run serially).
        run(PYTHON, "-m", "pytest", "-n", "2", "--dist", "loadfile", *extra)
    elif command == "site":
        build = ("build", "--warningiserror", "--keep-going", "-n")
        run(SCRIPTS / "jupyter-book", *build, *extra, ROOT)
        print(f"\nThe site is at {ROOT / '_build' / 'html' / 'index.html'}")
    elif command == "pdf":
        check_tex()
        build = ("build", "--builder", "pdflatex", "--warningiserror", "--keep-going", "-n")
        run(SCRIPTS / "jupyter-book", *build, *extra, ROOT)
        print(f"\nThe PDF is at {ROOT / '_build' / 'latex' / 'mse-textbook.pdf'}")
    elif command == "lab":
        run(SCRIPTS / "jupyter", "lab", *extra, ROOT / "chapters")


if __name__ == "__main__":
    main(sys.argv[1:])
