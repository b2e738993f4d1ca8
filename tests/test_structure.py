"""The shape of the runtime package pco_sync, checked from its source: no import cycles,
steps importing only steps before them (data flows one way: registry -> extract -> quality
-> merge -> push), never the dev tooling or the simulator, and no SQL in Python (every
statement is a file under include/sql)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "pco_sync"
# The rooms in the order data flows; a module may import its own room and rooms before it.
LAYERS = ["errors", "limits", "sqlfiles", "progress", "church_db", "pco", "churches", "extract", "quality", "merge",
          "push", "webhooks", "retention", "summary", "review", "airflow"]
FORBIDDEN = ("devkit", "pco_simulator", "tests", "bench")
SQL = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(?:SELECT\s+\S|INSERT\s+INTO\s|UPDATE\s+\S+\s+SET\s|"
                 r"DELETE\s+FROM\s|CREATE\s+(?:TEMP|TABLE|INDEX|UNIQUE|OR|SCHEMA|FUNCTION|"
                 r"TRIGGER|VIEW)\b|DROP\s+(?:TABLE|INDEX|SCHEMA|FUNCTION|VIEW)\b|ALTER\s+TABLE\s|"
                 r"TRUNCATE\s|COPY\s+\S+.*\b(?:FROM|TO)\b|WITH\s+\w+\s+AS\s*\()", re.IGNORECASE)


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(name: str, path: Path) -> set[str]:
    """Every module `name` imports, at the top or inside functions (absolute names)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {m for m in imports(name, path) if m in mods and m != name}
            for name, path in mods.items()}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_package_has_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(g[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node, [node])


def test_steps_import_only_rooms_before_them():
    wrong = []
    for module, targets in graph().items():
        if room(module) == "__init__":
            continue
        for target in targets:
            if room(target) != "__init__" and LAYERS.index(room(target)) > LAYERS.index(room(module)):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "data flows one way; these import a later step:\n" + "\n".join(wrong)


def test_the_runtime_package_never_imports_dev_tooling_or_the_simulator():
    wrong = [f"{name} imports {m}" for name, path in modules().items()
             for m in imports(name, path) if m.split(".")[0] in FORBIDDEN]
    assert not wrong, wrong


def test_every_room_is_known():
    assert {room(m) for m in modules()} - {"__init__"} <= set(LAYERS)


def sql_in(path: Path) -> list[str]:
    """String literals of a module that are SQL statements (docstrings aside)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef,
                                    ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        if id(node) in parts:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and SQL.match(node.value):
            found.append(f"{path.name}:{node.lineno}: {node.value.strip()[:60]!r}")
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            if SQL.match(text):
                found.append(f"{path.name}:{node.lineno}: {text.strip()[:60]!r}")
    return found


def test_no_python_module_of_the_package_holds_sql():
    found = [hit for path in modules().values() for hit in sql_in(path)]
    assert not found, "SQL belongs in include/sql/:\n" + "\n".join(found)


def test_the_checks_would_see_what_they_look_for(tmp_path):
    """The detectors themselves: SQL in a literal, and a cycle, are found."""
    bad = tmp_path / "bad.py"
    bad.write_text('QUERY = """\n    SELECT id FROM church.people"""\nX = f"DELETE FROM {t} WHERE 1"\n'
                   'def f():\n    """SELECT in a docstring is prose."""\n')
    assert len(sql_in(bad)) == 2
    assert "pco_sync.quality" in imports("pco_sync.merge.x", _file(tmp_path, "from ..quality import a"))


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.py"
    path.write_text(text + "\n")
    return path
