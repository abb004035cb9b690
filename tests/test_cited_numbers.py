"""Numbers that readers cite never move.

``cited_numbers.json`` records every number the site showed when it was published (version
0.1.0 onwards): theorems, definitions, exercises, figures and equations, keyed by page and label.
The built site must still show each of them with the same number and under the same label. New
results may be added (with new numbers after the existing ones); none may be renumbered, renamed
or dropped. A withdrawn or merged result keeps its block, and the errata page says where it went.

When a chapter is appended, add its numbers to the record::

    python tests/test_cited_numbers.py --add-new
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from site_numbers import ROOT, numbered_chapters, site_numbers

RECORD = Path(__file__).with_name("cited_numbers.json")
SITE = ROOT / "_build" / "html"


def _built_numbers() -> dict[str, str]:
    pages = [SITE / f"{doc}.html" for doc in numbered_chapters()]
    if not all(page.exists() for page in pages):
        message = "site not built (python3 tasks.py site)"
        if os.environ.get("MSE_BOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return site_numbers(SITE, numbered_chapters())


def test_record_is_not_empty():
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    assert len(record) >= 201, "the record of published numbers lost entries"


def test_every_published_number_is_unchanged():
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    built = _built_numbers()
    missing = sorted(key for key in record if key not in built)
    assert not missing, f"published results no longer on the site: {missing}"
    moved = {key: (record[key], built[key]) for key in record if built[key] != record[key]}
    assert not moved, f"published numbers that moved (was, now): {moved}"


def test_no_two_results_share_a_number():
    built = _built_numbers()
    seen: dict[tuple[str, str], str] = {}
    for key, number in built.items():
        chapter = key.split(":", 1)[0]
        other = seen.setdefault((chapter, number), key)
        assert other == key, f"{other} and {key} both show {number}"


if __name__ == "__main__" and sys.argv[1:] == ["--add-new"]:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    built = site_numbers(SITE, numbered_chapters())
    added = {k: v for k, v in built.items() if k not in record}
    record.update(added)
    RECORD.write_text(json.dumps(dict(sorted(record.items())), indent=1, ensure_ascii=False) + "\n")
    print(f"added {len(added)} numbers to {RECORD.name}")
