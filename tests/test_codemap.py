"""tools/codemap.py: the import graph and function sizes it reports, on a hand-made package and on spykit."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("codemap", REPO / "tools" / "codemap.py")
codemap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(codemap)


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_load_time_and_lazy_imports_are_told_apart(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "from .top import run\n",
        "bottom.py": "X = 1\n",
        "middle.py": ("from . import bottom\nfrom typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    from .top import run\n"),
        "top.py": "import pkg.middle\n\ndef run():\n    from .sub import leaf\n    return leaf\n",
        "sub/__init__.py": "",
        "sub/leaf.py": "from ..bottom import X\n",
    })
    graph = codemap.import_graph(package)
    assert graph["pkg.middle"] == ({"pkg.bottom"}, set())  # the TYPE_CHECKING import never runs
    assert graph["pkg.top"] == ({"pkg.middle"}, {"pkg.sub.leaf"})  # `from .sub import leaf` names a module
    assert graph["pkg.sub.leaf"] == ({"pkg.bottom"}, set())
    levels = codemap.layers(graph)
    assert (levels["pkg.bottom"], levels["pkg.middle"], levels["pkg.top"], levels["pkg"]) == (0, 1, 2, 3)


def test_a_load_time_cycle_has_no_layer(tmp_path):
    package = _package(tmp_path, {"__init__.py": "", "a.py": "from . import b\n", "b.py": "from . import a\n"})
    levels = codemap.layers(codemap.import_graph(package))
    assert levels["pkg.a"] is None and levels["pkg.b"] is None and levels["pkg"] == 0


def test_largest_functions_count_nested_ones_apart(tmp_path):
    package = _package(tmp_path, {"__init__.py": "", "m.py": (
        "def outer():\n    def inner():\n        return 1\n    return inner\n\n"
        "class C:\n    def method(self):\n        pass\n")})
    assert codemap.largest_functions(package, 3) == [(4, "pkg.m:outer"), (2, "pkg.m:C.method"),
                                                       (2, "pkg.m:outer.inner")]


def test_spykit_has_no_load_time_import_cycle():
    levels = codemap.layers(codemap.import_graph(REPO / "spykit"))
    assert len(levels) > 50 and not [name for name, level in levels.items() if level is None]


def test_no_module_is_shadowed_by_a_name_its_package_exports():
    # `import spykit.trace as m` used to give the function spykit.trace, not the module of Trace
    import importlib
    import pkgutil

    import spykit

    shadowed = []

    def walk(package) -> None:
        # the package's names before any submodule is imported here: importing one makes it an
        # attribute of the package, which would hide a clash (a lazy name served by __getattr__
        # is not in vars until asked for)
        before = dict(vars(package))
        lazy = set(getattr(package, "__all__", ())) - set(before)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name == "__main__":  # (importing it runs the command line)
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            if info.name in lazy or before.get(info.name, module) is not module:
                shadowed.append(module.__name__)
            if info.ispkg:
                walk(module)

    walk(spykit)
    assert not shadowed
