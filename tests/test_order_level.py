"""The Overview of a file that names no customers: orders by month, channel and product, and refunds, by hand."""
from __future__ import annotations

import pandas as pd
from conftest import orders_frame

from lib.model.order_level import OTHERS, UNNAMED, order_breakdown
from lib.model.view import Filters, apply_filters
from lib.schema import Dataset, QualityReport


def _dataset() -> Dataset:
    orders = orders_frame([
        ("o1", "c1", "2024-01-05", 100, "live", None),
        ("o2", "c2", "2024-01-20", 50, "video", None),
        ("o3", "c3", "2024-03-02", 30, "live", None),  # February has no order: a month of zeros, not a gap
    ])
    guests = orders_frame([("g1", None, "2024-03-09", 20, None, None)])
    refunds = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "refund_date": pd.to_datetime(["2024-02-10"]),
                            "amount": [40.0], "kind": ["refund"], "channel": ["live"]}).astype(
        {"order_id": "string", "customer_id": "string", "kind": "string", "channel": "string"})
    lines = pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3", "g1", "o3"],
                          "product": ["Tea A", "Tea B", "Tea A", None, "Tea C", "Postage"],
                          "sku": [None, None, None, None, None, "POST"],
                          "quantity": [1, 2, 1, 1, 1, 1], "amount": [60.0, 40.0, 50.0, 25.0, 20.0, 5.0]})
    return Dataset(orders, refunds, None, QualityReport(), lines=lines, guests=guests)


def test_orders_by_month_count_guests_and_refunds_at_their_dates():
    b = order_breakdown(apply_filters(_dataset()), _dataset().lines)
    m = b.by_month.set_index(b.by_month["month"].dt.strftime("%Y-%m"))
    assert m["orders"].to_dict() == {"2024-01": 2, "2024-02": 0, "2024-03": 2}
    assert m["revenue"].to_dict() == {"2024-01": 150.0, "2024-02": 0.0, "2024-03": 50.0}
    assert m["refunds"].to_dict() == {"2024-01": 0.0, "2024-02": 40.0, "2024-03": 0.0}
    assert m.loc["2024-02", "net"] == -40.0 and pd.isna(m.loc["2024-02", "aov"]) and m.loc["2024-01", "aov"] == 75.0
    assert b.refund_rate == 40.0 / 200.0


def test_channels_and_products_share_the_window_revenue():
    ds = _dataset()
    b = order_breakdown(apply_filters(ds), ds.lines, top=2)
    ch = b.by_channel.set_index("channel")
    assert ch["revenue"].to_dict() == {"live": 130.0, "video": 50.0, "(none)": 20.0}  # the guest's order has no channel
    assert abs(ch["share"].sum() - 1) < 1e-12
    p = b.by_product.set_index("product")
    # Tea A 110 (2 orders), Tea B 40, then the rest: the unnamed line 25 and Tea C 20; postage is no product
    assert list(p.index) == ["Tea A", "Tea B", OTHERS] and p.loc["Tea A", "orders"] == 2
    assert p.loc[OTHERS, "revenue"] == 45.0 and p.loc[OTHERS, "orders"] == 2
    everything = order_breakdown(apply_filters(ds), ds.lines, top=10).by_product.set_index("product")
    assert everything.loc[UNNAMED, "revenue"] == 25.0 and "Postage" not in everything.index


def test_a_window_keeps_its_months_only():
    ds = _dataset()
    b = order_breakdown(apply_filters(ds, Filters(pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-31"))), ds.lines)
    assert b.by_month["month"].dt.strftime("%Y-%m").tolist() == ["2024-02", "2024-03"]
    assert b.by_month["revenue"].sum() == 50.0 and b.by_month["refunds"].sum() == 40.0
    assert b.by_product["revenue"].sum() == 45.0  # the window's orders' lines only
