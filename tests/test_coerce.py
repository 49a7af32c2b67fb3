"""Every coercion and mapping rule of the loader, on hand-typed values."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.coerce import month_start, to_datetime, to_flag, to_money, to_text_id
from lib.mapping import RULES
from lib.mapping.synonyms import match_field
from lib.read.header import find_header_row


@pytest.mark.parametrize("raw, expected", [
    (pd.Series([12417.0, 3.5, np.nan]), ["12417", "3.5", None]),
    (pd.Series(["12417.0", " A-1 ", "", "NaN", "none", "-", "007"]), ["12417", "A-1", None, None, None, None, "007"]),
    (pd.Series([1, 2], dtype="int64"), ["1", "2"]),
], ids=["floats", "text with blanks and leading zeros", "integers"])
def test_to_text_id(raw, expected):
    out = to_text_id(raw).values
    assert [None if pd.isna(v) else v for v in out] == expected


@pytest.mark.parametrize("text, expected", [
    ("2024-01-05", "2024-01-05"), ("2024-01-05 10:30:00", "2024-01-05 10:30"), ("2024/1/6", "2024-01-06"),
    ("2024.01.07", "2024-01-07"), ("20240108", "2024-01-08"), ("2024年1月9日", "2024-01-09"),
    ("2024年1月9日 14时30分", "2024-01-09 14:30"), ("5-Jan-2024", "2024-01-05"), ("Jan 5, 2024", "2024-01-05"),
    ("05.01.2024", "2024-01-05"), ("45000", "2023-03-15"), ("2024-01-05T10:00:00Z", "2024-01-05 10:00"),
    ("soon", None), ("", None),
], ids=lambda v: str(v))
def test_to_datetime_single_formats(text, expected):
    got = to_datetime(pd.Series([text])).values.iloc[0]
    assert (pd.isna(got) and expected is None) or got == pd.Timestamp(expected)


@pytest.mark.parametrize("values, expected", [
    (["03/04/2024", "12/25/2024"], ["2024-03-04", "2024-12-25"]),   # 25 > 12 in 2nd place: month first
    (["03/04/2024", "25/12/2024"], ["2024-04-03", "2024-12-25"]),   # 25 > 12 in 1st place: day first
    (["03/04/2024"], ["2024-03-04"]),                                # ambiguous: month first
], ids=["month-first", "day-first", "ambiguous"])
def test_to_datetime_slash_order_decided_per_column(values, expected):
    assert to_datetime(pd.Series(values)).values.tolist() == [pd.Timestamp(e) for e in expected]


def test_excel_serials_counted_as_changed():
    res = to_datetime(pd.Series([45000.0, 45001.0, np.nan]))
    assert res.values.tolist()[:2] == [pd.Timestamp("2023-03-15"), pd.Timestamp("2023-03-16")] and res.changed == 2


@pytest.mark.parametrize("text, expected", [
    ("¥1,200.50", 1200.5), ("￥30", 30), ("$1,234", 1234), ("1.234,56 €", 1234.56), ("1,5", 1.5), ("1,234", 1234),
    ("(12.00)", -12), ("12.00-", -12), ("-7", -7), ("RMB 30", 30), ("30元", 30), ("980円", 980), ("\\1,200", 1200),
    ("1.234.567", 1234567), ("abc", None), ("", None),
], ids=lambda v: str(v))
def test_to_money(text, expected):
    got = to_money(pd.Series([text])).values.iloc[0]
    assert (expected is None and math.isnan(got)) or got == pytest.approx(expected)


def test_to_money_counts_cleaned_text():
    assert to_money(pd.Series(["¥1,200", "5", "¥1,200"])).changed == 2


@pytest.mark.parametrize("value, expected", [
    ("yes", True), ("Y", True), ("1", True), ("是", True), ("会员", True), ("VIP", True), ("はい", True), ("会員", True),
    ("no", False), ("否", False), ("0", False), ("", False), (None, False),
], ids=lambda v: str(v))
def test_to_flag(value, expected):
    assert bool(to_flag(pd.Series([value], dtype=object)).values.iloc[0]) is expected


@pytest.mark.parametrize("status, expected", [
    ("Cancelled", "cancelled"), ("refunded", "refunded"), ("已取消", "cancelled"), ("退款成功", "refunded"),
    ("交易关闭", "cancelled"), ("キャンセル", "cancelled"), ("返品", "refunded"), ("completed", "sale"), ("已完成", "sale"),
    ("paid", "sale"), ("partially_refunded", "partially_refunded"), ("等待买家付款", "unpaid"), ("pending", "unpaid"),
    ("voided", "cancelled"), ("无售后或售后取消", "none"), (" 交易成功 ", "sale"), ("Order was cancelled by buyer", "cancelled"),
    (None, "none"),
], ids=lambda v: str(v))
def test_status_classes(status, expected):
    from lib.mapping.profiles import classify_status

    assert classify_status(pd.Series([status], dtype=object)).iloc[0] == expected


@pytest.mark.parametrize("text, expected", [
    ("2024-03", "2024-03-01"), ("2024/3", "2024-03-01"), ("2024年3月", "2024-03-01"), ("2024-03-17", "2024-03-01"),
], ids=lambda v: str(v))
def test_month_start(text, expected):
    assert month_start(pd.Series([text])).values.iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("name, field", [
    ("Order ID", "order_id"), ("订单号", "order_id"), ("注文番号", "order_id"), ("InvoiceNo", "order_id"),
    ("客户", "customer_id"), ("顾客", "customer_id"), ("CustomerID", "customer_id"), ("顧客ID", "customer_id"),
    ("下单时间", "order_date"), ("注文日", "order_date"), ("InvoiceDate", "order_date"), ("Order Date (UTC)", "order_date"),
    ("金额", "amount"), ("実付金額", "amount"), ("实付金额", "amount"), ("Total", "amount"),
    ("Quantity", "quantity"), ("数量", "quantity"), ("UnitPrice", "unit_price"), ("単価", "unit_price"),
    ("渠道", "channel"), ("チャネル", "channel"), ("推荐人", "referrer_id"), ("紹介者", "referrer_id"),
    ("订单状态", "status"), ("是否会员", "is_member"), ("Discount", None), ("备注", None),
], ids=lambda v: str(v))
def test_synonyms(name, field):
    assert match_field(name) == field


@pytest.mark.parametrize("rows, expected", [
    ([["订单号", "客户", "金额"], [1, "a", 5]], 0),
    ([["Shop export 2024"], [None], ["Order ID", "Customer", "Amount"], [1, "a", 5]], 2),
    ([["Report", None, None], ["col a", "col b", "col c"], [1, 2, 3]], 1),
], ids=["first row", "below a title and a blank row", "no known names"])
def test_find_header_row(rows, expected):
    assert find_header_row(rows, RULES.names_field) == expected


@pytest.mark.parametrize("text, expected", [
    ("2025-10-07 09:50:26 +0200", "2025-10-07 09:50:26"), ("2024-03-05 14:22:10 +0800", "2024-03-05 14:22:10"),
    ("2024-03-05T14:22:10Z", "2024-03-05 14:22:10"), ("2024-03-05 14:22 UTC", "2024-03-05 14:22:00"),
    ("2024-03-05T01:00:00+05:30", "2024-03-05 01:00:00"), ("2016/5/23 22:02", "2016-05-23 22:02:00"),
    ('="2024-01-02"', "2024-01-02 00:00:00"),
], ids=["shopify", "plus8", "zulu", "utc-word", "colon-offset", "taobao", "wrapped"])
def test_time_zone_dates_keep_the_wall_clock(text, expected):
    assert to_datetime(pd.Series([text, None])).values.iloc[0] == pd.Timestamp(expected)


def test_time_zone_aware_column_keeps_the_wall_clock():
    s = pd.Series(pd.to_datetime(["2024-03-05 14:22:10"]).tz_localize("Asia/Shanghai"))
    assert to_datetime(s).values.iloc[0] == pd.Timestamp("2024-03-05 14:22:10")


@pytest.mark.parametrize("raw, expected", [('="2891234"', "2891234"), ("\t6917123", "6917123"), ("'18612345678", "18612345678"),
                                           ("——", None), (" ", None), ("-", None)],
                         ids=["excel-text-formula", "tab", "apostrophe", "long-dash", "space", "dash"])
def test_ids_lose_the_wrappers_shop_systems_add(raw, expected):
    got = to_text_id(pd.Series([raw])).values.iloc[0]
    assert (pd.isna(got) and expected is None) or got == expected


def test_scientific_notation_ids_are_counted():
    from lib.coerce import scientific_ids

    assert scientific_ids(pd.Series(["1.23457E+17", "2891001", "6.9E+18"], dtype="string")) == 2


@pytest.mark.parametrize("frame, amount, expected", [
    (pd.DataFrame({"Total": [10.0, 12.0], "Currency": ["GBP", "GBP"]}), "Total", "£"),
    (pd.DataFrame({"Total": [10.0], "Order Currency": ["eur"]}), "Total", "€"),
    (pd.DataFrame({"金额": [1.0], "币种": ["CNY"]}), "金额", "¥"),
    (pd.DataFrame({"Total": [1.0], "Currency": ["XYZ"]}), "Total", "XYZ "),
    (pd.DataFrame({"Amount": ["£12.00", "£3.50", None]}), "Amount", "£"),
    (pd.DataFrame({"Amount": ["30元", "12元"]}), "Amount", "¥"),
    (pd.DataFrame({"Amount": ["HK$30", "HK$12"]}), "Amount", "HK$"),
    (pd.DataFrame({"Amount": [12.0, 3.5]}), "Amount", None),
    (pd.DataFrame({"Amount": ["12", "3.5"], "Note": ["paid in GBP", "x"]}), "Amount", None),
], ids=["iso column", "woocommerce order currency", "币种", "unknown code", "pound signs", "yuan", "hk dollars", "numbers",
        "no statement"])
def test_detect_currency(frame, amount, expected):
    from lib.coerce import detect_currency

    assert detect_currency(frame, amount) == expected


@pytest.mark.parametrize("countries, expected", [
    (["United Kingdom"] * 9 + ["France"], "£"),  # Online Retail II: a UK shop selling abroad
    (["EIRE"] * 3 + ["United Kingdom"], "€"),
    (["中国"] * 5, "¥"),
    (["US", "US", "CA"], "$"),
    (["United Kingdom", "France", "Germany", "EIRE"], None),  # no country holds half the rows: not a statement
    (["Atlantis"] * 4, None),  # a country we do not know
], ids=["uk majority", "ireland", "中国", "iso codes", "no majority", "unknown"])
def test_currency_by_country_takes_the_country_most_rows_name(countries, expected):
    from lib.coerce import currency_by_country

    got = currency_by_country(pd.DataFrame({"Amount": 1.0, "Country": countries}))
    assert (got.symbol if got else None) == expected


def test_a_country_is_no_currency_where_the_file_says_one():
    from lib.coerce import currency_by_country, detect_currency

    frame = pd.DataFrame({"Total": [1.0, 2.0], "Currency": ["USD", "USD"], "Billing Country": ["United Kingdom"] * 2})
    assert detect_currency(frame, "Total") == "$"  # the currency column wins; the country step only runs without one
    assert currency_by_country(frame).symbol == "£"


@pytest.mark.parametrize("given, symbol", [("GBP", "£"), ("usd", "$"), ("£", "£"), ("元", "¥"), ("XYZ", "XYZ "),
                                           ("**B**", None), ("$$$$", None), (":red[", None), ("\u202e", None)])
def test_a_currency_is_named_by_a_code_or_one_of_our_symbols(given, symbol):
    from lib.coerce import currency_named

    assert currency_named(given) == symbol


@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "订单1", "", " x"])), max_size=30),
       st.lists(st.one_of(st.none(), st.sampled_from(["a", "订单1", "z", ""])), max_size=10))
def test_ids_in_agrees_with_pandas_isin(ids, values):
    from lib.coerce import ids_in

    s = pd.Series(ids, dtype="string[pyarrow]")
    expected = s.isin([v for v in values if v is not None]).fillna(False).to_numpy(dtype=bool) & s.notna().to_numpy()
    assert (ids_in(s, pd.Series(values, dtype="string[pyarrow]")) == expected).all()
