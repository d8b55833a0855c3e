"""The source code the parity report shows side by side: a scratch component and its twin.

Scratch and torch_ref sources come from ``inspect.getsource``. A torch built-in twin shows
torch's own Python source when it has one (``torch.nn.ReLU``), else (C++ ops such as
``torch.sigmoid``) its signature and docstring; the label says which. Long sources are cut
at ``MAX_LINES`` so the page stays a reasonable size; the label says where the rest lives.
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import linecache
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MAX_LINES = 120
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Source:
    label: str  # what is shown: "scratch source", "torch's Python source", "docstring", ...
    code: str
    language: str  # "python" or "text"
    lines: int  # lines in the full source (before any cut)
    shown: int  # lines shown (at most MAX_LINES)


def resolve(dotted: str):
    """The object a dotted name denotes, preferring an attribute over a same-named module.

    ``torch.autograd.gradcheck`` is both a module and the function torch exports from it;
    the catalog means the function.
    """
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            for attr in parts[i:]:
                obj = getattr(obj, attr)
            return obj
        except (ImportError, AttributeError):
            continue
    return importlib.import_module(dotted)


def _where(obj, line: int) -> str:
    """The file as a reader finds it: relative to the project, or to site-packages."""
    file = inspect.getsourcefile(obj) or "?"
    for marker in (f"{ROOT}/", "site-packages/", "dist-packages/"):
        file = file.split(marker, 1)[-1]
    return f"{file}:{line}"


def _cut(code: str) -> tuple[str, int, int]:
    lines = code.splitlines()
    if len(lines) <= MAX_LINES:
        return code, len(lines), len(lines)
    rest = len(lines) - MAX_LINES
    cut = "\n".join(lines[:MAX_LINES]) + f"\n# ... {rest} more lines (see the file)\n"
    return cut, len(lines), MAX_LINES


@cache
def _class_spans(file: str) -> dict[str, tuple[int, int]]:
    """{qualname: (first line, last line)} of every class in a file, from one parse.

    inspect.getsourcelines re-parses the whole file for each class it looks up; torch's
    activation.py alone holds a dozen of the catalog's twins.
    """
    with open(file, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    spans: dict[str, tuple[int, int]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                spans[prefix + child.name] = (first, child.end_lineno or child.lineno)
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return spans


def _source_lines(obj) -> tuple[list[str], int]:
    """inspect.getsourcelines, with classes found through the cached per-file index."""
    if inspect.isclass(obj):
        file = inspect.getsourcefile(obj)
        span = _class_spans(file).get(obj.__qualname__) if file else None
        if span:
            lines = linecache.getlines(file)[span[0] - 1 : span[1]]
            return lines, span[0]
    return inspect.getsourcelines(obj)


@cache
def source_of(dotted: str) -> Source:
    """The source to show for a catalog name, labelled with what it is and where it lives."""
    try:
        obj = resolve(dotted)
    except (ImportError, AttributeError) as exc:
        return Source(f"{dotted} does not resolve ({exc})", "", "text", 0, 0)
    top = dotted.split(".", 1)[0]
    kind = {"scratch": "scratch (NumPy)", "torch_ref": "torch_ref twin"}.get(top)
    kind = kind or f"{top}'s own Python source"
    try:
        lines, start = _source_lines(obj)
        code, count, shown = _cut("".join(lines))
        return Source(f"{kind} · {_where(obj, start)}", code, "python", count, shown)
    except (TypeError, OSError):
        pass
    try:
        signature = f"{dotted.rsplit('.', 1)[-1]}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        signature = dotted
    doc = inspect.getdoc(obj) or "(no docstring)"
    code, count, shown = _cut(f"{signature}\n\n{doc}")
    label = f"{top} built-in (compiled, no Python source): signature and docstring"
    return Source(label, code, "text", count, shown)


@cache
def highlight_css() -> str:
    try:
        from pygments.formatters import HtmlFormatter
    except ImportError:
        return ""
    return HtmlFormatter(style="friendly").get_style_defs(".hl")


def highlight(source: Source) -> str:
    """HTML of the code (Pygments when installed; escaped plain text otherwise)."""
    try:
        from pygments import highlight as pyg_highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer, TextLexer
    except ImportError:
        return f'<pre class="hl">{html.escape(source.code)}</pre>'
    lexer = PythonLexer() if source.language == "python" else TextLexer()
    return pyg_highlight(source.code, lexer, HtmlFormatter(cssclass="hl", style="friendly"))
