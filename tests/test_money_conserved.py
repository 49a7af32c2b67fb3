"""No money is lost that the quality report does not show with its amount (issue #21), on every export fixture and the
Online Retail II-shaped workbook: what the raw file holds (plain pandas, by each export's own money column) equals
the kept orders + guest orders + refund rows + orders kept apart (cancelled, unpaid, free) + rows dropped, and
every amount kept apart or dropped is the one the quality report states."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, load_here
from test_filters_agree import _online_retail

EXPORTS = FIXTURES / "exports"
DROPPED = ("date_missing", "amount_missing", "duplicate_row", "blank_row")


def _money(s: pd.Series) -> pd.Series:
    """Money as the exports write it ("$1,240.00", "58.50元", '="12"', "——" for none) as numbers."""
    text = s.astype(str).str.replace(r"[$,元=\"']", "", regex=True).replace({"——": None, "nan": None, "": None})
    return pd.to_numeric(text, errors="coerce")


def _first_per_order(d: pd.DataFrame, order: str, col: str) -> float:
    """An order-level money column written on each line: once per order."""
    return float(_money(d.groupby(order, sort=False)[col].first()).sum())


RAW = {  # file -> its raw money by plain pandas, from the column the export keeps it in
    "shopify_orders.csv": lambda d: _money(d["Total"]).sum(),
    "woocommerce_orders.csv": lambda d: _first_per_order(d, "Order Number", "Order Total Amount"),
    "square_items.csv": lambda d: _money(d["Net Sales"]).abs().sum(),
    "square_transactions.csv": lambda d: _money(d["Total Collected"]).sum(),
    "stripe_payments.csv": lambda d: _money(d["Amount"]).sum(),
    "taobao_orders.csv": lambda d: _money(d["买家实际支付金额"]).sum(),
    "youzan_items.csv": lambda d: _first_per_order(d, "订单号", "订单实付金额"),
    "douyin_orders.csv": lambda d: _money(d["订单应付金额"]).sum(),
    "pinduoduo_orders.csv": lambda d: _money(d["用户实付金额(元)"]).sum(),
    "../edge_cases.csv": lambda d: _money(d["amount"]).abs().sum(),
}


def _accounted(ds) -> tuple[float, float]:
    """(money the dataset accounts for, money the quality report says was kept apart as cancelled)."""
    r, issues = ds.refunds, ds.report.issues
    orders = float(ds.every_order()["amount"].sum())
    apart = float(r.loc[r["kind"].isin(["cancelled", "free"]), "amount"].sum())
    refund_rows = sum(i.amount for i in issues if i.code == "refund_row")
    dropped = sum(i.amount for i in issues if i.code in DROPPED)
    return orders + apart + refund_rows + dropped, sum(i.amount for i in issues if i.action == "kept as cancelled")


@pytest.mark.parametrize("name", sorted(RAW), ids=lambda n: Path(n).stem)
def test_every_unit_of_money_in_the_file_is_kept_or_reported(name):
    path = EXPORTS / name
    encoding = "gb18030" if name.startswith("taobao") else "utf-8"
    raw = float(RAW[name](pd.read_csv(path, dtype=str, encoding=encoding)))
    ds = load_here(path)
    accounted, reported_apart = _accounted(ds)
    assert accounted == pytest.approx(raw, abs=0.005)
    r = ds.refunds
    assert reported_apart == pytest.approx(float(r.loc[r["kind"] == "cancelled", "amount"].sum()), abs=0.005)


def test_an_online_retail_workbook_keeps_every_line_with_guests_and_cancellations(tmp_path):
    raw = _online_retail()
    path = tmp_path / "Online Retail.xlsx"
    raw.to_excel(path, index=False, sheet_name="Online Retail")
    ds = load_here(path)
    lines = (raw["Quantity"] * raw["UnitPrice"]).abs()
    accounted, _ = _accounted(ds)
    assert accounted == pytest.approx(float(lines.sum()))
    guests = raw["CustomerID"].isna()
    assert float(ds.guests["amount"].sum()) == pytest.approx(float(lines[guests].sum()))
    assert {i.code: i.amount for i in ds.report.issues}["guest_row"] == pytest.approx(float(lines[guests].sum()))
