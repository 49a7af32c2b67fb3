"""Every UI string goes through the translation table, and numbers are formatted per locale."""
from __future__ import annotations

import ast

import pytest

from conftest import ROOT
from lib.i18n import ZH, fmt_date, fmt_money, fmt_number, fmt_pct, fmt_ratio, translate


def _t_strings() -> set[str]:
    found: set[str] = set()
    for path in [ROOT / "app.py", *(ROOT / "views").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def test_every_ui_string_has_a_chinese_translation():
    strings = _t_strings()
    assert len(strings) > 80
    missing = sorted(s for s in strings if s not in ZH)
    assert not missing, missing


@pytest.mark.parametrize("value, lang, expected", [
    (1234567, "en", "1,234,567"), (1234567, "zh", "123.5万"), (950, "zh", "950"), (float("nan"), "en", "—"),
], ids=["en thousands", "zh wan", "zh small", "missing"])
def test_fmt_number(value, lang, expected):
    assert fmt_number(value, lang) == expected


def test_other_formats():
    assert fmt_money(-1234.5, "¥", "en", 1) == "-¥1,234.5"
    assert fmt_pct(0.1234) == "12.3%" and fmt_ratio(3.25) == "3.2×" and fmt_ratio(float("inf")) == "—"
    assert fmt_date("2024-03-01", "zh") == "2024年3月1日" and fmt_date("2024-03-01", "en") == "2024-03-01"
    assert translate("Overview", "zh") == "总览" and translate("Overview", "en") == "Overview"


def test_constant_error_messages_from_lib_are_translated():
    """Messages a person sees when a file is refused or a model cannot be fitted, in Chinese too."""
    msgs = set()
    for path in (ROOT / "lib").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("DataError", "ModelError", "UserFacing")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                msgs.add(node.args[0].value)
    internal = {"No orders on or before the analysis date.", "The summary is inconsistent: recency beyond T or negative frequency.",
                "The summary needs frequency, recency and T columns."}  # only reachable from scripts
    missing = sorted(m for m in msgs - internal if m not in ZH)
    assert not missing, missing


def test_quality_report_reasons_and_actions_are_translated():
    """The data-quality table lists reasons and actions from lib/ingest.py; each reads in Chinese too."""
    texts = set()
    for node in ast.walk(ast.parse((ROOT / "lib" / "ingest.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add" and len(node.args) >= 3:
            for arg in (node.args[0], node.args[2]):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    texts.add(arg.value)
    assert {"blank row", "dropped", "kept as refund"} <= texts
    missing = sorted(x for x in texts if x not in ZH)
    assert not missing, missing
