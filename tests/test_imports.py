"""Imports flow one way: no module of dmpdata imports, however indirectly, a module that imports it.

Every `import` and `from … import` counts, wherever it stands (a function body, an `if TYPE_CHECKING:` block): an
import moved into a function still ties the two modules together, it only hides the cycle until the call. When this
fails, move what the lower module needs into a module below both (as `dmpdata.layout` holds the dataset folder's
files for the engine, validation, the warehouse and the exports, and `dmpdata.pathways` the pathway catalogue for
the schemas and the pathways stage).
"""

from __future__ import annotations

import ast
from pathlib import Path

import dmpdata


def module_names(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of the package in folder `root` (a package is named by its folder)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imported(module: str, node: ast.Import | ast.ImportFrom, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules one import statement of `module` names: `from pkg import name` imports the module
    pkg.name when there is one, else pkg."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & known
    if node.level:  # relative: from the module's package, one level up per extra dot
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join([*base, node.module] if node.module else base)
    else:
        prefix = node.module or ""
    found = {f"{prefix}.{alias.name}" for alias in node.names} & known
    if len(found) < len(node.names):
        found.add(prefix)
    return found & known


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere in its body, read from the source (nothing is run)."""
    modules = module_names(root)
    known = set(modules)
    graph = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                deps |= _imported(name, node, path.name == "__init__.py", known)
        graph[name] = deps - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, …, a], or None when the graph has none (depth-first search, in name order)."""
    state: dict[
        str, str
    ] = {}  # "open" while on the current path, "done" once every import below it is explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                return [*path[path.index(dep) :], dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_dmpdata_has_no_import_cycle():
    graph = import_graph(Path(dmpdata.__file__).parent)
    assert len(graph) > 40 and "dmpdata.dataset" in graph["dmpdata"]  # the whole package was read
    cycle = find_cycle(graph)
    assert cycle is None, (
        "import cycle: "
        + " -> ".join(cycle)
        + " (imports inside functions count; move what the lower module needs below both)"
    )


def test_the_facade_is_above_the_layers_it_fronts():
    """The engine, validation, the warehouse and the exports read a dataset folder through dmpdata.layout, never
    through the public facade (dmpdata, dmpdata.dataset) that reaches up to them."""
    graph = import_graph(Path(dmpdata.__file__).parent)
    for module, deps in graph.items():
        if module in ("dmpdata", "dmpdata.cli"):  # the package itself; the command line, above everything
            continue
        assert not deps & {"dmpdata", "dmpdata.dataset"}, f"{module} imports the facade: {deps}"


def _package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root / "pkg"


def test_the_detector_finds_a_cycle_hidden_in_a_function(tmp_path):
    pkg = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import helper\n",
            "pkg/b.py": "def helper():\n    from pkg import a\n    return a\n",
        },
    )
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert find_cycle(graph) in (["pkg.a", "pkg.b", "pkg.a"], ["pkg.b", "pkg.a", "pkg.b"])


def test_the_detector_follows_relative_imports_and_accepts_a_one_way_package(tmp_path):
    pkg = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.top import run\n",
            "pkg/top.py": "from .low import files\nfrom . import sub\n",
            "pkg/low.py": "import json\n",
            "pkg/sub/__init__.py": "from ..low import files\n",
        },
    )
    graph = import_graph(pkg)
    assert graph == {
        "pkg": {"pkg.top"},
        "pkg.low": set(),
        "pkg.sub": {"pkg.low"},
        "pkg.top": {"pkg.low", "pkg.sub"},
    }
    assert find_cycle(graph) is None
    (pkg / "low.py").write_text("from pkg import top\n", encoding="utf-8")
    assert find_cycle(import_graph(pkg)) == ["pkg.top", "pkg.low", "pkg.top"]
