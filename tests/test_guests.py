"""Guest orders (no customer on any line): in the order totals, in no customer figure (issue #21).

The Online Retail II workbook has 590 rows without a Customer ID (5,371.14): they were dropped from every
total, revenue included. Hand-worked table below; every expected figure is worked out in the comments.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from conftest import load_here, xlsx_bytes
from streamlit.testing.v1 import AppTest

from lib.cli import load_summary
from lib.model.metrics import overview, revenue_new_vs_returning
from lib.model.view import Filters, apply_filters
from lib.share import storage

# customers A (shop, 100 + 40) and B (WeChat, 60); guests G1 (shop, 30), G2 (WeChat, 20, refunded 5 later), G3 (shop, 10,
# in March); a refund of A's first order (15)
CSV = ("order,customer,date,amount,channel\n"
       "1,A,2024-01-05,100,shop\n"
       "2,B,2024-01-06,60,WeChat\n"
       "G1,,2024-01-07,30,shop\n"
       "G2,,2024-01-08,20,WeChat\n"
       "G2,,2024-01-20,-5,WeChat\n"
       "3,A,2024-02-10,40,shop\n"
       "1,A,2024-02-11,-15,shop\n"
       "G3,,2024-03-01,10,shop\n").encode()


def same(a, b) -> bool:
    """Two Overviews equal, NaN equal to NaN (a figure not computable on both)."""
    x, y = a.as_dict(), b.as_dict()
    return x.keys() == y.keys() and all(x[k] == y[k] or (pd.isna(x[k]) and pd.isna(y[k])) for k in x)


@pytest.fixture(scope="module")
def ds():
    return load_here(CSV)


def test_guest_rows_are_kept_apart_as_guest_orders_with_their_amount(ds):
    assert ds.guests["order_id"].tolist() == ["G1", "G2", "G3"]
    assert ds.guests["amount"].tolist() == [30.0, 20.0, 10.0]
    assert ds.guests["customer_id"].isna().all()
    assert set(ds.orders["customer_id"]) == {"A", "B"}
    guest_refund = ds.refunds.loc[ds.refunds["order_id"] == "G2"]
    assert guest_refund["amount"].tolist() == [5.0] and guest_refund["customer_id"].isna().all()
    issue = {i.code: i for i in ds.report.issues}["guest_row"]
    assert (issue.rows, issue.amount, issue.action) == (4, 65.0, "kept as guests")  # 30 + 20 + |-5| + 10
    assert ds.report.dropped() == 0
    assert "访客" in issue.describe("zh")


def test_order_totals_count_guests_and_customer_figures_do_not(ds):
    k = overview(apply_filters(ds))
    # orders 1, 2, 3 + G1, G2, G3 = 6; revenue 100 + 60 + 40 + 30 + 20 + 10 = 260; refunds 15 + 5 = 20
    assert (k.orders, k.guest_orders) == (6, 3)
    assert (k.revenue_gross, k.guest_revenue, k.refunds, k.revenue_net) == (260.0, 60.0, 20.0, 240.0)
    assert k.aov == pytest.approx(260 / 6) and k.aov_net == pytest.approx(240 / 6)
    # customers A and B; their 3 orders; A repurchased
    assert (k.customers, k.new_customers) == (2, 2)
    assert k.orders_per_customer == pytest.approx(3 / 2) and k.repurchase_rate == pytest.approx(1 / 2)


def test_a_channel_filter_keeps_the_guest_orders_of_that_channel_and_their_refunds(ds):
    k = overview(apply_filters(ds, Filters(channels=("WeChat",))))
    # B's 60 and guest G2's 20, refunded 5
    assert (k.orders, k.guest_orders, k.customers) == (2, 1, 1)
    assert (k.revenue_gross, k.refunds) == (80.0, 5.0)
    shop = overview(apply_filters(ds, Filters(channels=("shop",))))
    # A's 100 + 40, G1 30, G3 10; A's refund 15
    assert (shop.orders, shop.revenue_gross, shop.refunds) == (4, 180.0, 15.0)


def test_every_channel_chosen_is_no_channel_filter_with_guests(ds):
    assert ds.channels == ["WeChat", "shop"]
    every = overview(apply_filters(ds, Filters(channels=tuple(ds.channels))))
    assert same(every, overview(apply_filters(ds)))


def test_a_date_window_keeps_the_guest_orders_dated_in_it(ds):
    k = overview(apply_filters(ds, Filters(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))))
    # January: orders 1, 2, G1, G2 (210); refunds dated in January: G2's 5
    assert (k.orders, k.guest_orders, k.revenue_gross, k.refunds) == (4, 2, 210.0, 5.0)


def test_the_monthly_revenue_split_shows_guest_revenue_beside_new_and_returning(ds):
    v = apply_filters(ds)
    t = revenue_new_vs_returning(v.all_orders, v.orders, guests=v.guests).set_index("month")
    assert t.loc["2024-01-01"].tolist() == [160.0, 0.0, 50.0]  # new A 100 + B 60; guests 30 + 20
    assert t.loc["2024-02-01"].tolist() == [0.0, 40.0, 0.0]
    assert t.loc["2024-03-01"].tolist() == [0.0, 0.0, 10.0]
    assert t[["new", "returning", "guests"]].to_numpy().sum() == overview(v).revenue_gross


def test_lib_load_says_the_same_orders_and_revenue_and_names_the_guests(ds):
    s = load_summary(ds)
    k = overview(apply_filters(ds))
    assert (s["orders"], s["revenue_gross"], s["refunds"]) == (k.orders, k.revenue_gross, k.refunds)
    assert (s["guest_orders"], s["guest_revenue"], s["customers"]) == (3, 60.0, 2)
    assert s["date_to"] == "2024-03-01"  # the last order is a guest's


def test_a_shared_view_keeps_the_guest_orders(ds, tmp_path):
    back = storage.load_dataset(storage.save_dataset(ds, tmp_path), tmp_path)
    pd.testing.assert_frame_equal(back.guests, ds.guests)
    assert same(overview(apply_filters(back)), overview(apply_filters(ds)))


@pytest.mark.apptest
@pytest.mark.child
def test_the_overview_says_what_the_guest_orders_are():
    rows = [["order", "customer", "date", "amount"], ["1", "A", datetime(2024, 1, 5), 100], ["2", "B", datetime(2024, 1, 6), 60],
            ["G1", None, datetime(2024, 1, 7), 30]]
    at = AppTest.from_file("../app.py", default_timeout=180).run()
    at.file_uploader[0].set_value(("orders.xlsx", xlsx_bytes({"Orders": rows}),
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run()
    assert not at.exception
    m = {x.label: x.value for x in at.metric}
    assert (m["Customers"], m["Orders"], m["Net revenue"]) == ("2", "3", "¥190")
    assert any("1 guest orders without a customer (¥30)" in c.value for c in at.caption)
    # two AOVs, named apart: the tile's counts the guest order (190 / 3), the customer value's does not (160 / 2)
    assert (m["AOV"], m["AOV of customers' orders"]) == ("¥63.3", "¥80.0")


def test_a_guest_cancellation_with_an_id_of_its_own_follows_its_rows_channel():
    """UCI's "C" invoices of guests: a refund row naming no customer and no order of the data. Under a channel filter
    it counts by the channel written on it, so the channels' refunds add up to the unfiltered figure."""
    d = load_here(CSV + b"C9,,2024-02-20,-7,WeChat\n")
    every = overview(apply_filters(d)).refunds
    by_channel = [overview(apply_filters(d, Filters(channels=(c,)))).refunds for c in d.channels]
    assert every == 27.0 and by_channel == [12.0, 15.0]  # WeChat: G2's 5 + C9's 7; shop: A's 15
    assert sum(by_channel) == every


