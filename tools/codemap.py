"""A map of spykit's own code: which module imports which, and the largest functions.

    python tools/codemap.py [--top N] [--dot] [PACKAGE_DIR]

Reads the source with ``ast`` (nothing is imported or run), so it works on any checkout,
including an old commit: ``git worktree add /tmp/old <commit> && python tools/codemap.py /tmp/old/spykit``.

The import graph lists, for each module, the spykit modules it imports at load time; imports
made inside a function (done lazily, when the function runs) are listed apart, after ``|``.
Cycles are found among load-time imports only, since only those can fail at import. A module's
layer is 0 when it imports no other spykit module at load time, else one more than the highest
layer it imports: the bottom of the graph is layer 0.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path


def module_name(package_dir: Path, path: Path) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(tree: ast.Module, current: str, is_package: bool, known: set[str]) -> Iterator[tuple[str, bool]]:
    """(imported spykit module, made at load time?) for every import statement in the module."""
    lazy_nodes = set()
    never = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lazy_nodes.update(id(inner) for inner in ast.walk(node) if inner is not node)
        # `if TYPE_CHECKING:` imports never run: they are for type checkers, not listed at all
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            never.update(id(inner) for inner in ast.walk(node) if inner is not node)
    for node in ast.walk(tree):
        if id(node) in never:
            continue
        at_load = id(node) not in lazy_nodes
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _known(alias.name, known, at_load)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(current, is_package, node)
            for alias in node.names:
                # `from . import x` imports the module x when there is one, else a name of the package
                candidate = f"{base}.{alias.name}" if base else alias.name
                yield from _known(candidate if candidate in known else base, known, at_load)


def _known(name: str, known: set[str], at_load: bool) -> Iterator[tuple[str, bool]]:
    while name and name not in known:
        name = name.rpartition(".")[0]
    if name:
        yield name, at_load


def import_graph(package_dir: Path) -> dict[str, tuple[set[str], set[str]]]:
    """module -> (spykit modules imported at load time, spykit modules imported lazily)."""
    files = {module_name(package_dir, p): p for p in sorted(package_dir.rglob("*.py"))}
    known = set(files)
    graph: dict[str, tuple[set[str], set[str]]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        eager: set[str] = set()
        lazy: set[str] = set()
        for target, at_load in _imports(tree, name, path.name == "__init__.py", known):
            if target != name and not name.startswith(target + "."):  # a package's own parents load anyway
                (eager if at_load else lazy).add(target)
        graph[name] = (eager, lazy - eager)
    return graph


def layers(graph: dict[str, tuple[set[str], set[str]]]) -> dict[str, int | None]:
    """Each module's layer (see the module docstring); None for modules on a load-time cycle."""
    result: dict[str, int | None] = {}
    visiting: set[str] = set()

    def layer(name: str) -> int | None:
        if name in result:
            return result[name]
        if name in visiting:
            return None
        visiting.add(name)
        below = [layer(dep) for dep in graph[name][0]]
        visiting.discard(name)
        result[name] = None if any(b is None for b in below) else 1 + max(below, default=-1)
        return result[name]

    for name in graph:
        layer(name)
    return result


def _visit(node: ast.AST, prefix: str, found: list[tuple[int, str]]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            qualified = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                found.append((child.end_lineno - child.lineno + 1, qualified))
            _visit(child, qualified + ".", found)
        else:
            _visit(child, prefix, found)


def largest_functions(package_dir: Path, top: int) -> list[tuple[int, str]]:
    """(lines, 'module:qualified.name') for the ``top`` longest functions, nested ones counted apart."""
    found: list[tuple[int, str]] = []
    for path in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        module = module_name(package_dir, path)

        _visit(tree, f"{module}:", found)
    return sorted(found, key=lambda item: (-item[0], item[1]))[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package_dir", nargs="?", type=Path,
                        default=Path(__file__).resolve().parent.parent / "spykit")
    parser.add_argument("--top", type=int, default=15, help="how many of the largest functions to list")
    parser.add_argument("--dot", action="store_true", help="print the load-time graph for graphviz instead")
    args = parser.parse_args(argv)
    graph = import_graph(args.package_dir)
    if args.dot:
        print("digraph spykit {")
        for name, (eager, _) in sorted(graph.items()):
            for dep in sorted(eager):
                print(f'  "{name}" -> "{dep}";')
        print("}")
        return 0
    levels = layers(graph)
    print("# import graph: module [layer] -> load-time imports | lazy imports")
    for name in sorted(graph, key=lambda n: (levels[n] is None, levels[n] or 0, n)):
        eager, lazy = graph[name]
        level = "cycle" if levels[name] is None else levels[name]
        line = f"{name} [{level}] -> {', '.join(sorted(eager)) or '-'}"
        print(line + (f" | {', '.join(sorted(lazy))}" if lazy else ""))
    edges = sum(len(e) for e, _ in graph.values())
    lazy_edges = sum(len(lz) for _, lz in graph.values())
    on_cycles = sorted(n for n, v in levels.items() if v is None)
    print(f"\n{len(graph)} modules, {edges} load-time imports, {lazy_edges} lazy imports, "
          f"{max((v for v in levels.values() if v is not None), default=0) + 1} layers, "
          f"{len(on_cycles)} modules on load-time cycles{': ' + ', '.join(on_cycles) if on_cycles else ''}")
    print(f"\n# the {args.top} largest functions (lines, nested functions counted apart)")
    for lines, name in largest_functions(args.package_dir, args.top):
        print(f"{lines:5d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
