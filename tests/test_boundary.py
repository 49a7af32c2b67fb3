"""Nothing but a DataError leaves the input boundary, whatever the cells hold and whatever the mapping says."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.clean import build_dataset
from lib.clean.orders import clean_orders
from lib.errors import DataError
from lib.schema import ORDER_FIELDS, QualityReport, RawSheet, Workbook

_text = st.sampled_from(["", " ", "-", "——", "n/a", "abc", "=\"12\"", "\t6917", "'186", "***", "##密文", "¥1,200", "(1.00)",
                         "12元", "$8.00", "-$3.00", "1.23457E+17", "2024-03-05 14:22:10 +0800", "2024/5/23 22:02",
                         "2024年1月5日", "45352", "paid", "refunded", "交易关闭", "退款成功", "cancelled", "pending", "是",
                         "x;=cmd", "0", "-0", "1e309", "nan", "NaT", "None", "12.0", "C123", "99999999999999999999"])
_cell = st.one_of(
    st.none(), _text, st.text(max_size=6),
    st.integers(min_value=-10**12, max_value=10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(timezone(timedelta(hours=8)))),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)), st.booleans(),
)
COLS = ["c0", "c1", "c2", "c3", "c4", "c5"]


@st.composite
def _frames(draw) -> tuple[pd.DataFrame, dict[str, str]]:
    n = draw(st.integers(min_value=0, max_value=8))
    data = {}
    for c in COLS:
        kind = draw(st.sampled_from(["mixed", "text", "int", "float", "date", "tzdate"]))
        if kind == "mixed":
            data[c] = pd.Series(draw(st.lists(_cell, min_size=n, max_size=n)), dtype=object)
        elif kind == "text":
            data[c] = pd.Series(draw(st.lists(st.one_of(st.none(), _text), min_size=n, max_size=n)), dtype="string")
        elif kind == "int":
            data[c] = pd.Series(draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n)), dtype="int64")
        elif kind == "float":
            data[c] = pd.Series(draw(st.lists(st.floats(allow_nan=True), min_size=n, max_size=n)), dtype="float64")
        elif kind == "date":
            vals = draw(st.lists(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), min_size=n, max_size=n))
            data[c] = pd.Series(vals, dtype="datetime64[us]")  # as fastexcel and Parquet give them: years 1..9999
        else:
            vals = draw(st.lists(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2050, 1, 1)), min_size=n, max_size=n))
            data[c] = pd.Series(pd.to_datetime(vals)).dt.tz_localize("Asia/Shanghai")
    frame = pd.DataFrame(data, index=range(n))
    fields = draw(st.lists(st.sampled_from(ORDER_FIELDS), unique=True, max_size=len(ORDER_FIELDS)))
    mapping = {f: draw(st.sampled_from(COLS)) for f in fields}
    return frame, mapping


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_frames())
def test_cleaning_gives_orders_or_a_data_error(fm):
    frame, mapping = fm
    try:
        cleaned = clean_orders(frame, mapping, QualityReport())
    except DataError:
        return
    o = cleaned.orders
    assert len(o) > 0 and (o["amount"] > 0).all() and o["order_date"].notna().all() and o["customer_id"].notna().all()
    assert o["order_date"].dtype == "datetime64[ns]"
    assert (cleaned.refunds["amount"] >= 0).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_frames(), st.booleans())
def test_build_dataset_gives_a_dataset_or_a_data_error(fm, guess):
    frame, mapping = fm
    wb = Workbook("csv", [RawSheet("S", frame)])
    try:
        ds = build_dataset(wb, mapping=None if guess else mapping)
    except DataError as err:
        assert str(err) and "Traceback" not in str(err)
        return
    assert len(ds.orders) > 0
