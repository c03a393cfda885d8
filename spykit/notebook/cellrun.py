"""Run a cell's code in the live shell, the way IPython itself would, but from inside a cell magic.

Why not ``shell.run_cell(cell)`` (as ipytest and pyinstrument do)? A nested ``run_cell`` catches
the cell's exception and prints it, so the outer cell counts as a success (Run All carries on
past a failure), and it does IPython's bookkeeping (events, history, output) inside the region we
trace. Here the cell is transformed, parsed and compiled beforehand, exactly as ``run_cell`` would
(input transformers for ``!cmd`` and ``%magic`` lines, AST transformers, ``__future__`` flags,
``ast_node_interactivity``), and then only the compiled code runs while traced:

- variables land in the user namespace, output goes where it always goes;
- an exception propagates out of the magic, so IPython shows it once and marks the cell failed;
- values that would be displayed (the last expression) are collected while the code runs and
  handed to the shell's display hook afterwards, so displaying them is not part of the trace.

Top-level ``await`` is not supported: the kernel's event loop is busy running this very cell.
"""

from __future__ import annotations

import ast
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

_ASSIGNMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)


class TopLevelAwait(SyntaxError):
    """The cell awaits at top level, which cannot run inside a traced cell."""


@dataclass
class PreparedCell:
    """A cell compiled and ready to run: code objects in order, each for exec or for display."""

    name: str  # the file name tracebacks show (``Cell In[5]``)
    steps: list[CodeType] = field(default_factory=list)


def _interactive_nodes(nodes: list[ast.stmt], interactivity: str) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """Split a cell's statements into those run silently and those whose values are displayed.

    The same rules as ``InteractiveShell.run_ast_nodes``.
    """
    if not nodes:
        return [], []
    if interactivity == "last_expr_or_assign":
        last = nodes[-1]
        target = None
        if isinstance(last, ast.Assign) and len(last.targets) == 1:
            target = last.targets[0]
        elif isinstance(last, ast.AnnAssign | ast.AugAssign):
            target = last.target
        if isinstance(target, ast.Name):
            show = ast.Expr(ast.Name(target.id, ast.Load()))
            ast.copy_location(show, last)
            ast.fix_missing_locations(show)
            nodes = [*nodes, show]
        interactivity = "last_expr"
    if interactivity == "last_expr":
        interactivity = "last" if isinstance(nodes[-1], ast.Expr) else "none"
    if interactivity == "none":
        return nodes, []
    if interactivity == "last":
        return nodes[:-1], nodes[-1:]
    if interactivity == "all":
        return [], nodes
    raise ValueError(f"unknown ast_node_interactivity {interactivity!r}")


def prepare_cell(shell: Any, cell: str) -> PreparedCell:
    """Transform, parse and compile ``cell`` as ``shell.run_cell`` would; raise SyntaxError if it is not valid.

    Line numbers in tracebacks match the notebook cell: the magic's own first line counts as line 1.
    """
    source = shell.transform_cell(cell)
    source = "\n" + source  # the %%magic line sits above the code
    name = shell.compile.cache(source, shell.execution_count, raw_code=cell)
    tree = shell.compile.ast_parse(source, filename=name)
    tree = shell.transform_ast(tree)
    if tree is None:  # an AST transformer refused the cell (InputRejected); it has already said why
        return PreparedCell(name)
    silent, shown = _interactive_nodes(list(tree.body), shell.ast_node_interactivity)
    prepared = PreparedCell(name)
    # Compile as IPython does, top-level await allowed, so that such a cell is recognised and refused clearly.
    with shell.compile.extra_flags(getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0) if shell.autoawait else 0):
        for node in silent:
            prepared.steps.append(shell.compile(ast.Module([node], []), name, "exec"))
        for node in shown:
            prepared.steps.append(shell.compile(ast.Interactive([node]), name, "single"))
    for code in prepared.steps:
        if code.co_flags & inspect.CO_COROUTINE:
            raise TopLevelAwait("top-level await cannot run under %%strace: put the code in a function "
                                "and call it (the kernel's event loop is busy running this cell)")
    return prepared


def run_prepared(shell: Any, prepared: PreparedCell, shown: list[Any]) -> None:
    """Run the compiled cell in the user's namespace; values to display are appended to ``shown``.

    Exceptions propagate unchanged. ``shown`` is filled as the code runs, so values displayed
    before an exception are kept.
    """
    __tracebackhide__ = True  # noqa: F841  (IPython hides this frame in tracebacks)

    def collect(value: Any) -> None:
        if value is not None:
            shown.append(value)

    saved: Callable[[Any], Any] = sys.displayhook
    sys.displayhook = collect
    try:
        for code in prepared.steps:
            exec(code, shell.user_global_ns, shell.user_ns)
    finally:
        sys.displayhook = saved


def display_values(shell: Any, values: list[Any]) -> None:
    """Show collected values as the cell itself would have: through the shell's display hook (``Out[n]``)."""
    for value in values:
        shell.displayhook(value)
