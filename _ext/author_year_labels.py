"""Bibliography labels that match the citations in the text: "[Huber, 1964]", not "[8]".

The chapters cite by author and year (``bibtex_reference_style: author_year``), but pybtex's
``plain`` style labels the entries of the list 1, 2, 3, ..., so a reader who sees
"[Legendre, 1805]" in the text finds "[9]" in the bibliography, on the site and in the PDF. This
registers the formatting style ``plain_author_year``: ``plain`` with labels built like the
citations (one author: "Huber, 1964"; two: "Lehmann and Casella, 1998"; three or more:
"Geman et al., 1992"). Two entries with the same label get "a", "b", ... after the year.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person: Any) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


def author_year_label(entry: Any) -> str:
    """The label of one entry: its authors' (or editors') surnames and its year."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(person) for person in people]
    if not names:
        who = entry.fields.get("organization") or entry.key
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels "Surname, year", with a letter after the year where two would be the same."""

    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        entries = list(sorted_entries)
        labels = [author_year_label(entry) for entry in entries]
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter[str] = Counter()
        for label in labels:
            if label in repeated:
                seen[label] += 1
                yield f"{label}{chr(ord('a') + seen[label] - 1)}"
            else:
                yield label


class PlainAuthorYearStyle(PlainStyle):
    """pybtex's ``plain`` formatting, sorted by author, labelled by author and year."""

    default_label_style = "mse_author_year"


def setup(app: Any) -> dict[str, Any]:
    register_plugin("pybtex.style.labels", "mse_author_year", AuthorYearLabelStyle, force=True)
    register_plugin(
        "pybtex.style.formatting", "plain_author_year", PlainAuthorYearStyle, force=True
    )
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
