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
    for path in (ROOT / "lib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("DataError", "ModelError", "UserFacing")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                msgs.add(node.args[0].value)
    internal = {"No orders on or before the analysis date.", "The summary is inconsistent: recency beyond T or negative frequency.",
                "The summary needs frequency, recency and T columns."}  # only reachable from scripts
    missing = sorted(m for m in msgs - internal if m not in ZH)
    assert not missing, missing


def test_quality_report_reasons_and_actions_are_translated():
    """Every code of the quality report's catalogue has its English and 中文 sentence; every action reads in Chinese."""
    from typing import get_args

    from lib.i18n import QUALITY_ISSUES
    from lib.schema import IssueAction

    assert {"blank_row", "refund_row", "spend_negative"} <= QUALITY_ISSUES.keys()
    for code, (english, chinese) in QUALITY_ISSUES.items():
        assert english.strip() and chinese.strip(), code
        assert code == "legacy" or any("\u4e00" <= ch <= "\u9fff" for ch in chinese), code
    assert len({en for en, _ in QUALITY_ISSUES.values()}) == len(QUALITY_ISSUES)  # one sentence, one code
    missing = sorted(a for a in get_args(IssueAction) if a not in ZH)
    assert not missing, missing


def test_every_table_header_chart_word_and_value_of_ours_reads_in_chinese():
    """Headers (lib.present.labels), report sheets and figures, the words charts draw, and the values we write into tables."""
    from lib.model.metrics import RUNGS
    from lib.model.rfm import SEGMENTS
    from lib.present.export import REPORT_COLUMNS
    from lib.present.figures import FIGURES
    from lib.present.labels import COLUMNS

    words = {h for h, _ in [*COLUMNS.values(), *REPORT_COLUMNS.values()]} | {f.label for f in FIGURES.values()}
    words |= {name for name, *_ in SEGMENTS} | set(RUNGS) | {"Other", "1st", "2nd", "3rd", "4th+", "All channels", "All customers"}
    words |= {"ok", "no spend (organic)", "spend but no new customers", "referral cycle", "referrer never bought", "self-referral"}
    words |= {"Cohorts", "Repurchase by cohort", "Contact rhythm", "Order funnel", "LTV by channel", "CAC by channel",
              "Predicted CLV", "CLV by segment", "Levers to double revenue", "Top referrers", "Referral issues", "Value ladder",
              "Data quality", "Overview"}
    # the English that lib/present/charts.py writes when a page passes no label
    charts_src = (ROOT / "lib" / "present" / "charts.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(charts_src)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_lab" and len(node.args) == 3 \
                and isinstance(node.args[2], ast.Constant) and isinstance(node.args[2].value, str):
            words.add(node.args[2].value)
    words |= {"30 days", "60 days", "90 days", "180 days", "median", "count", "buyers", "repeat buyers", "touches", "adds"}
    missing = sorted(w for w in words if w not in ZH and not w.isupper())
    assert not missing, missing


def test_a_chart_in_chinese_keeps_data_and_translates_its_own_words():
    import pandas as pd

    from lib.present import charts
    from lib.present.localise import localise

    by_cohort = pd.DataFrame({"cohort": pd.to_datetime(["2024-01-01", "2024-02-01"]), "customers": [3, 4],
                              "repeat_30d": [0.2, 0.3], "repeat_60d": [0.4, float("nan")]})
    fig = localise(charts.repurchase_by_cohort_chart(by_cohort), ZH, date_format="%Y-%m")
    assert [tr.name for tr in fig.data] == ["30天", "60天"]
    assert fig.layout.xaxis.title.text == "同期群" and fig.layout.yaxis.title.text == "复购率"
    assert fig.layout.xaxis.tickformat == "%Y-%m"
    funnel = pd.DataFrame({"step": ["1st", "2nd"], "customers": [10, 4]})
    fig = localise(charts.funnel_chart(funnel), ZH)
    assert list(fig.data[0].y) == ["第1单", "第2单"]
    gaps = pd.DataFrame({"days": [3.0, 10.0, 30.0]})
    fig = localise(charts.gap_histogram(gaps, pd.DataFrame({"median_days": [10.0]})), ZH)
    assert fig.layout.annotations[0].text == "中位数 10"
    rev = pd.DataFrame({"channel": ["Parcel card"], "ltv": [100.0], "cac": [20.0]})
    fig = localise(charts.cac_ltv_bars(rev, 0.5), ZH)
    assert list(fig.data[0].x) == ["Parcel card"]  # a channel from the user's data stays as it is
