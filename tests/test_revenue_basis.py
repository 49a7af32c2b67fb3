"""Net sales (before tax and shipping): which columns are the subtotal, tax and shipping, and each order's net_sales.

Real exports (tests/fixtures/exports) are checked against a plain-pandas recomputation from their raw
files; small hand-typed files against answers worked out by hand:

- lines.csv: L1 two lines of 20 + 30 with the order's shipping 8 and tax 2 on each line -> 50 − 2 − 8 = 40;
  L2 30, tax blank, shipping 5 -> 25; L3 10 with tax 6 and shipping 7 -> −3, clipped to 0 and reported;
  L4 20 -> 20.
- totals.csv: the order's Total, Tax and Shipping repeated on each of its lines (three multi-line orders, so
  the total is known to be the order's): T1 100 − 10 − 5 = 85; T2 60 − 0 − 6 = 54; T3 45 − 5 − 0 = 40.
- subtotal.csv: a Subtotal column (after discounts) beside the Total: S1 its subtotal 90; S2 no subtotal
  written -> 55 − 5 − 0 = 50.
"""
from __future__ import annotations

import io

import pandas as pd
import pytest
from conftest import FIXTURES, load_here

from lib.mapping import propose_mapping
from lib.schema import NET_SALES_FIELDS

EXPORTS = FIXTURES / "exports"

PROPOSED = {  # file -> the columns proposed for subtotal, tax and shipping (an absent field: none proposed)
    "shopify_orders.csv": {"subtotal": "Subtotal", "tax": "Taxes", "shipping": "Shipping"},
    # Order Subtotal Amount is before discounts: not the subtotal
    "woocommerce_orders.csv": {"tax": "Order Total Tax Amount", "shipping": "Order Shipping Amount"},
    "square_items.csv": {},  # its amount is the items' Net Sales, before tax already; its Tax is not taken off again
    "square_transactions.csv": {"subtotal": "Net Sales", "tax": "Tax"},
    "stripe_payments.csv": {},  # its Tax is the tax on Stripe's fee
    "taobao_orders.csv": {"shipping": "买家应付邮费"},
    "taobao_qianniu.xlsx": {"shipping": "买家应付邮费"},
    "douyin_orders.csv": {"shipping": "运费"},
    "youzan_orders.xlsx": {"shipping": "运费"},
    "youzan_items.csv": {"shipping": "运费"},
    "pinduoduo_orders.csv": {"shipping": "邮费(元)"},
}
AMOUNT = {"square_items.csv": "Net Sales", "square_transactions.csv": "Total Collected", "shopify_orders.csv": "Total",
          "woocommerce_orders.csv": "Order Total Amount", "stripe_payments.csv": "Amount"}


@pytest.mark.parametrize("name", sorted(PROPOSED), ids=lambda n: n.split(".")[0])
def test_each_export_proposes_its_subtotal_tax_and_shipping(name):
    ds = load_here(EXPORTS / name)
    mapping = ds.report.mapping
    assert {f: mapping[f] for f in NET_SALES_FIELDS if f in mapping} == PROPOSED[name]
    if name in AMOUNT:
        assert mapping["amount"] == AMOUNT[name]  # the amount each export mapped before
    others = [c for f, c in mapping.items() if f not in NET_SALES_FIELDS]
    assert not {mapping[f] for f in PROPOSED[name]} & set(others)  # no column proposed for two fields
    assert ("net_sales" in ds.orders.columns) is bool(PROPOSED[name])
    assert not [n for n in ds.report.notes if n.startswith("Check the mapping")]  # Youzan's —— is blank, not text