def test_a_channel_only_guests_bought_by_is_not_offered_and_a_window_of_guests_only_says_so(ds):
    d = load_here(CSV + b"G4,,2024-03-05,12,pos\n")
    assert d.channels == ["WeChat", "shop"]  # no customer was acquired by pos
    assert overview(apply_filters(d)).guest_orders == 4  # its guest order counts without a filter
    from lib.errors import DataError

    with pytest.raises(DataError, match="only 2 guest orders without a customer do"):
        apply_filters(d, Filters(pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-31")))


def test_only_whole_guest_orders_are_counted_as_guests_with_their_money():
    """A line without a customer in an order whose other line names one is the customer's order; a cancelled guest
    order is counted as cancelled, not as a guest's."""
    d = load_here(("order,customer,date,amount,status\n"
                   "1,A,2024-01-05,100,paid\n"
                   "1,,2024-01-05,20,paid\n"
                   "G1,,2024-01-07,30,paid\n"
                   "G2,,2024-01-08,25,cancelled\n"
                   "2,B,2024-01-09,60,paid\n").encode())
    issue = {i.code: i for i in d.report.issues}
    assert (issue["guest_row"].rows, issue["guest_row"].amount) == (1, 30.0)
    assert d.orders.set_index("order_id").loc["1", "amount"] == 120.0 and d.guests["order_id"].tolist() == ["G1"]
    assert issue["cancelled_by_status"].rows == 1


def test_a_customer_column_empty_on_every_row_is_order_level():
    d = load_here(b"order,customer,date,amount\n1,,2024-01-05,100\n2,,2024-01-06,60\n")
    assert not d.customer_level and d.guests is None
    assert any("empty on every row" in n for n in d.report.notes)
    assert overview(apply_filters(d)).orders == 2


def test_the_planner_baseline_is_the_shops_revenue_with_guests(ds):
    from lib.model.planner import baseline_monthly_revenue

    v = apply_filters(ds)
    every = v.every_order()
    assert len(every) == 6 and every["order_date"].is_monotonic_increasing
    # the 3 full months before 2024-03-01's month: Dec–Feb → (100 + 60 + 30 + 20 + 40) / 3
    assert baseline_monthly_revenue(every, v.as_of) == pytest.approx(250 / 3)


@pytest.mark.apptest
@pytest.mark.child
def test_the_customer_value_box_says_dash_not_nan_without_referrer_links():
    rows = [["order", "customer", "date", "amount"], ["1", "A", datetime(2024, 1, 5), 100], ["2", "A", datetime(2024, 2, 6), 60]]
    at = AppTest.from_file("../app.py", default_timeout=180).run()
    at.file_uploader[0].set_value(("orders.xlsx", xlsx_bytes({"Orders": rows}),
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run()
    m = {x.label: x.value for x in at.metric}
    assert m["New customers brought per customer (K)"] == "—" and m["Orders per customer"] == "2.00"
