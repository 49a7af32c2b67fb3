"""Amounts no order holds (issue #25): 1e308, inf, -inf and a decimal(38) column's 10^35 are refused per row and
counted as ``bad_amount``, so revenue, AOV and the charts stay finite; a blank (NaN) amount stays "missing";
decimal(38, 2) Parquet columns are read as the numbers they hold."""
from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import load_here

from lib.clean.amounts import absurd
from lib.clean.orders import clean_orders
from lib.clean.spend import clean_spend
from lib.model.metrics import overview
from lib.model.view import apply_filters
from lib.schema import MAX_AMOUNT, QualityReport

MAP = {"order_id": "order", "customer_id": "customer", "order_date": "date", "amount": "amount", "referrer_id": "referrer"}
GOOD = [10.5, 20.0, 30.25, 40.0]  # orders 1-4; the rest hold amounts no order holds, or none


@pytest.mark.parametrize("value, refused", [
    (1e308, True), (math.inf, True), (-math.inf, True), (MAX_AMOUNT * 1.5, True), (-2 * MAX_AMOUNT, True),
    (math.nan, False), (0.0, False), (12.5, False), (-12.5, False), (MAX_AMOUNT, False), (-MAX_AMOUNT, False),
], ids=["1e308", "inf", "-inf", "over the bound", "under minus the bound", "blank", "zero", "amount", "refund",
        "the bound", "minus the bound"])
def test_absurd(value, refused):
    assert bool(absurd(np.array([value]))[0]) is refused


def _orders(amounts: list) -> pd.DataFrame:
    n = len(amounts)
    return pd.DataFrame({
        "order": [str(i + 1) for i in range(n)], "customer": [f"c{i % 5}" for i in range(n)],
        "date": [f"2024-01-{i + 1:02d}" for i in range(n)], "amount": amounts,
        "referrer": [None, "c0", "c1", "c0"] + [None] * (n - 4),
    })


def _issues(report: QualityReport) -> dict[str, tuple[int, float]]:
    return {i.code: (i.rows, i.amount) for i in report.issues}


def _finite_figures(ds) -> None:
    k = overview(apply_filters(ds))
    for name in ("revenue_gross", "revenue_net", "refunds", "aov", "aov_net"):
        assert math.isfinite(getattr(k, name)), name
    assert k.revenue_gross == pytest.approx(sum(GOOD))
    assert all(math.isfinite(i.amount) for i in ds.report.issues)


@pytest.mark.parametrize("bad", [
    [1e308, math.inf, -math.inf, "1e999", "Infinity", "-2e12"],
    ["1e308", "inf", "-inf", "1e999", "¥1e15", "(3e12)"],
], ids=["numbers", "text"])
def test_absurd_amounts_are_counted_and_left_out(bad):
    report = QualityReport()
    cleaned = clean_orders(_orders(GOOD + bad + [math.nan]), MAP, report)
    assert cleaned.orders["amount"].tolist() == GOOD
    assert cleaned.refunds.empty  # -inf and -2e12 are no refunds either
    issues = _issues(report)
    assert issues["bad_amount"] == (len(bad), 0.0)
    assert issues["amount_missing"] == (1, 0.0)  # NaN is a blank, not an absurd amount
    entry = next(i for i in report.issues if i.code == "bad_amount")
    assert entry.describe() == "amount no order holds (infinite, or beyond ±1,000,000,000,000): the row is left out"
    assert entry.describe("zh").startswith("金额不可能属于任何订单")


def test_an_amount_from_quantity_times_price_that_overflows_and_a_tax_of_inf_are_refused():
    raw = pd.DataFrame({"order": ["1", "2", "3"], "customer": ["a", "b", "c"], "date": ["2024-01-01"] * 3,
                        "amount": [None, 12.0, 5.0], "quantity": [1e200, 1, 1], "price": [1e200, 12.0, 5.0],
                        "tax": [0.0, math.inf, 1.0], "product": ["x", "y", "z"]})
    report = QualityReport()
    mapping = {"order_id": "order", "customer_id": "customer", "order_date": "date", "amount": "amount",
               "quantity": "quantity", "unit_price": "price", "tax": "tax", "product": "product"}
    cleaned = clean_orders(raw, mapping, report)
    assert cleaned.orders["order_id"].tolist() == ["3"]
    assert _issues(report)["bad_amount"] == (2, 12.0)  # order 2's amount is an amount; order 1's is not
    assert cleaned.lines["product"].tolist() == ["z"] and np.isfinite(cleaned.lines["amount"]).all()


