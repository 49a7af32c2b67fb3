"""Quality-report entries are codes with parameters; their sentences come from one catalogue; stored reports of
older code (a reason sentence, no code) still open."""
from __future__ import annotations

import ast
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from lib.i18n import QUALITY_ISSUES
from lib.schema import Issue, QualityReport

ROOT = Path(__file__).resolve().parent.parent
STORE_V0 = ROOT / "tests" / "fixtures" / "store_v0"


def test_every_code_the_cleaning_adds_is_in_the_catalogue():
    codes = set()
    for path in (ROOT / "lib" / "clean").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in QUALITY_ISSUES:
                codes.add(node.value)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add" \
                    and getattr(node.func.value, "id", None) == "report" \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                assert node.args[0].value in QUALITY_ISSUES, f"{path.name}: {node.args[0].value}"
    assert codes >= {"blank_row", "refund_row", "phone_masked", "spend_negative"}


def test_an_entry_speaks_both_languages_and_an_unknown_code_is_refused():
    report = QualityReport()
    report.add("blank_row", 2, "dropped")
    report.add("duplicate_row", 0, "dropped")  # nothing to say
    assert [(i.code, i.rows) for i in report.issues] == [("blank_row", 2)]
    issue = report.issues[0]
    assert issue.reason == "blank row" and issue.describe("zh") == "空行"
    assert report.table("zh")["reason"].tolist() == ["空行"]
    assert list(report.table().columns) == ["reason", "rows", "action", "amount"]
    with pytest.raises(KeyError):
        report.add("no such code", 1, "dropped")


def test_a_report_round_trips_through_its_saved_form():
    report = QualityReport(rows_read=3, issues=[Issue("date_missing", 1, "dropped", 9.5)], notes=["n"])
    again = QualityReport.from_dict(json.loads(json.dumps(asdict(report))))
    assert again == report


def test_old_shapes_are_read_and_unknown_keys_ignored():
    raw = {"rows_read": 4, "a_field_of_tomorrow": 1, "issues": [
        {"reason": "blank row", "rows": 1, "action": "dropped", "amount": 0.0},  # a sentence the catalogue says
        {"reason": "cancelled or refunded order (status column)", "rows": 2, "action": "kept as cancelled", "amount": 5.0},
        {"code": "a_code_of_tomorrow", "rows": 3, "action": "changed", "amount": 0.0, "params": {"n": 1}, "extra": 1},
    ]}
    report = QualityReport.from_dict(raw)
    assert report.rows_read == 4
    assert [(i.code, i.rows, i.amount) for i in report.issues] == [("blank_row", 1, 0.0), ("legacy", 2, 5.0),
                                                                   ("legacy", 3, 0.0)]
    assert report.issues[0].describe("zh") == "空行"
    assert report.issues[1].reason == "cancelled or refunded order (status column)"  # kept as it was written
    assert report.issues[2].reason == "a_code_of_tomorrow"
    assert report.dropped() == 1


def test_the_store_saved_by_older_code_restores_its_report():
    [path] = STORE_V0.glob("datasets/*/report.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    report = QualityReport.from_dict(raw)
    assert report.platform == "Shopify orders export" and report.rows_read == 9
    assert [(i.code, i.rows, i.action, i.amount) for i in report.issues] == [
        ("order_fields_carried_down", 2, "changed", 0.0), ("cancelled_by_status", 1, "kept as cancelled", 50.0),
        ("unpaid_by_status", 1, "kept as cancelled", 20.0), ("lines_merged", 2, "merged", 0.0),
        ("refund_from_column", 2, "refund added", 100.0), ("zero_amount_order", 1, "kept apart", 0.0)]
    assert [i.reason for i in report.issues] == [i["reason"] for i in raw["issues"]]  # the same sentences as saved
    assert report.table("zh")["reason"].iloc[4] == "来自文件退款金额列的退款（订单保留，退款只扣除一次）"
