"""The package tree shows the design: layers that import only downwards, and no import loops."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "segsql"

# lowest first; a module may import from its own layer and the ones before it
LAYERS: tuple[tuple[str, ...], ...] = (
    ("segsql.version", "segsql.errors", "segsql.testhook"),
    ("segsql.config", "segsql.sql", "segsql.spark.sql"),
    ("segsql.connection", "segsql.spark.output"),  # the Spark engine's output, the sandbox's folder
    ("segsql.session",),
    # what reads and writes around a run: sources in, history, diffs and publishing out
    ("segsql.sources", "segsql.history", "segsql.diff", "segsql.publish"),
    ("segsql.scoring",),  # the saved model, the replay builder, score, the macro, export
    ("segsql.steps",),  # the run's steps; the write-back creates the macro
    ("segsql.spark",),  # the Spark engine: its forms of the row-level steps
    ("segsql.report",),  # charts and the report writer, over the output tables
    ("segsql.starter",),  # `init`: the diagnostics step's measures over a data file
    ("segsql.pipeline",),  # the tuple of steps
    ("segsql", "segsql.cli", "segsql.__main__"),  # the public verbs and the command line
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    best = -1, -1  # (length of the matching prefix, layer)
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best[0]:
                best = len(name), index
    assert best[1] >= 0, f"{module} is in no layer: add it to LAYERS"
    return best[1]


def _imports(module: str) -> set[str]:
    """The segsql modules ``module`` imports (a ``from pkg import name`` of a submodule counts as it)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "segsql")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            if base.split(".")[0] != "segsql":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {module: _imports(module) for module in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_from_a_higher_layer(module):
    upward = sorted(m for m in GRAPH[module] if _layer(m) > _layer(module))
    assert not upward, f"{module} (layer {_layer(module)}) imports from higher layers: {upward}"


def test_no_two_modules_import_each_other_in_a_loop():
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in sorted(GRAPH[module]):
            if state.get(other) == 1:
                loop = path[path.index(other) :] + [other]
                raise AssertionError("import loop: " + " → ".join(loop))
            if other not in state:
                visit(other, [*path, other])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])


def test_the_three_parts_are_packages_of_their_own():
    for part in ("steps", "scoring", "report"):
        assert (PACKAGE / part / "__init__.py").is_file(), part
    assert "segsql.steps.fit.in_memory" in MODULES and "segsql.steps.fit.streamed" in MODULES


def test_sql_is_quoted_in_one_place_only():
    # the quoting helpers live in segsql/sql.py; nobody else writes double-quote doubling
    offenders = [
        name
        for name, path in MODULES.items()
        if name != "segsql.sql" and ".replace('\"', '\"\"')" in path.read_text(encoding="utf-8")
    ]
    assert not offenders