def test_a_duplicate_row_of_inf_reports_a_finite_amount():
    report = QualityReport()
    raw = _orders(GOOD + [math.inf])
    raw = pd.concat([raw, raw.iloc[[0, 4]]], ignore_index=True)
    clean_orders(raw, {k: v for k, v in MAP.items() if k != "order_id"}, report)
    assert _issues(report)["duplicate_row"] == (2, 10.5)
    assert _issues(report)["bad_amount"][0] == 1


def test_spend_of_inf_is_refused():
    raw = pd.DataFrame({"channel": ["a", "a", "b"], "month": ["2024-01", "2024-02", "2024-01"],
                        "spend": [100.0, math.inf, 1e300]})
    report = QualityReport()
    spend = clean_spend(raw, {"channel": "channel", "month": "month", "spend": "spend"}, report)
    assert spend["spend"].tolist() == [100.0]
    assert _issues(report)["bad_amount"] == (2, 0.0)


def _parquet(path, amounts: pa.Array) -> None:
    n = len(amounts)
    t = pa.table({"order": [str(i + 1) for i in range(n)], "customer": [f"c{i % 5}" for i in range(n)],
                  "date": [f"2024-01-{i + 1:02d}" for i in range(n)], "amount": amounts,
                  "referrer": [None, "c0", "c1", "c0"] + [None] * (n - 4)})
    pq.write_table(t, path)


def test_a_parquet_of_floats_with_1e308_inf_and_nan(tmp_path):
    path = tmp_path / "floats.parquet"
    _parquet(path, pa.array(GOOD + [1e308, math.inf, -math.inf, math.nan], pa.float64()))
    ds = load_here(path)
    assert ds.orders["amount"].tolist() == GOOD
    assert _issues(ds.report)["bad_amount"] == (3, 0.0) and _issues(ds.report)["amount_missing"][0] == 1
    _finite_figures(ds)


def test_a_parquet_of_decimal_38_is_read_as_numbers(tmp_path):
    path = tmp_path / "decimals.parquet"
    values = [Decimal(f"{v:.2f}") for v in GOOD] + [Decimal("1" + "0" * 35 + ".00"), Decimal("-2470000000000000000000.00"),
                                                   Decimal("999999999999.99"), None]
    _parquet(path, pa.array(values, pa.decimal128(38, 2)))
    ds = load_here(path)
    assert ds.orders["amount"].tolist() == GOOD + [999999999999.99]  # within the bound, to the cent
    assert _issues(ds.report)["bad_amount"] == (2, 0.0) and _issues(ds.report)["amount_missing"][0] == 1
    k = overview(apply_filters(ds))
    assert k.revenue_gross == pytest.approx(sum(GOOD) + 999999999999.99)


@pytest.mark.apptest
@pytest.mark.child
def test_the_referrals_page_on_absurd_amounts_draws_without_an_exception(tmp_path):
    """Before, the amounts reached the page: Net revenue ¥inf, and Plotly refused the referral tree's marker sizes."""
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "absurd.parquet"
    _parquet(path, pa.array(GOOD + [1e308, math.inf, -math.inf, math.nan, 2.47e21], pa.float64()))  # c0, c1, c2, c3, c4
    at = AppTest.from_file("../app.py", default_timeout=180).run()
    at.file_uploader[0].set_value(("absurd.parquet", path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert "inf" not in metrics["Net revenue"] and "nan" not in metrics["Net revenue"].lower()
    at.switch_page("views/referrals.py").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 3
    at.switch_page("views/data.py").run()
    assert not at.exception
