"""How much of a chapter page is code, measured in a real browser.

A chapter page should keep the argument in front: prose, statements, derivation steps and
figures visible; plotting code and the bodies of check cells folded (``hide-input``). This
module loads pages of the built site in headless Chromium at 1280 x 900 and measures, per page:

* ``code_share``: the height of visible code-cell inputs over the height of the article;
* ``longest``: the number of lines of the longest visible code-cell input;
* ``scrolling``: code boxes (inputs, with folded ones opened, and text outputs) whose lines
  run past the column, so that they show a horizontal scrollbar;
* ``columns``: how many characters of code fit on one line of a code box.

``tests/browser/test_layout.py`` asserts the targets; run this file to see the figures::

    python tests/browser/layout.py                      # every chapter page
    python tests/browser/layout.py chapters/02_gradient.html
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("MSE_BOOK_SITE", ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = (
    os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)

# Targets (issue 16): a reader sees at most a quarter code, never scrolls sideways, and never
# meets a visible code cell of more than 30 lines.
MAX_CODE_SHARE = 0.25
MAX_VISIBLE_LINES = 30

MEASURE = """
const article = document.querySelector('article.bd-article') || document.querySelector('main');
const pageHeight = article.getBoundingClientRect().height;
let codeHeight = 0, visibleCells = 0, longest = 0;
for (const input of document.querySelectorAll('div.cell div.cell_input')) {
  const height = input.getBoundingClientRect().height;
  // Folded away: a closed <details> (Chromium may still lay its content out) or hidden.
  if (height === 0 || input.offsetParent === null || input.closest('details:not([open])')) {
    continue;
  }
  codeHeight += height;
  visibleCells += 1;
  const pre = input.querySelector('pre');
  const lines = pre ? pre.textContent.replace(/\\n$/, '').split('\\n').length : 0;
  longest = Math.max(longest, lines);
}
const folded = document.querySelectorAll('div.cell details').length;
const solutions = document.querySelectorAll('details.dropdown, div.dropdown').length;
// Open every fold and every solution: a reader who opens one must not scroll sideways either.
document.querySelectorAll('details').forEach((d) => { d.open = true; });
document.querySelectorAll('.dropdown, .toggle-hidden, .solution').forEach((el) => {
  el.classList.remove('toggle-hidden');
});
const boxes = [...document.querySelectorAll('div.cell pre')];
const scrolling = boxes.filter((p) => p.scrollWidth > p.clientWidth + 1);
let columns = null;
const probe = boxes.find((p) => p.clientWidth > 0);
if (probe) {
  const span = document.createElement('span');
  span.textContent = 'x'.repeat(100);
  probe.appendChild(span);
  const style = getComputedStyle(probe);
  const inner = probe.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  columns = Math.floor(inner / (span.getBoundingClientRect().width / 100));
  span.remove();
}
return {
  page_height: pageHeight, code_height: codeHeight, code_share: codeHeight / pageHeight,
  visible_cells: visibleCells, folded: folded, longest: longest, boxes: boxes.length,
  scrolling: scrolling.length,
  scrolling_starts: scrolling.slice(0, 5).map((p) => p.textContent.slice(0, 60)),
  columns: columns,
};
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(site: Path = SITE) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def chromium(logging: bool = False) -> Iterator[object]:
    """Headless Debian Chromium through Selenium and chromedriver, at 1280 x 900."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    if logging:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


WAIT_FOR_MATH = """
const done = arguments[arguments.length - 1];
const mj = window.MathJax;
if (mj && mj.startup && mj.startup.promise) {
  mj.startup.promise.then(() => done(true), () => done(false));
} else { done(null); }
"""


def measure_page(driver, url: str) -> dict:
    driver.get(url)
    driver.execute_async_script(WAIT_FOR_MATH)  # heights are final once the math is typeset
    return driver.execute_script(MEASURE)


def chapter_pages(site: Path = SITE) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in (site / "chapters").glob("*.html"))


def measure(pages: list[str], site: Path = SITE) -> dict[str, dict]:
    with serve(site) as base, chromium() as driver:
        return {page: measure_page(driver, base + page) for page in pages}


def table(figures: dict[str, dict]) -> str:
    names = ("code", "cells", "folded", "longest", "scroll", "cols")
    rows = [f"{'page':40} " + " ".join(f"{name:>7}" for name in names)]
    for page, f in figures.items():
        rows.append(
            f"{page:40} {f['code_share']:7.1%} {f['visible_cells']:7d} {f['folded']:7d} "
            f"{f['longest']:7d} {f['scrolling']:7d} {f['columns'] or 0:7d}"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(measure(sys.argv[1:] or chapter_pages())))
