"""The PDF as the site shows it: unnumbered back matter, one bibliography, working references.

Only the LaTeX builder is touched. Without this extension the PDF differs from the site in these
ways:

* The back-matter pages (claims ledger, glossary, how to cite) come after the numbered
  chapters in the same LaTeX sequence, so LaTeX numbers them as chapters 9, 10, ... On the
  site they carry no number.
  A ``\\setcounter{secnumdepth}{-1}`` before the first unnumbered page stops the numbering there;
  the pages keep their entries in the table of contents.
* The Sphinx LaTeX builder gathers every citation into one ``thebibliography`` at the end of the
  book, which LaTeX prints under a heading of its own, so the PDF had two "Bibliography" chapters:
  the site's page, left empty, and the list. The list is moved back into the site's page, and a
  local definition of ``sphinxthebibliography`` drops its second heading and contents entry.
* A link to the index (``{ref}`genindex```) has no target in LaTeX, where the index is a list
  at the end of the book rather than a page; it printed as the raw word "genindex" and is now
  the word "Index".
* A ``{numref}`` to an exercise on another page (the claims ledger cites every exercise) was
  printed by Sphinx as "Exercise \\ref{<page>:<label>}", a label LaTeX never defines: exercises
  carry sphinx-exercise's own ``exercise:<label>``, and LaTeX has no exercise counter. Such a
  reference becomes sphinx-exercise's own reference node, which prints the number Sphinx
  computed (the site's) and links to ``exercise:<label>``.
* A formula that a code cell displays (SymPy's output) can be wider than the page: the site
  scrolls it, the PDF cut it off at the margin (200 pt too wide in chapter 6). Such a formula is
  now set in a box that is scaled down to the line width when, and only when, it is wider.

A page is "numbered" when Sphinx gave it section numbers (``env.toc_secnumbers``), which is what
the site shows; the bibliography page is the one holding a ``{bibliography}`` directive.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.builders.latex.nodes import thebibliography
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx_exercise.nodes import exercise_enumerable_node, exercise_latex_number_reference

_STOP_NUMBERING = "\\setcounter{secnumdepth}{-1}\n"
# The list of references without the heading and contents line that LaTeX's thebibliography
# adds: the page it is placed in already has both.
_LIST_WITHOUT_HEADING = (
    "\\renewenvironment{sphinxthebibliography}[1]"
    "{\\def\\chapter##1##2{}\\begin{thebibliography}{#1}}{\\end{thebibliography}}\n"
)


def _bibliography_docnames(env: Any) -> set[str]:
    domain = env.get_domain("cite")
    return {key.docname for key in domain.bibliographies}


def _is_numbered(env: Any, docname: str) -> bool:
    return any(env.toc_secnumbers.get(docname, {}).values())


def _insert_before(node: nodes.Node, latex: str) -> None:
    node.parent.insert(node.parent.index(node), nodes.raw("", latex, format="latex"))


def _chapters(transform: SphinxPostTransform) -> list[addnodes.start_of_file]:
    """The pages of the assembled book, or none when this is not the assembled book."""
    root = transform.config.root_doc
    if transform.app.project.path2doc(transform.document["source"]) != root:
        return []
    pages = transform.env.all_docs
    return [
        node
        for node in transform.document.findall(addnodes.start_of_file)
        if node.get("docname") != root and node.get("docname") in pages
    ]


class UnnumberedBackMatter(SphinxPostTransform):
    """Stop chapter numbering at the first page that the site leaves unnumbered."""

    # After sphinx_jupyterbook_latex (700), which arranges the assembled book.
    default_priority = 710
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for node in _chapters(self):
            if not _is_numbered(self.env, node["docname"]):
                _insert_before(node, _STOP_NUMBERING)
                return


class BibliographyInItsPage(SphinxPostTransform):
    """Put the list of references in the bibliography page, under that page's heading."""

    # After Sphinx's BibliographyTransform (750), which gathers the citations at the end.
    default_priority = 760
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        pages = _bibliography_docnames(self.env)
        page = next((node for node in _chapters(self) if node["docname"] in pages), None)
        references = [node for node in self.document.children if isinstance(node, thebibliography)]
        if page is None or not references:
            return
        section = next(iter(page.findall(nodes.section)))
        for node in references:
            self.document.remove(node)
            section += node
        _insert_before(references[0], _LIST_WITHOUT_HEADING)


class IndexLinkAsText(SphinxPostTransform):
    """Print a link to the index as the word "Index": LaTeX has no index page to link to."""

    # Before Sphinx's ReferencesResolver (10), which would leave the raw target name.
    default_priority = 5
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("refdomain") == "std" and node.get("reftarget") == "genindex":
                node.replace_self(nodes.inline("", "Index"))


class ExerciseReferencesAcrossPages(SphinxPostTransform):
    """Numbered references to exercises on other pages, as sphinx-exercise does on the same page."""

    # After sphinx-exercise's own link resolution (22).
    default_priority = 23
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in list(self.document.findall(addnodes.number_reference)):
            label = node.get("refid") or node.get("refuri", "").rpartition("#")[2]
            target = registry.get(label, {}).get("node")
            if not isinstance(target, exercise_enumerable_node):
                continue
            reference = exercise_latex_number_reference("", "", *node.children)
            reference["refid"] = label
            node.replace_self(reference)


# The formula in a box; shrunk to the line width only if it is wider (graphicx's \resizebox,
# which Sphinx's LaTeX always loads).
_FIT_TO_LINE = (
    "\\begin{center}\\sbox0{$%s$}%%\n"
    "\\ifdim\\wd0>\\linewidth\\resizebox{\\linewidth}{!}{\\usebox0}\\else\\usebox0\\fi\n"
    "\\end{center}\n"
)


class OutputFormulasFitTheLine(SphinxPostTransform):
    """Formulas displayed by code cells (``text/latex`` outputs) no wider than the line."""

    default_priority = 720
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(nodes.math_block)):
            if "text_latex" in node["classes"]:
                latex = node.astext().strip()
                if not latex.startswith("\\displaystyle"):
                    latex = "\\displaystyle " + latex
                node.replace_self(nodes.raw("", _FIT_TO_LINE % latex, format="latex"))


def setup(app: Any) -> dict[str, Any]:
    app.add_post_transform(OutputFormulasFitTheLine)
    app.add_post_transform(ExerciseReferencesAcrossPages)
    app.add_post_transform(IndexLinkAsText)
    app.add_post_transform(UnnumberedBackMatter)
    app.add_post_transform(BibliographyInItsPage)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
