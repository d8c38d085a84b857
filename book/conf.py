"""Sphinx configuration of the course site (``make book``).

The site is built from the repository root (``sphinx-build -c book . build/book/html``) so that
the links written for GitHub and JupyterLab (``notebooks/01_x.ipynb`` in the README,
``../docs/x.md`` in a notebook) resolve unchanged. Notebooks are rendered from their saved outputs,
never executed. Nothing in notebooks/, docs/ or README.md is rewritten on disk: the sidebar and the
widget notes are added to the text that Sphinx reads, in memory (see ``_on_source_read``). The
sidebar is globbed at each build, so build with ``-E`` (as ``make book`` does) for a new docs/ page
to appear on every page.
"""

from __future__ import annotations

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent

project = "Implicit neural representations: an open course"
author = "the course authors"
copyright = "the course authors, MIT licence"

extensions = ["myst_nb"]
root_doc = "README"
# Only the course's pages; everything else in the repository is not a page (links to a .py file or
# to the Makefile become download links).
include_patterns = ["README.md", "notebooks/[0-9]*.ipynb", "docs/**.md", "data/README.md"]
exclude_patterns = [
    ".venv",
    "build",
    ".git",
    "**/.ipynb_checkpoints",
    "book",
    "tests",
    "inrutils",
    "scripts",
]

# Rendered from the saved outputs of `make notebooks` (the default tier): no kernel is started.
nb_execution_mode = "off"
nb_merge_streams = True
nb_output_stderr = "show"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

html_theme = "sphinx_book_theme"
html_title = "INR course"
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,
    "show_toc_level": 2,
}
# An explicit mode: with none, pydata-sphinx-theme logs "Got invalid theme mode" as a console error.
html_context = {"default_mode": "auto"}
html_last_updated_fmt = None
html_copy_source = True
html_show_sourcelink = False

WIDGET_NOTE = (
    "```{note}\n"
    "**Live in JupyterLab.** In JupyterLab this cell shows sliders that redraw the figure above "
    "(each move re-runs the drawing). A web page cannot run Python, so the site shows the figure "
    "from the saved run instead: open the notebook in JupyterLab (`make lab`) to move them.\n"
    "```\n"
)
_WIDGET_REPR = re.compile(r"^\s*\[?['\"]?(interactive|VBox|HBox|Box|Output|GridBox)\(children=")


# A call that shows a widget UI: inrutils.widgets.explore, or ipywidgets' interact / interactive.
_WIDGET_CALL = re.compile(
    r"^(?!\s*(def|from|import)\b).*\b(explore|interact|interactive)\(", re.MULTILINE
)


def _is_widget_cell(cell: dict) -> bool:
    """A code cell that shows an ipywidgets UI: by its call, or by its saved output (a view or its
    repr)."""
    if cell.get("cell_type") != "code":
        return False
    source = cell.get("source", "")
    if _WIDGET_CALL.search("".join(source) if isinstance(source, list) else source):
        return True
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "application/vnd.jupyter.widget-view+json" in data:
            return True
        text = data.get("text/plain", "")
        text = "".join(text) if isinstance(text, list) else text
        if _WIDGET_REPR.match(text):
            return True
    return False


def _widget_notes(source: str) -> str:
    """Hide the text repr of each widget cell's output and put a note after the cell."""
    nb = json.loads(source)
    cells = []
    for i, cell in enumerate(nb["cells"]):
        cells.append(cell)
        if _is_widget_cell(cell):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if "remove-output" not in tags:
                tags.append("remove-output")
            cells.append(
                {
                    "cell_type": "markdown",
                    "id": f"widget-note-{i}",
                    "metadata": {},
                    "source": WIDGET_NOTE,
                }
            )
    nb["cells"] = cells
    return json.dumps(nb)


def _title(path: pathlib.Path) -> str:
    """The sidebar caption of a docs/ sub-folder."""
    return {"fidelity": "Fidelity tables (paper, official code, ours)"}.get(
        path.name, path.name.replace("_", " ").capitalize()
    )


