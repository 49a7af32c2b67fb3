"""Product journeys (lib/products.py): hand-worked figures, a property of the groups, and plain pandas."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from conftest import load_here
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.model.products import journey, non_product
from lib.model.view import Filters, apply_filters

# c1 buys tea and a cup, then tea again 10 days later; c2 buys tea once; c3 buys a gift box (plus postage),
# then a cup 30 days later; c4 buys a gift box once. Analysis date: 2024-03-02, the last order.
LINES = """order,customer,date,product,sku,line amount
O1,c1,2024-01-01,Tea 250g,T1,70
O1,c1,2024-01-01,Cup,C1,30
O2,c1,2024-01-11,Tea 250g,T1,60
O3,c2,2024-01-05,Tea 250g,T1,50
O4,c3,2024-02-01,Gift box,G1,75
O4,c3,2024-02-01,Postage,POST,5
O5,c3,2024-03-02,Cup,C1,40
O6,c4,2024-02-10,Gift box,G1,30
"""


def _journey(months: int = 1, **filters):
    ds = load_here(LINES.encode())
    assert ds.lines is not None
    return journey(apply_filters(ds, Filters(**filters)), ds.lines, months=months)


def test_first_products_by_hand():
    j = _journey()
    f = j.first.set_index("product")
    assert sorted(f.index) == ["Cup", "Gift box", "Tea 250g"]  # postage is not a product
    assert f.loc["Tea 250g", "customers"] == 2 and f.loc["Cup", "customers"] == 1 and f.loc["Gift box", "customers"] == 2
    assert f.loc["Tea 250g", "repeat_rate"] == 0.5 and f.loc["Cup", "repeat_rate"] == 1.0 and f.loc["Gift box", "repeat_rate"] == 0.5
    assert f.loc["Tea 250g", "median_days_to_2nd"] == 10 and f.loc["Gift box", "median_days_to_2nd"] == 30
    # one month's value of customers a month old by 2 March: c1 160, c2 50, c3 80 + 40 (day 30 is inside month 1)
    assert f.loc["Tea 250g", "ltv_12m"] == 105 and f.loc["Cup", "ltv_12m"] == 160
    assert f.loc["Gift box", "ltv_12m"] == 120 and f.loc["Gift box", "ltv_customers"] == 1  # c4 is 22 days old
    assert j.shop == {"customers": 4.0, "repeat_rate": 0.5, "median_days_to_2nd": 20.0, "ltv_12m": 110.0, "ltv_customers": 3.0}
    assert math.isclose(f.loc["Tea 250g", "ltv_vs_shop"], 105 / 110) and f.loc["Cup", "repeat_vs_shop"] == 0.5
    assert f.loc["Tea 250g", "share"] == 0.5  # 2 of the 4 new customers


def test_what_they_buy_next_by_hand():
    pairs = {(r.first, r.second): (r.customers, r.share) for r in _journey().next.itertuples()}
    assert pairs == {("Tea 250g", "Tea 250g"): (1, 1.0), ("Cup", "Tea 250g"): (1, 1.0), ("Gift box", "Cup"): (1, 1.0)}


def test_postage_is_left_out_and_said():
    left = _journey().left_out
    assert left["item"].tolist() == ["Postage"] and left["lines"].tolist() == [1] and left["amount"].tolist() == [5.0]


def test_uci_stock_codes_and_chinese_fee_lines_are_not_products():
    lines = pd.DataFrame({"order_id": list("abcdefg"), "product": ["POSTAGE", "Manual", None, "WHITE HEART", "运费", "补差价链接",
                                                                     "DOTCOM POSTAGE"],
                          "sku": ["POST", "M", "DOT", "85123A", None, None, "DOT"], "quantity": 1.0, "amount": 1.0})
    assert non_product(lines).tolist() == [True, True, True, False, True, True, True]


def test_a_date_window_takes_the_customers_acquired_in_it():
    j = _journey(date_from=pd.Timestamp("2024-02-01"), date_to=pd.Timestamp("2024-03-02"))
    assert sorted(j.first["product"]) == ["Gift box"] and j.first["customers"].tolist() == [2]
    # history stops at the window's end: a window to 20 February has not seen c3's second order yet
    j = _journey(date_from=pd.Timestamp("2024-02-01"), date_to=pd.Timestamp("2024-02-20"))
    assert j.first.set_index("product").loc["Gift box", "repeat_rate"] == 0.0


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40), st.lists(st.sampled_from("ABCD"), min_size=1, max_size=3)),
                min_size=1, max_size=25))
def test_each_customer_sits_in_the_group_of_each_first_order_product_and_nowhere_else(rows):
    # rows: (customer, day, products of that order); one order per row
    text = ["order,customer,date,product,line amount"]
    for i, (cust, day, products) in enumerate(rows):
        for p in dict.fromkeys(products):
            text.append(f"o{i},c{cust},{(pd.Timestamp('2024-01-01') + pd.Timedelta(days=day)).date()},{p},10")
    ds = load_here("\n".join(text).encode())
    j = journey(apply_filters(ds), ds.lines)
    # by brute force: each customer's first order (earliest day, then file order) and its products
    first: dict[int, tuple[int, int]] = {}
    for i, (cust, day, _) in enumerate(rows):
        if cust not in first or day < first[cust][0]:
            first[cust] = (day, i)
    expected: dict[str, int] = {}
    for cust, (_, i) in first.items():
        for p in set(rows[i][2]):
            expected[p] = expected.get(p, 0) + 1
    assert dict(zip(j.first["product"], j.first["customers"])) == expected
    assert j.first["customers"].sum() == sum(len(set(rows[i][2])) for _, i in first.values())


def test_sample_story_and_plain_pandas_under_a_filter(sample_ds):
    # the sample shop's story: Oolong as a first product brings people back, the gift box does not
    view = apply_filters(sample_ds, Filters(pd.Timestamp("2025-01-01"), pd.Timestamp("2026-06-30"), ("SMS", "Referral")))
    j = journey(view, sample_ds.lines)
    f = j.first.set_index("product")
    assert f.loc["Oolong tea 250g", "repeat_rate"] > j.shop["repeat_rate"] > f.loc["Mid-autumn gift box", "repeat_rate"]
    # plain pandas: customers acquired in the window through those channels, their first order's product, a 2nd order
    o = sample_ds.orders.loc[sample_ds.orders["order_date"] <= pd.Timestamp("2026-06-30 23:59:59")]
    o = o.sort_values("order_date", kind="stable")
    firsts = o.groupby("customer_id").head(1)
    firsts = firsts.loc[(firsts["order_date"] >= "2025-01-01") & firsts["channel"].isin(["SMS", "Referral"])]
    counts = o.groupby("customer_id").size()
    lines = sample_ds.lines.drop_duplicates(["order_id", "product"])
    merged = firsts.merge(lines, on="order_id")
    merged["back"] = merged["customer_id"].map(counts).to_numpy() >= 2
    plain = merged.groupby("product")["back"].mean()
    np.testing.assert_allclose(f.loc[plain.index, "repeat_rate"].to_numpy(float), plain.to_numpy(float))


def test_a_line_item_workbook_shaped_like_uci_online_retail(tmp_path):
    # invoices of several lines, "C" cancellations, guests, and the non-product stock codes of that data set
    from test_filters_agree import _online_retail

    raw = _online_retail()
    extra = raw.drop_duplicates("InvoiceNo").head(30).copy()
    extra["StockCode"] = (["POST", "M", "DOT"] * 10)[: len(extra)]
    extra["Description"] = (["POSTAGE", "Manual", "DOTCOM POSTAGE"] * 10)[: len(extra)]
    raw = pd.concat([raw, extra], ignore_index=True)
    path = tmp_path / "Online Retail.xlsx"
    raw.to_excel(path, index=False, sheet_name="Online Retail")
    mapping = {"order_id": "InvoiceNo", "sku": "StockCode", "product": "Description", "quantity": "Quantity",
               "order_date": "InvoiceDate", "unit_price": "UnitPrice", "customer_id": "CustomerID", "channel": "Country"}
    ds = load_here(path, mapping=mapping)
    j = journey(apply_filters(ds), ds.lines)
    kept = extra.loc[~extra["InvoiceNo"].astype(str).str.startswith("C") & extra["CustomerID"].notna()]  # lines of orders
    assert set(j.left_out["item"]) == {"POSTAGE", "Manual", "DOTCOM POSTAGE"} and j.left_out["lines"].sum() == len(kept)
    assert not j.first["product"].isin(["POSTAGE", "Manual", "DOTCOM POSTAGE"]).any()
    # plain pandas: each customer's first invoice (not a cancellation), the products on it
    sales = raw.loc[~raw["InvoiceNo"].astype(str).str.startswith("C") & raw["CustomerID"].notna()]
    sales = sales.loc[~sales["StockCode"].isin(["POST", "M", "DOT"])]
    first_invoice = sales.sort_values("InvoiceDate", kind="stable").groupby("CustomerID")["InvoiceNo"].first()
    firsts = sales.loc[sales["InvoiceNo"].isin(first_invoice.to_numpy())]
    expected = firsts.groupby("Description")["CustomerID"].nunique()
    got = j.first.set_index("product")["customers"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()


def test_a_shopify_export_by_hand():
    # kept orders: #1001 alice (Tea A, Cup; code WELCOME10), #1002 bob (Tea B), #1003 alice (Tea A, Tea C), #1005 bob (Tea B)
    from conftest import FIXTURES

    from lib.model.products import customers_of, first_order_groups

    ds = load_here(FIXTURES / "exports" / "shopify_orders.csv")
    view = apply_filters(ds)
    j = journey(view, ds.lines)
    f = j.first.set_index("product")
    assert f["customers"].to_dict() == {"Cup": 1, "Tea A": 1, "Tea B": 1} and (f["repeat_rate"] == 1.0).all()
    assert round(f.loc["Tea A", "median_days_to_2nd"], 2) == round((pd.Timestamp("2024-04-10 10:00") -
                                                                    pd.Timestamp("2024-03-05 14:22:10")).total_seconds() / 86400, 2)
    pairs = set(zip(j.next["first"], j.next["second"]))
    assert pairs == {("Tea A", "Tea A"), ("Tea A", "Tea C"), ("Cup", "Tea A"), ("Cup", "Tea C"), ("Tea B", "Tea B")}
    assert ds.orders.set_index("order_id").loc["#1001", "discount_code"] == "WELCOME10"
    assert first_order_groups(view, ds.lines)["discount_code"] == ["WELCOME10"]
    assert list(customers_of(view, ds.lines, "discount_code", "WELCOME10")) == ["alice@example.com"]
    assert sorted(customers_of(view, ds.lines, "product", "Tea A")) == ["alice@example.com"]


def test_a_window_where_no_new_customer_bought_a_product_gives_empty_numeric_tables():
    # the Shopify export from 20 March to 11 April: one order, of a returning customer. The first-product table is
    # empty, and its rates stay numbers (a per-group apply kept the ids' text dtype and the page crashed subtracting)
    from conftest import FIXTURES

    from lib.model.products import first_order_groups

    ds = load_here(FIXTURES / "exports" / "shopify_orders.csv")
    view = apply_filters(ds, Filters(pd.Timestamp("2024-03-20"), pd.Timestamp("2024-04-11"), None))
    assert len(view.orders) == 1 and not view.acquired().any()
    j = journey(view, ds.lines)
    assert j.first.empty and j.next.empty
    assert all(pd.api.types.is_numeric_dtype(j.first[c]) for c in ("share", "repeat_rate", "repeat_vs_shop", "ltv_vs_shop"))
    assert math.isnan(j.shop["repeat_rate"])
    assert first_order_groups(view, ds.lines) is not None


def test_cohorts_of_one_first_product_are_the_cohorts_of_those_customers(sample_ds):
    from lib.model.products import customers_of
    from lib.model.tables import cohort_heatmap
    from lib.model.view import restrict

    view = apply_filters(sample_ds)
    ids = customers_of(view, sample_ds.lines, "product", "Oolong tea 250g")
    table = cohort_heatmap(restrict(view, ids), "M")
    j = journey(view, sample_ds.lines)
    sizes = table.drop_duplicates("cohort")["cohort_size"].sum()
    assert sizes == j.first.set_index("product").loc["Oolong tea 250g", "customers"] == len(ids)
    codes = customers_of(view, sample_ds.lines, "discount_code", "FRIEND50")
    assert len(codes) and set(view.customers.set_index("customer_id").loc[list(codes), "channel"]) == {"Referral"}
