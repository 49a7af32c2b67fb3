"""Chart builders (asserting on figure data) and the exports (formula injection, Excel report)."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import ROOT, load_here

from lib.model.cac import cac_by_channel, channel_funnel
from lib.model.cohorts import cohort_table, order_funnel
from lib.model.metrics import (
    ladder_movement,
    revenue_new_vs_returning,
    value_decomposition,
    value_ladder,
)
from lib.model.planner import fission_projection, project_revenue
from lib.model.referrals import descendants, generation_sizes, referral_forest
from lib.model.view import apply_filters
from lib.present import charts
from lib.present.export import csv_bytes, excel_bytes, neutralise


@pytest.fixture
def view(edge_ds):
    return apply_filters(edge_ds)


def test_cohort_heatmap_keeps_future_cells_empty(view):
    t = cohort_table(view.all_orders, view.refunds, view.customers, view.as_of)
    fig = charts.cohort_heatmap(t, "active_pct")
    z = np.array(fig.data[0].z, dtype=float)
    assert z.shape == (3, 3)
    assert z[0].tolist() == [1.0, 0.0, 0.5]
    assert np.isnan(z[1, 2]) and np.isnan(z[2, 1])
    assert list(fig.data[0].y) == ["2024-01", "2024-02", "2024-03"]


def test_decomposition_waterfall(view):
    d = pd.DataFrame([value_decomposition(view).as_dict()])
    fig = charts.decomposition_chart(d)
    assert list(fig.data[0].y) == pytest.approx([93.125, 23.75, 116.875])
    assert list(fig.data[0].measure) == ["relative", "relative", "total"]


def test_funnel_ladder_planner_fission_charts(view):
    f = charts.funnel_chart(order_funnel(view.all_orders, view.customers))
    assert list(f.data[0].x) == [8, 1, 1, 0]
    lad = charts.ladder_chart(value_ladder(view.customers))
    assert sum(tr.x[0] for tr in lad.data) == 9
    p = charts.planner_chart(project_revenue(100, 0.5, 0, 0, 0))
    assert [tr.name for tr in p.data] == ["Projected", "Baseline", "2× target"]
    assert p.data[0].y[-1] == pytest.approx(150) and p.data[2].y[0] == 200
    fi = charts.fission_chart(fission_projection(1000, 0.1, 2, 2))
    assert {tr.name for tr in fi.data} == {"0", "1", "2"}
    mv = charts.ladder_movement_chart(ladder_movement(view.all_orders))
    assert len(mv.data) == 3
    rs = charts.revenue_split_chart(revenue_new_vs_returning(view.all_orders, view.orders))
    assert sum(sum(tr.y) for tr in rs.data) == 745


def test_referral_charts(view):
    forest = referral_forest(view.customers)
    sb = charts.referral_treemap(forest.nodes)
    assert set(sb.data[0].ids) == {"A", "C", "D", "F", "G"}
    assert dict(zip(sb.data[0].ids, sb.data[0].parents)) == {"A": "", "C": "A", "D": "C", "F": "", "G": "F"}
    assert dict(zip(sb.data[0].ids, sb.data[0].values))["A"] == 330  # A 230 + C 60 + D 40
    tree = charts.referral_tree(descendants(forest, "A"))
    assert list(tree.data[1].x) == [0, 1, 2]
    gen = charts.generations_chart(generation_sizes(forest))
    assert list(gen.data[0].y) == [5, 2, 1]


def test_cac_charts(sample_ds):
    v = apply_filters(sample_ds)
    t = cac_by_channel(v.all_orders, v.refunds, v.customers, v.spend, v.start, v.as_of)
    bars = charts.cac_ltv_bars(t, margin=0.5)
    assert list(bars.data[0].x) == t["channel"].tolist()
    assert list(bars.data[1].y) == pytest.approx((t["ltv"] * 0.5).tolist())
    pb = charts.payback_chart(t)
    assert len(pb.data[0].y) == len(t)
    fun = charts.acquisition_funnel_chart(channel_funnel(t))
    assert len(fun.data) == len(t) and fun.layout.xaxis.type == "log"
    card = next(tr for tr in fun.data if tr.name == "Parcel card")
    row = t.set_index("channel").loc["Parcel card"]
    assert list(card.x) == [row["touches"], row["adds"], row["new_customers"], row["repeat_customers"]]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("ok", "ok"), (5, 5), (-5.5, -5.5), ("+86 138-0013-8000", "+86 138-0013-8000"),
    ("+1 (555) 010-9999", "+1 (555) 010-9999"), ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"), ("+1", "'+1"),
], ids=["equals", "plus", "minus", "at", "tab", "cr", "plain", "int", "negative number", "phone", "phone brackets",
        "dde after digits", "short"])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_and_excel_exports_are_inert():
    df = pd.DataFrame({"customer": ["=HYPERLINK(\"http://x\")", "张三"], "amount": [-5.0, 10.0]})
    text = csv_bytes(df).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "-5.0" in text and "张三" in text
    wb = openpyxl.load_workbook(io.BytesIO(excel_bytes({"t": df})))
    ws = wb["t"]
    assert ws["A2"].value == "'=HYPERLINK(\"http://x\")" and ws["A2"].data_type == "s"
    assert ws["B2"].value == -5.0 and ws["B2"].data_type == "n"


@pytest.mark.child
@pytest.mark.slow  # five CLI runs, each a Python start, a parse child and the figures: ~9 s of the real path
def test_cli_kpis_and_report(tmp_path, edge_path):
    res = subprocess.run([sys.executable, "-m", "lib", "kpis", str(edge_path), "--json"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    k = json.loads(res.stdout)
    assert (k["customers"], k["orders"], k["aov"], k["repurchase_rate"]) == (8, 10, 74.5, 0.125)
    assert k["sharing_rate"] == 0.375 and k["k_factor"] == 0.375
    res = subprocess.run([sys.executable, "-m", "lib", "kpis", str(edge_path), "--from", "2024-03-01", "--to", "2024-03-31",
                          "--json"], capture_output=True, text=True, cwd=ROOT)
    assert json.loads(res.stdout)["revenue_gross"] == 295
    res = subprocess.run([sys.executable, "-m", "lib", "kpis", str(edge_path), "--channel", "Phone call", "--json"],
                         capture_output=True, text=True, cwd=ROOT)
    assert json.loads(res.stdout)["customers"] == 1
    out = tmp_path / "r.xlsx"
    res = subprocess.run([sys.executable, "-m", "lib", "report", str(edge_path), "--out", str(out)], capture_output=True,
                         text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    wb = openpyxl.load_workbook(out)
    for sheet in ("Overview", "Cohorts", "Repurchase by cohort", "Contact rhythm", "Order funnel", "LTV by channel",
                  "CAC by channel", "Levers to double revenue", "Top referrers", "Referral issues", "Value ladder", "Data quality"):
        assert sheet in wb.sheetnames
    ov = {r[0]: r[1] for r in wb["Overview"].iter_rows(min_row=2, values_only=True)}
    assert ov["Revenue before refunds"] == 745 and ov["Customers"] == 8
    assert [c.value for c in wb["Referral issues"][1]] == ["Customer", "Referred by", "Problem"]
    issues = [r[2] for r in wb["Referral issues"].iter_rows(min_row=2, values_only=True)]
    assert sorted(issues) == ["referral cycle", "referral cycle", "referrer never bought", "self-referral"]
    funnel = wb["Order funnel"]
    assert [c.value for c in funnel[1]][:3] == ["Order", "Customers", "Of the previous step"]
    assert funnel["B2"].number_format == "#,##0" and funnel["C3"].number_format == "0.0%"
    # the same filters as kpis: March only
    res = subprocess.run([sys.executable, "-m", "lib", "report", str(edge_path), "--from", "2024-03-01", "--to", "2024-03-31",
                          "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    ov = {r[0]: r[1] for r in openpyxl.load_workbook(out)["Overview"].iter_rows(min_row=2, values_only=True)}
    assert ov["Revenue before refunds"] == 295 and ov["From"] == "2024-03-01"


def test_report_neutralises_hostile_customer_names(tmp_path):
    from lib.present.export import write_report

    ds = load_here(b"order,customer,date,amount\n1,=cmd|' /C calc'!A0,2024-01-01,5\n2,@x,2024-01-02,6\n")
    out = tmp_path / "r.xlsx"
    write_report(ds, out)
    wb = openpyxl.load_workbook(out)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(not c.value.startswith(("=", "@", "+", "-")) for c in cells)
    assert all(c.data_type == "s" for c in cells)


def test_csv_keeps_a_value_with_either_locales_separator_in_one_quoted_cell():
    import csv as csvmod

    from lib.present.export import restore

    df = pd.DataFrame({"channel": ["x;=cmd|' /C calc'!A0", "a,=1+1", "=2+2"], "amount": [1.5, 2.0, -3.0]})
    text = csv_bytes(df).decode("utf-8-sig")
    assert '"x;=cmd|\' /C calc\'!A0"' in text and '"a,=1+1"' in text and "\"'=2+2\"" in text
    for sep in (",", ";"):  # read as Excel does in either locale: the text stays one cell, numbers stay numbers
        rows = list(csvmod.reader(io.StringIO(text), delimiter=sep, quotechar='"'))
        cells = [c for r in rows[1:] for c in r]
        assert not any(c.startswith(("=", "+", "@")) for c in cells), (sep, cells)
    assert [restore(v) for v in ("'=2+2", "'ok", "plain")] == ["=2+2", "'ok", "plain"]


def test_the_figure_catalogue_covers_every_overview_figure_and_tile():
    from dataclasses import fields

    from lib.model.metrics import Overview
    from lib.present.figures import FIGURES, ORDER_LEVEL_TILES, TILES

    assert list(FIGURES) == [f.name for f in fields(Overview)]  # the report's rows, in the Overview's order
    assert {k for row in TILES for k in row} | set(ORDER_LEVEL_TILES) <= set(FIGURES)
    aov, rate, k = FIGURES["aov"], FIGURES["repurchase_rate"], FIGURES["k_factor"]
    assert aov.text(123.45, "¥") == "¥123.5" and aov.change(110.0, 100.0) == "+10.0%" and aov.change(1.0, 0.0) is None
    assert rate.text(0.25) == "25.0%" and rate.change(0.30, 0.25) == "+5.0 pp"
    assert k.text(float("nan")) == "—" and k.text(0.456) == "0.46" and FIGURES["ltv_cac"].text(3.25) == "3.2×"
    assert FIGURES["as_of"].change(1, 2) is None and FIGURES["cac"].inverse


def test_months_since_the_first_order_are_written_as_numbers_not_dates(sample_ds, tmp_path):
    """The report's "LTV by channel" wrote months since the first order with a date format: "1900-01" on every row."""
    import openpyxl

    from lib.present.export import write_report

    path = tmp_path / "r.xlsx"
    write_report(sample_ds, path)
    ws = openpyxl.load_workbook(path)["LTV by channel"]
    header = [c.value for c in ws[1]]
    col = header.index("Months since first order") + 1
    cells = [ws.cell(row=r, column=col) for r in range(2, 6)]
    assert [c.value for c in cells] == [1, 2, 3, 4] and all("yy" not in c.number_format for c in cells)


def test_the_report_has_every_table_and_says_each_figure_as_the_page_does(sample_ds, tmp_path):
    """The README says "every table": the product journey and the contact lists were missing; the Overview
    sheet wrote raw floats (0.3333333) in General format beside no figure as the page shows it."""
    import openpyxl

    from lib.i18n import fmt_money
    from lib.model.metrics import overview
    from lib.model.view import apply_filters
    from lib.present.export import write_report

    path = tmp_path / "r.xlsx"
    write_report(sample_ds, path)
    wb = openpyxl.load_workbook(path)
    assert {"Product journey", "Next product", "Due now", "Valuable, at risk", "One-time buyers to convert",
            "Top referrers to reward"} <= set(wb.sheetnames)
    rows = {r[0]: r[1:] for r in wb["Overview"].iter_rows(min_row=2, values_only=True)}
    k = overview(apply_filters(sample_ds))
    assert rows["Net revenue"][1] == fmt_money(k.revenue_net, sample_ds.report.currency or "")
    assert rows["Repurchase rate"][1].endswith("%")