# Reference pages whose name holds one of these words come first, in this order; the rest follow by
# name.
DOC_ORDER = ["reference", "glossary", "instructor", "library", "result", "benchmark"]


def _doc_rank(doc: str) -> tuple[int, str]:
    name = doc.rsplit("/", 1)[-1].lower()
    return next((i for i, word in enumerate(DOC_ORDER) if word in name), len(DOC_ORDER)), name


def _sidebar() -> str:
    """Hidden toctrees appended to the README: notebooks in teaching order, then docs/ (globbed)."""

    def toctree(caption: str, docs: list[str]) -> str:
        if not docs:
            return ""
        return (
            "\n```{toctree}\n:hidden:\n:maxdepth: 1\n:caption: "
            + caption
            + "\n\n"
            + "\n".join(docs)
            + "\n```\n"
        )

    notebooks = sorted(
        p.with_suffix("").relative_to(ROOT).as_posix()
        for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")
    )
    docs_dir = ROOT / "docs"
    top = sorted(
        (p.with_suffix("").relative_to(ROOT).as_posix() for p in docs_dir.glob("*.md")),
        key=_doc_rank,
    )
    if (ROOT / "data" / "README.md").exists():
        top.append("data/README")
    text = toctree("Notebooks", notebooks) + toctree("Reference", top)
    for sub in sorted(p for p in docs_dir.glob("*") if p.is_dir()):
        pages = sorted(p.with_suffix("").relative_to(ROOT).as_posix() for p in sub.rglob("*.md"))
        text += toctree(_title(sub), pages)
    return text


def _on_source_read(app, docname: str, source: list[str]) -> None:
    if docname == root_doc:
        source[0] = source[0] + "\n" + _sidebar()
    elif docname.startswith("notebooks/"):
        source[0] = _widget_notes(source[0])


def _directory_links_transform():
    """A post-transform that runs before MyST resolves links (its priority is 9).

    A link to a repository folder (``data/``: fine on GitHub) has no page here: it goes to the
    folder's README page when the site has one, and is kept as plain text otherwise.
    """
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class DirectoryLinks(SphinxPostTransform):
        default_priority = 8

        def run(self, **kwargs) -> None:
            for node in list(self.document.findall(addnodes.pending_xref)):
                if node.get("reftype") != "myst" or node.get("refdomain"):
                    continue
                target = node["reftarget"].split("#")[0]
                refdoc = node.get("refdoc", self.env.docname)
                folder = (
                    (pathlib.Path(self.env.doc2path(refdoc)).parent / target).resolve()
                    if target
                    else None
                )
                if folder is None or not folder.is_dir():
                    continue
                readme = folder / "README.md"
                page = self.env.path2doc(str(readme)) if readme.is_file() else None
                if page and page in self.env.all_docs:
                    uri = self.app.builder.get_relative_uri(self.env.docname, page)
                    node.replace_self(
                        nodes.reference("", "", *node.children, refuri=uri, internal=True)
                    )
                else:
                    node.replace_self(node.children)

    return DirectoryLinks


def _on_build_finished(app, exception) -> None:
    """index.html sends the visitor to the README page (the course's home)."""
    if exception is None and app.builder.format == "html":
        target = app.builder.get_target_uri(root_doc)
        (pathlib.Path(app.outdir) / "index.html").write_text(
            f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{project}</title>'
            f'<meta http-equiv="refresh" content="0; url={target}"></head>'
            f'<body><a href="{target}">{project}</a></body></html>\n'
        )


def setup(app):
    # The README's ```mermaid``` diagram is drawn by GitHub; here it stays as its text (the README
    # gives a plain-text reading under it), without a "lexer not known" warning.
    from pygments.lexers.special import TextLexer

    app.add_lexer("mermaid", TextLexer)
    app.connect("source-read", _on_source_read)
    app.add_post_transform(_directory_links_transform())
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