def _money(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip().str.replace(r"[$,元\s]", "", regex=True)
    return pd.to_numeric(text.mask(text.isin(["", "-", "——"])), errors="coerce")


def _raw(name: str) -> pd.DataFrame:
    path = EXPORTS / name
    if path.suffix == ".xlsx":
        return pd.read_excel(path, sheet_name=0, dtype=str)
    encoding = "gb18030" if name.startswith("taobao") else "utf-8-sig"
    return pd.read_csv(path, dtype=str, encoding=encoding)


def _per_order(raw: pd.DataFrame, oid: str, amount: str, first: tuple[str, ...], summed: tuple[str, ...] = ()) -> pd.DataFrame:
    ids = raw[oid].str.strip().str.replace(r'^="(.*)"$', r"\1", regex=True)
    money = pd.DataFrame({c: _money(raw[c]) for c in {amount, *first, *summed}}).assign(order_id=ids)
    g = money.groupby("order_id", sort=False)
    out = pd.DataFrame({c: g[c].first() for c in first})
    for c in summed:
        out[c] = g[c].sum()
    return out


def _net(per: pd.DataFrame, amount: str, tax: str | None = None, shipping: str | None = None) -> pd.Series:
    net = per[amount]
    for c in (tax, shipping):
        if c is not None:
            net = net - per[c].fillna(0.0)
    return net.clip(lower=0.0)


def _shopify(raw: pd.DataFrame) -> pd.Series:  # order fields on the first line only: the first filled
    per = _per_order(raw, "Name", "Total", ("Subtotal", "Total", "Taxes", "Shipping"))
    return per["Subtotal"].where(per["Subtotal"].notna(), _net(per, "Total", "Taxes", "Shipping"))


def _square_transactions(raw: pd.DataFrame) -> pd.Series:
    raw = raw[raw["Event Type"] == "Payment"]
    return _per_order(raw, "Transaction ID", "Total Collected", ("Net Sales",))["Net Sales"]


RECOMPUTED = {  # file -> net sales per order id, from the raw rows with plain pandas
    "shopify_orders.csv": _shopify,
    "woocommerce_orders.csv": lambda raw: _net(_per_order(
        raw, "Order Number", "Order Total Amount", ("Order Total Amount", "Order Total Tax Amount", "Order Shipping Amount")),
        "Order Total Amount", "Order Total Tax Amount", "Order Shipping Amount"),
    "square_transactions.csv": _square_transactions,
    "taobao_orders.csv": lambda raw: _net(_per_order(raw, "订单编号", "买家实际支付金额", ("买家实际支付金额", "买家应付邮费")),
                                          "买家实际支付金额", shipping="买家应付邮费"),
    "douyin_orders.csv": lambda raw: _net(_per_order(raw, "主订单编号", "订单应付金额", ("运费",), ("订单应付金额",)),
                                          "订单应付金额", shipping="运费"),  # sub-orders' amounts summed, shipping once
    "youzan_orders.xlsx": lambda raw: _net(_per_order(raw, "订单号", "订单实付金额", ("订单实付金额", "运费")),
                                           "订单实付金额", shipping="运费"),
    "youzan_items.csv": lambda raw: _net(_per_order(raw, "订单号", "订单实付金额", ("订单实付金额", "运费")),
                                         "订单实付金额", shipping="运费"),  # the order's total and shipping on each item
    "pinduoduo_orders.csv": lambda raw: _net(_per_order(raw, "订单号", "用户实付金额(元)", ("用户实付金额(元)", "邮费(元)")),
                                             "用户实付金额(元)", shipping="邮费(元)"),
}


@pytest.mark.parametrize("name", sorted(RECOMPUTED), ids=lambda n: n.split(".")[0])
def test_net_sales_per_order_is_the_raw_files_own(name):
    ds = load_here(EXPORTS / name)
    want = RECOMPUTED[name](_raw(name))
    got = ds.orders.set_index("order_id")["net_sales"]
    assert got.dtype == "float64" and (got >= 0).all()
    pd.testing.assert_series_equal(got, want.loc[got.index].astype("float64"), check_names=False, check_index_type=False)


def test_shopify_net_sales_is_the_subtotal_and_woocommerce_takes_shipping_off_once():
    shopify = load_here(EXPORTS / "shopify_orders.csv").orders.set_index("order_id")
    assert shopify.loc["#1001", ["amount", "net_sales"]].tolist() == [115.0, 105.0]  # Total 115, Subtotal 105 (+ 10 shipping)
    woo = load_here(EXPORTS / "woocommerce_orders.csv")
    assert woo.orders.set_index("order_id").loc["501", ["amount", "net_sales"]].tolist() == [40.0, 35.0]  # 5.00 on each line
    assert {"tax", "shipping"} <= set(woo.report.order_level)


LINES = """Order,Date,Customer,Product,Amount,Tax,Shipping
L1,2024-01-05,c1,Tea,20.00,2.00,8.00
L1,2024-01-05,c1,Cup,30.00,2.00,8.00
L2,2024-01-06,c2,Tea,30.00,,5.00
L3,2024-01-07,c1,Sample,10.00,6.00,7.00
L4,2024-01-08,c3,Tea,20.00,0,0
"""

TOTALS = """Order,Date,Customer,Product,Qty,Price,Total,Tax,Shipping
T1,2024-02-01,c1,Tea,1,50,100,10,5
T1,2024-02-01,c1,Cup,1,35,100,10,5
T2,2024-02-02,c2,Tea,2,30,60,,6
T2,2024-02-02,c2,Cup,1,0,60,,6
T3,2024-02-03,c1,Tea,1,20,45,5,0
T3,2024-02-03,c1,Pot,1,20,45,5,0
"""

SUBTOTAL = """Order,Date,Customer,Subtotal,Shipping,Tax,Total
S1,2024-03-01,c1,90.00,10.00,0,100.00
S2,2024-03-02,c2,,5.00,0,55.00
"""


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def test_shipping_on_each_line_counts_once_a_blank_tax_is_zero_and_below_zero_is_clipped():
    ds = load_here(_csv(LINES))
    assert {f: ds.report.mapping[f] for f in NET_SALES_FIELDS if f in ds.report.mapping} == {"tax": "Tax", "shipping": "Shipping"}
    o = ds.orders.set_index("order_id")
    assert o["amount"].to_dict() == {"L1": 50.0, "L2": 30.0, "L3": 10.0, "L4": 20.0}
    assert o["net_sales"].to_dict() == {"L1": 40.0, "L2": 25.0, "L3": 0.0, "L4": 20.0}
    clipped = [i for i in ds.report.issues if i.code == "net_sales_below_zero"]
    assert [(i.rows, i.action, i.amount) for i in clipped] == [(1, "changed", 10.0)]
    assert "净销售额" in clipped[0].describe("zh") and "net sales" in clipped[0].describe("en")


def test_the_orders_total_tax_and_shipping_repeated_on_each_line_count_once():
    ds = load_here(_csv(TOTALS))
    o = ds.orders.set_index("order_id")
    assert o["amount"].to_dict() == {"T1": 100.0, "T2": 60.0, "T3": 45.0}
    assert o["net_sales"].to_dict() == {"T1": 85.0, "T2": 54.0, "T3": 40.0}
    assert {"amount", "tax", "shipping"} <= set(ds.report.order_level)
    assert not [i for i in ds.report.issues if i.code == "net_sales_below_zero"]


def test_a_subtotal_is_net_sales_and_a_blank_one_falls_back_to_amount_less_tax_and_shipping():
    ds = load_here(_csv(SUBTOTAL))
    assert ds.report.mapping["amount"] == "Total" and ds.report.mapping["subtotal"] == "Subtotal"  # not Subtotal as the amount
    assert ds.orders.set_index("order_id")["net_sales"].to_dict() == {"S1": 90.0, "S2": 50.0}


def test_a_subtotal_that_is_the_only_money_is_the_amount_with_nothing_taken_off():
    ds = load_here(_csv("Order,Date,Customer,Subtotal,Shipping\nS1,2024-03-01,c1,90.00,10.00\n"))
    assert ds.report.mapping["amount"] == "Subtotal" and not {"subtotal", "shipping"} & ds.report.mapping.keys()
    assert "net_sales" not in ds.orders.columns and ds.orders["amount"].tolist() == [90.0]


def test_from_quantity_and_price_without_a_total_shipping_is_not_taken_off_the_lines_value():
    ds = load_here(_csv("Order,Date,Customer,Qty,Price,Shipping\nQ1,2024-04-01,c1,2,10,5\nQ2,2024-04-02,c2,1,8,\n"))
    assert ds.orders.set_index("order_id")["net_sales"].to_dict() == {"Q1": 20.0, "Q2": 8.0}
    assert any(n.startswith("Net sales: the amount is quantity × unit price") for n in ds.report.notes)


def test_a_file_without_subtotal_tax_or_shipping_has_no_net_sales_column():
    ds = load_here(_csv("Order,Date,Customer,Amount\nA1,2024-01-05,c1,20\nA2,2024-01-06,c2,30\n"))
    assert "net_sales" not in ds.orders.columns
    assert not [i for i in ds.report.issues if i.code == "net_sales_below_zero"]


@pytest.mark.parametrize("header, field", [
    ("Shipping Zip", None), ("Shipping Name", None), ("Postcode (Shipping)", None), ("Tax 1 Name", None),
    ("Taxes On Fee", None), ("Order Subtotal Amount", None), ("Sales Tax", "tax"), ("Shipping Total", "shipping"),
    ("消費税", "tax"), ("送料", "shipping"), ("运费", "shipping"), ("小计", "subtotal"),
], ids=lambda v: str(v))
def test_subtotal_tax_and_shipping_are_matched_by_their_whole_name(header, field):
    frame = pd.DataFrame({"Order": ["A1", "A2"], "Date": ["2024-01-05", "2024-01-06"], "Total": [20.0, 30.0],
                          header: [75008.0, 10.0]})
    mapping = propose_mapping(frame)
    assert {f for f in NET_SALES_FIELDS if mapping.get(f) == header} == ({field} if field else set())


def test_a_stored_dataset_keeps_its_net_sales(tmp_path):
    from lib.share import storage

    ds = load_here(EXPORTS / "shopify_orders.csv")
    back = storage.load_dataset(storage.save_dataset(ds, root=tmp_path), root=tmp_path)
    assert back is not None
    ids = "customer_id"  # Shopify's customer is the email: a link stores a pseudonym for it (lib.share.pseudonyms)
    pd.testing.assert_frame_equal(back.orders.drop(columns=ids), ds.orders.drop(columns=ids))
    assert back.orders[ids].str.startswith("id-").all()
    assert back.orders.groupby(ids).ngroups == ds.orders.groupby(ids).ngroups  # one pseudonym per customer
    assert back.orders["net_sales"].dtype == "float64"


def test_a_tax_inclusive_shopify_store_leaves_its_vat_out_of_net_sales():
    """A store whose prices include tax (EU, UK, AU) writes the tax in its Subtotal: Total 130 = Subtotal 120 + Shipping
    10, Taxes 20 (included). Net sales are the smaller of the subtotal and total − tax − shipping: 100, not 120."""
    csv = ("Name,Email,Financial Status,Paid at,Subtotal,Shipping,Taxes,Total,Created at\n"
           "#1,a@x.com,paid,2024-03-05 10:00:00 +0100,120.00,10.00,20.00,130.00,2024-03-05 10:00:00 +0100\n"
           "#2,b@x.com,paid,2024-03-06 10:00:00 +0100,50.00,5.00,10.00,65.00,2024-03-06 10:00:00 +0100\n")
    ds = load_here(csv.encode())
    assert {k: ds.report.mapping[k] for k in ("subtotal", "tax", "shipping")} == {
        "subtotal": "Subtotal", "tax": "Taxes", "shipping": "Shipping"}
    # #1: min(120, 130 - 20 - 10) = 100; #2 (tax on top): min(50, 65 - 10 - 5) = 50
    assert ds.orders["net_sales"].tolist() == [100.0, 50.0]
