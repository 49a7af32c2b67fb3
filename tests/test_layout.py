"""The code's shape: stages import only the stages before them, and nothing grows past a readable size.

A user's bytes travel one way: read → mapping → clean → model → present → share. Each stage may
import the stages before it and the shared base (schema, errors, config, coerce, i18n); ``cli`` and
``ui`` sit on top. These tests read the source, so a change that breaks the layout fails here, not
in review.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"
STAGES = ("read", "mapping", "clean", "model", "present", "share")
BASE = {"schema", "errors", "config", "coerce", "i18n"}
# the 中文 table and the XML cell filter may be long; nothing else
LONG_MODULES = {"lib/i18n.py", "lib/read/split/cells.py"}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(p for p in LIB.rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, line) of every import in ``path``, function-local ones included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
    return out


def _stage(module: str) -> str | None:
    """The stage (or base module) a dotted ``lib`` module belongs to, None outside ``lib``."""
    parts = module.split(".")
    if parts[0] != "lib" or len(parts) == 1:
        return None
    return parts[1]


def _rank(stage: str) -> int:
    if stage in BASE:
        return -1
    if stage in STAGES:
        return STAGES.index(stage)
    return len(STAGES)  # cli, __main__: the top


def test_every_module_sits_in_a_stage_or_the_base():
    loose = [str(p.relative_to(ROOT)) for p in LIB.glob("*.py")
             if p.stem not in BASE | {"__init__", "__main__", "cli"}]
    assert not loose, loose


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_only_from_a_later_stage_to_an_earlier_one(path: Path):
    rel = path.relative_to(LIB)
    here = rel.parts[0] if len(rel.parts) > 1 else rel.stem
    if here in {"__init__", "__main__", "cli"}:
        return
    wrong = []
    for module, names, line in _imports(path):
        there = _stage(module)
        if there is None and module == "lib":  # from lib import config
            there = names[0] if len(names) == 1 else None
        if there is None or there == here:
            continue
        if _rank(there) > _rank(here):
            wrong.append(f"line {line}: {here} imports {module}")
    assert not wrong, wrong


def test_figures_and_links_never_import_the_file_reader():
    for stage in ("model", "present", "share"):
        for path in (LIB / stage).rglob("*.py"):
            assert not [m for m, _, _ in _imports(path) if m == "lib.read" or m.startswith("lib.read.")], path


@pytest.mark.parametrize("path", _modules() + sorted((ROOT / "ui").glob("*.py")) + sorted((ROOT / "views").glob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_another_modules_private_name(path: Path):
    private = [f"line {line}: {module}.{n}" for module, names, line in _imports(path)
               if module.split(".")[0] in ("lib", "ui") for n in names if n.startswith("_") and not n.startswith("__")]
    assert not private, private


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_readable(path: Path):
    rel = str(path.relative_to(ROOT))
    text = path.read_text(encoding="utf-8")
    if rel not in LONG_MODULES:
        assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{rel}: {len(text.splitlines())} lines"
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)" for n in ast.walk(ast.parse(text))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{rel}: {long}"


def test_the_public_face_names_what_other_code_may_use():
    import lib

    assert {"load", "build_dataset", "read_workbook", "Dataset", "QualityReport", "Filters", "View", "apply_filters",
            "DataError"} <= set(lib.__all__)
    for name in lib.__all__:
        assert getattr(lib, name) is not None


def test_no_pages_folder_beside_the_app():
    """A ``pages/`` folder beside app.py switches Streamlit 1.67 to its old multipage mode: a page's script
    would run without app.py (and every check in it) until some session opened the root."""
    assert not (ROOT / "pages").exists()


@pytest.mark.child
def test_the_parse_child_imports_no_native_reader_before_it_forks():
    """The parse child forks part A's reader after setting numpy's thread counts: numpy, pandas or pyarrow
    imported by ``lib.read.child`` or the packages above it would start threads, and the split would
    silently give up (a single-threaded process is its condition); and a small file's child has a few
    hundred MB of address space: finding its header row (the mapping's names) must not import pandas."""
    import subprocess
    import sys

    code = ("import sys, lib.read.child; from lib.mapping import RULES; RULES.names_field('订单号'); "
            "print(sorted(m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
