"""The package's import graph has no circle, counting every import the code can make: module
level, inside functions, and ``importlib.import_module``/``__import__`` with a literal name (the
lazy command and plugin tables). Imports under ``if TYPE_CHECKING:`` never run and only name
types for annotations, so they are left out."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "nst_pipeline"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in ROOT.rglob("*.py")}


def resolve(name: str, level: int, here: str, is_package: bool) -> str:
    if level == 0:
        return name
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _dynamic(node: ast.Call, here: str, is_package: bool) -> str | None:
    """``importlib.import_module("x", package)`` or ``__import__("x")`` with a literal name."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if called not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    name = first.value
    if name.startswith("."):
        dots = len(name) - len(name.lstrip("."))
        return resolve(name[dots:], dots, here, is_package)
    return name


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of the package that ``name`` may import."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node.module or "", node.level, name, is_package)
            # ``from pkg import sub`` imports the submodule when there is one
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        elif isinstance(node, ast.Call):
            dynamic = _dynamic(node, name, is_package)
            targets = [dynamic] if dynamic else []
        found.update(t for t in targets if t in known and t != name)
    return found


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None) if isinstance(node, ast.If) else None
    return isinstance(test, (ast.Name, ast.Attribute)) and (getattr(test, "id", None) == "TYPE_CHECKING"
                                                            or getattr(test, "attr", None) == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
    """Every node except the bodies of ``if TYPE_CHECKING:`` blocks."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if _type_checking(node):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_no_import_circle_anywhere_in_the_package():
    assert cycles(graph()) == []


def test_the_checker_sees_function_level_and_dynamic_imports(tmp_path):
    # the checker itself: a circle through a function-level import and one through import_module
    known = {"nst_pipeline.a": tmp_path / "a.py", "nst_pipeline.b": tmp_path / "b.py",
             "nst_pipeline.c": tmp_path / "c.py"}
    known["nst_pipeline.a"].write_text("def f():\n    from . import b\n")
    known["nst_pipeline.b"].write_text("import importlib\nimportlib.import_module('.c', __package__)\n")
    known["nst_pipeline.c"].write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n"
                                       "from .a import f\n")
    g = {name: imports_of(name, path, known) for name, path in known.items()}
    assert g == {"nst_pipeline.a": {"nst_pipeline.b"}, "nst_pipeline.b": {"nst_pipeline.c"},
                 "nst_pipeline.c": {"nst_pipeline.a"}}
    assert cycles(g) == [["nst_pipeline.a", "nst_pipeline.b", "nst_pipeline.c"]]


def test_the_graph_knows_the_run_loop_and_the_ray_producer():
    g = graph()
    assert "nst_pipeline.pipeline" in g["nst_pipeline.clips"]
    assert "nst_pipeline.pipeline" in g["nst_pipeline.scale.driver"]
    assert "nst_pipeline.methods.build" in g["nst_pipeline.scale.executor"]
    assert not any(m.startswith("nst_pipeline.scale") for m in g["nst_pipeline.pipeline"])
