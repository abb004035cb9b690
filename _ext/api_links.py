"""Link every mention of an mselib function in the chapters' prose to the API reference.

A chapter names the function it checks against as inline code, ``ml.mse`` or
``ml.ols(X, y)`` (or ``mselib.…``). When a page is read, each such literal whose name is in
``mselib.__all__`` becomes a cross-reference to that function's entry on the API page
(``api.md``), so a reader goes from the claim to the code's signature, errors and examples in
one click. Literals that name anything else are left alone.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx import addnodes

_MENTION = re.compile(r"^(?:ml|mselib)\.(?P<name>[A-Za-z_]\w*)(?:\(.*\))?$")


def link_mentions(app: Any, doctree: nodes.document) -> None:
    if not app.env.docname.startswith("chapters/"):
        return
    import mselib

    public = set(mselib.__all__)
    for literal in list(doctree.findall(nodes.literal)):
        match = _MENTION.match(literal.astext())
        if not match or match["name"] not in public or isinstance(literal.parent, nodes.reference):
            continue
        name = match["name"]
        kind = "class" if isinstance(getattr(mselib, name), type) else "func"
        xref = addnodes.pending_xref(
            "", refdomain="py", reftype=kind, reftarget=f"mselib.{name}", refexplicit=True,
            refwarn=True,
        )
        literal.replace_self(xref)
        xref += literal


def setup(app: Any) -> dict[str, Any]:
    app.connect("doctree-read", link_mentions)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
