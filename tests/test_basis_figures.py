"""Figures on the net-sales revenue basis (lib.model.basis): every money figure follows the order amounts (issue #21).

Hand-worked: two customers, a guest, a refund of A's first order. Net sales are set on the dataset by hand here (how a
file's subtotal, tax and shipping become them is tests/test_revenue_basis.py).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import load_here

from lib.model.basis import has_net_sales, on_basis
from lib.model.metrics import overview
from lib.model.view import apply_filters
from lib.share.viewstate import ViewState

EXPORTS = Path(__file__).parent / "fixtures" / "exports"

CSV = ("order,customer,date,amount,channel\n"
       "1,A,2024-01-05,125,shop\n"
       "2,B,2024-01-06,60,shop\n"
       "G1,,2024-01-07,30,shop\n"
       "3,A,2024-02-10,40,shop\n"
       "1,A,2024-02-11,-50,shop\n").encode()
NET = {"1": 100.0, "2": 50.0, "3": 40.0, "G1": 24.0}  # order totals 125, 60, 40, 30 with tax and shipping


@pytest.fixture(scope="module")
def ds():
    d = load_here(CSV)
    return dataclasses.replace(d, orders=d.orders.assign(net_sales=d.orders["order_id"].map(NET).astype(float)),
                               guests=d.guests.assign(net_sales=d.guests["order_id"].map(NET).astype(float)))


def test_order_totals_are_the_default_basis(ds):
    k = overview(apply_filters(ds))
    assert (k.revenue_gross, k.refunds) == (255.0, 50.0)  # 125 + 60 + 30 + 40; A's refund
    assert on_basis(ds, "total") is ds and ds.revenue_basis == "total"


def test_net_sales_move_every_money_figure_and_a_refund_in_its_orders_proportion(ds):
    net = on_basis(ds, "net")
    assert net.revenue_basis == "net"
    k = overview(apply_filters(net))
    # 100 + 50 + 24 + 40 = 214; order 1's refund of 50 is 50 x 100/125 = 40 of net sales
    assert (k.revenue_gross, k.refunds, k.revenue_net) == (214.0, 40.0, 174.0)
    assert k.aov == pytest.approx(214 / 4) and k.guest_revenue == 24.0
    assert (k.orders, k.customers) == (4, 2)  # counts do not change
    assert ds.orders["amount"].tolist() == [125.0, 60.0, 40.0]  # the dataset itself is not changed


def test_a_file_without_net_sales_has_no_choice():
    d = load_here(CSV)
    assert not has_net_sales(d)
    assert on_basis(d, "net") is d


def test_a_share_link_keeps_the_basis():
    v = ViewState("overview", None, (), "$", 60, "en", "net")
    assert v.to_query()["rev"] == "net"
    assert ViewState.from_query(v.to_query()) == v
    assert ViewState.from_record(v.to_record()) == v
    assert "rev" not in ViewState().to_query()  # order totals are not written
    assert ViewState.from_query({"rev": "gross"}).basis == "total"  # a hand-edited value falls back


def test_the_report_says_the_basis(ds):
    from lib.present.export import report_tables

    net = on_basis(ds, "net")
    sheet = report_tables(net, view=apply_filters(net))["Overview"].set_index("metric")
    assert sheet.loc["Revenue basis", "shown"] == "net sales (before tax and shipping)"
    assert sheet.loc["Revenue before refunds", "value"] == pytest.approx(214.0)
    zh = report_tables(ds, lang="zh")["Overview"].set_index("metric")
    assert zh.loc["Revenue basis", "shown"] == "订单总额（含税和运费）"


@pytest.mark.child
def test_lib_kpis_on_net_sales_of_the_shopify_export_and_a_clear_no_for_stripe():
    import json
    import subprocess
    import sys

    from conftest import ROOT

    def kpis(name: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "lib", "kpis", str(EXPORTS / name), "--json", *extra],
                              capture_output=True, text=True, cwd=ROOT)

    total, net = (json.loads(kpis("shopify_orders.csv", *a).stdout) for a in ((), ("--revenue", "net")))
    ds = load_here(EXPORTS / "shopify_orders.csv")
    assert total["revenue_gross"] == pytest.approx(ds.orders["amount"].sum())
    assert net["revenue_gross"] == pytest.approx(ds.orders["net_sales"].sum()) and net["revenue_gross"] < total["revenue_gross"]
    assert (total["revenue_basis"], net["revenue_basis"]) == ("total", "net")
    no = kpis("stripe_payments.csv", "--revenue", "net")
    assert no.returncode == 2 and "no net-sales basis" in no.stderr


@pytest.mark.apptest
@pytest.mark.child
def test_the_sidebar_switches_the_pages_to_net_sales_and_the_pages_say_so():
    from streamlit.testing.v1 import AppTest

    from lib.present.figures import FIGURES
    from ui.session import K_BASIS

    ds = load_here(EXPORTS / "shopify_orders.csv")
    at = AppTest.from_file("../app.py", default_timeout=180).run()
    assert not [r for r in at.radio if r.key == "basis-en"]  # the sample has no tax or shipping: no choice
    at.file_uploader[0].set_value(("orders_export.csv", (EXPORTS / "shopify_orders.csv").read_bytes(), "text/csv")).run()
    assert any(c.value == "Revenue: order totals (with tax and shipping)" for c in at.caption)
    at.radio(key="basis-en").set_value("Net sales (before tax and shipping)").run()
    assert not at.exception
    assert at.session_state[K_BASIS] == "net"
    k = overview(apply_filters(on_basis(ds, "net")))
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Net revenue"] == FIGURES["revenue_net"].text(k.revenue_net, "$")
    assert any(c.value == "Revenue: net sales (before tax and shipping)" for c in at.caption)
    at.switch_page("views/ltv.py").run()
    assert any(c.value == "Revenue: net sales (before tax and shipping)" for c in at.caption)
    at.radio(key="lang").set_value("zh").run()  # the basis holds across a language switch, the radio says it in 中文
    assert not at.exception
    assert at.radio(key="basis-zh").value == "净销售额（不含税和运费）"
    assert any(c.value == "收入: 净销售额（不含税和运费）" for c in at.caption)


def test_a_refund_row_with_an_id_of_its_own_is_taken_in_all_orders_proportion():
    """A refund row whose id is no order of the data (its own invoice number) cannot be matched to an order's share:
    all orders' share of net sales is taken (the review's case: orders 120 / 60 / 110 with net sales 250)."""
    d = load_here(b"order,customer,date,amount,channel\n1,A,2024-01-05,120,shop\n2,B,2024-01-06,60,shop\n"
                  b"3,A,2024-01-07,110,shop\nR2,B,2024-01-08,-60,shop\n")
    d = dataclasses.replace(d, orders=d.orders.assign(net_sales=[100.0, 50.0, 100.0]))
    k = overview(apply_filters(on_basis(d, "net")))
    # 60 refunded x 250 / 290 = 51.72; net revenue 250 - 51.72
    assert k.refunds == pytest.approx(60 * 250 / 290) and k.revenue_net == pytest.approx(250 - 60 * 250 / 290)
    with pytest.raises(ValueError, match="Unknown revenue basis"):
        on_basis(d, "nett")


@pytest.mark.apptest
@pytest.mark.child
def test_the_data_page_shows_the_files_own_amounts_on_net_sales():
    from streamlit.testing.v1 import AppTest

    ds = load_here(EXPORTS / "shopify_orders.csv")
    at = AppTest.from_file("../app.py", default_timeout=180).run()
    at.file_uploader[0].set_value(("orders_export.csv", (EXPORTS / "shopify_orders.csv").read_bytes(), "text/csv")).run()
    at.radio(key="basis-en").set_value("Net sales (before tax and shipping)").run()
    at.switch_page("views/data.py").run()
    assert not at.exception
    preview = [d.value for d in at.dataframe if "net_sales" in d.value.columns][0]
    assert preview["amount"].tolist() == ds.every_order()["amount"].tolist()  # the file's totals, not net sales
