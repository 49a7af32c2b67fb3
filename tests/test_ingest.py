"""The loader on real files built in the tests; every expected figure worked out by hand."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime

import pandas as pd
import pytest
from conftest import ROOT, load_here, xlsx_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.clean import build_dataset
from lib.clean.orders import clean_orders
from lib.errors import DataError
from lib.mapping import RULES, propose_mapping
from lib.read import read_here, read_workbook
from lib.schema import QualityReport


def test_edge_fixture_every_count(edge_ds):
    # 14 data lines: 1 blank, 1 exact duplicate (1003), 1 refund (1005, -50), 1 cancelled (1012, 120)
    # -> 10 orders; customers A..H = 8; gross 100+50+80+200+60+40+30+70+90+25 = 745.
    o, r, rep = edge_ds.orders, edge_ds.refunds, edge_ds.report
    assert rep.rows_read == 14
    assert len(o) == 10
    assert o["customer_id"].nunique() == 8
    assert o["amount"].sum() == pytest.approx(745)
    assert r.loc[r["kind"] == "refund", "amount"].sum() == pytest.approx(50)
    assert r.loc[r["kind"] == "cancelled", "order_id"].tolist() == ["1012"]
    issues = {i.code: (i.rows, i.action) for i in rep.issues}
    assert issues["blank_row"] == (1, "dropped")
    assert issues["duplicate_row"] == (1, "dropped")
    assert issues["channel_missing"] == (1, "changed")
    assert issues["refund_row"] == (1, "kept as refund")
    assert issues["cancelled_by_status"] == (1, "kept as cancelled")
    assert o.loc[o["order_id"] == "1006", "channel"].item() == "(none)"
    # every row is accounted for: orders + refunds + dropped == rows read
    assert len(o) + len(r) + rep.dropped() == rep.rows_read


def test_canonical_dtypes(edge_ds):
    o = edge_ds.orders
    assert list(o.columns) == ["order_id", "customer_id", "order_date", "amount", "channel", "referrer_id", "is_member"]
    assert o["order_date"].dtype == "datetime64[ns]"
    assert o["amount"].dtype == "float64"
    assert o["is_member"].dtype == bool
    assert pd.api.types.is_string_dtype(o["customer_id"])


def test_chinese_headers_below_title_rows_with_line_items():
    # Title row, blank row, then a line-item export: order 1 = 2×30 + 1×15 = 75, order 2 = 3×10 = 30.
    data = xlsx_bytes({"订单明细": [
        ["2024年 店铺订单导出"], [],
        ["订单号", "顾客", "下单时间", "数量", "单价", "渠道", "推荐人"],
        [1.0, 12417.0, datetime(2024, 1, 5, 10, 0), 2, 30, "包裹卡", None],
        [1.0, 12417.0, datetime(2024, 1, 5, 10, 0), 1, 15, "包裹卡", None],
        [2.0, 12418.0, datetime(2024, 2, 1), 3, 10, None, 12417.0],
    ]})
    ds = load_here(data)
    assert ds.report.mapping == {"order_id": "订单号", "customer_id": "顾客", "order_date": "下单时间",
                                 "quantity": "数量", "unit_price": "单价", "channel": "渠道", "referrer_id": "推荐人"}
    o = ds.orders.set_index("order_id")
    assert o.loc["1", "amount"] == 75 and o.loc["2", "amount"] == 30
    assert o.loc["1", "customer_id"] == "12417"  # float id lost its .0
    assert o.loc["2", "referrer_id"] == "12417"
    issues = {i.code: i.rows for i in ds.report.issues}
    assert issues["lines_merged"] == 1


def test_japanese_headers_text_dates_and_money():
    csv = ("注文番号,顧客ID,注文日,実付金額,チャネル\n"
           "A1,u1,2024/01/05,\"¥1,200\",LINE\n"
           "A2,u2,2024年2月3日,980円,LINE\n"
           "A3,u1,45352,\"1.234,50\",店頭\n")
    ds = load_here(csv.encode("shift_jis"))
    o = ds.orders.set_index("order_id")
    assert o.loc["A1", "amount"] == 1200 and o.loc["A2", "amount"] == 980 and o.loc["A3", "amount"] == 1234.5
    assert o.loc["A2", "order_date"] == pd.Timestamp("2024-02-03")
    assert o.loc["A3", "order_date"] == pd.Timestamp("2024-03-01")  # Excel serial 45352
    assert o.loc["A3", "channel"] == "店頭"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "cp1252"], ids=str)
@pytest.mark.parametrize("sep", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
def test_csv_encodings_and_separators(encoding, sep):
    name = "Café Noël" if encoding == "cp1252" else "张三"
    header = ["订单号", "客户", "日期", "金额"] if encoding != "cp1252" else ["Order ID", "Customer", "Date", "Amount"]
    rows = [header, ["1", name, "2024-03-01", "10.5"], ["2", name, "2024-03-09", "20"]]
    data = "\n".join(sep.join(r) for r in rows).encode(encoding)
    ds = load_here(data)
    assert ds.orders["customer_id"].tolist() == [name, name]
    assert ds.orders["amount"].sum() == 30.5


def test_type_decided_by_bytes_not_name(tmp_path):
    p = tmp_path / "orders.xlsx"  # a CSV with the wrong name
    p.write_text("order,customer,date,amount\n1,a,2024-01-01,5\n", encoding="utf-8")
    assert load_here(p).orders["amount"].sum() == 5


def test_parquet(tmp_path):
    p = tmp_path / "o.bin"
    pd.DataFrame({"order_id": ["1", "2"], "customer": ["a", "b"], "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                  "amount": [3.0, 4.0]}).to_parquet(p)
    assert load_here(p).orders["amount"].sum() == 7


def test_sheets_with_same_columns_are_combined_and_spend_found():
    head = ["Order ID", "Customer", "Date", "Amount", "Channel"]
    data = xlsx_bytes({
        "2023": [head, ["1", "a", datetime(2023, 5, 1), 10, "SMS"]],
        "2024": [head, ["2", "a", datetime(2024, 5, 1), 20, "SMS"], ["3", "b", datetime(2024, 6, 1), 30, "SMS"]],
        "Spend": [["Channel", "Month", "Spend", "Touches", "Adds"], ["SMS", "2024-05", 100, 1000, 50]],
    })
    ds = load_here(data)
    assert ds.report.sheets_used == ["2023", "2024"]
    assert len(ds.orders) == 3
    assert ds.report.spend_sheet == "Spend"
    assert ds.spend.to_dict("records") == [{"channel": "SMS", "month": pd.Timestamp("2024-05-01"), "spend": 100.0,
                                            "touches": 1000.0, "adds": 50.0}]
    only = load_here(data, sheet="2024")
    assert len(only.orders) == 2


def test_spend_from_cost_per_touch():
    # the parcel-card example: 1000 cards/day x 30 days at 0.05 = 1500.
    data = xlsx_bytes({
        "Orders": [["Order ID", "Customer", "Date", "Amount"], ["1", "a", datetime(2024, 5, 1), 10]],
        "Spend": [["Channel", "Month", "Cost per touch", "Touches", "Adds"], ["Parcel card", "2024-05", 0.05, 30000, 1500]],
    })
    assert load_here(data).spend["spend"].tolist() == [pytest.approx(1500.0)]


def test_corrected_mapping_is_used():
    data = b"id,who,when,paid,also_date\n1,a,2024-01-01,5,2020-01-01\n2,b,2024-01-02,7,2020-01-01\n"
    wb = read_here(data, RULES)
    proposed = propose_mapping(wb.sheets[0].frame)
    assert "customer_id" not in proposed
    guessed = build_dataset(wb)  # without a customer column: order-level figures only, and the report says so
    assert not guessed.customer_level
    assert any("no customer column" in n for n in guessed.report.notes)
    ds = build_dataset(wb, mapping={"order_id": "id", "customer_id": "who", "order_date": "also_date", "amount": "paid"})
    assert ds.orders["order_date"].dt.year.tolist() == [2020, 2020]


def test_no_date_column_message():
    with pytest.raises(DataError, match="No order date column found. Columns in the file: order, customer, amount"):
        load_here(b"order,customer,amount\n1,a,5\n")


def test_cancelled_invoice_marker_is_a_refund():
    # Online-Retail style: numeric invoices, cancellations prefixed with C and negative quantity.
    csv = ("InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
           "536365,6,12/1/2010 8:26,2.55,17850.0\n"
           "536365,2,12/1/2010 8:26,3.00,17850.0\n"
           "C536379,-1,12/1/2010 9:41,27.50,14527.0\n"
           "536380,1,12/1/2010 9:41,5.00,\n")
    ds = load_here(csv.encode())
    # 536365: 6*2.55 + 2*3 = 21.30; C536379 refund 27.50; 536380 has no customer -> a guest order (5.00)
    assert ds.orders["amount"].tolist() == [pytest.approx(21.3)]
    assert ds.orders["customer_id"].tolist() == ["17850"]
    assert ds.refunds["amount"].tolist() == [27.5]
    assert ds.guests[["order_id", "amount"]].values.tolist() == [["536380", 5.0]]
    assert ds.guests["customer_id"].isna().all()
    issues = {i.code: (i.rows, i.amount) for i in ds.report.issues}
    assert issues["guest_row"] == (1, 5.0)


@pytest.mark.child
def test_cli_load_json_and_bad_file(tmp_path, edge_path):
    env_py = sys.executable
    ok = subprocess.run([env_py, "-m", "lib", "load", str(edge_path), "--json"], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    s = json.loads(ok.stdout)
    assert (s["orders"], s["customers"], s["revenue_gross"], s["refunds"], s["revenue_net"]) == (10, 8, 745, 50, 695)
    assert s["date_from"] == "2024-01-05" and s["date_to"] == "2024-03-20"
    assert s["mapping"]["customer_id"] == "customer_id"
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a sheet")
    res = subprocess.run([env_py, "-m", "lib", "load", str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "not a spreadsheet" in res.stderr
    assert "Traceback" not in res.stderr


def test_sample_workbook_loads(sample_ds):
    o = sample_ds.orders
    assert 2500 < o["customer_id"].nunique() < 4000
    assert 8000 < len(o) < 13000
    assert set(sample_ds.spend["channel"]) >= {"Parcel card", "Douyin short video", "Referral"}
    assert o["order_date"].min() >= pd.Timestamp("2024-11-01")
    assert o["is_member"].any() and o["referrer_id"].notna().any()


# ---------------------------------------------------------------------------- properties

_rows = st.lists(
    st.tuples(st.integers(1, 30), st.sampled_from("abcde"), st.integers(0, 60), st.integers(1, 5),
              st.decimals(min_value="0.01", max_value="999", places=2)),
    min_size=1, max_size=40,
)


def _lines(rows):
    df = pd.DataFrame(rows, columns=["order", "customer", "day", "qty", "price"])
    df["customer"] = df.groupby("order")["customer"].transform("first")  # an order has one customer
    df["day"] = df.groupby("order")["day"].transform("first")
    df["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["day"], unit="D")
    df["price"] = df["price"].astype(float)
    df["order"] = df["order"].astype(str)
    return df.drop(columns="day")


MAP = {"order_id": "order", "customer_id": "customer", "order_date": "date", "quantity": "qty", "unit_price": "price"}


@settings(max_examples=60, deadline=None)
@given(_rows)
def test_revenue_is_conserved_through_aggregation(rows):
    df = _lines(rows)
    orders = clean_orders(df, MAP, QualityReport()).orders
    # two identical item lines of one order are two sales (issue 21): every line's money is kept
    assert orders["amount"].sum() == pytest.approx((df["qty"] * df["price"]).sum())
    assert len(orders) == df["order"].nunique()


@settings(max_examples=40, deadline=None)
@given(_rows, st.randoms(use_true_random=False))
def test_row_order_does_not_change_results(rows, rnd):
    df = _lines(rows)
    shuffled = df.sample(frac=1, random_state=rnd.randint(0, 10_000)).reset_index(drop=True)
    a = clean_orders(df, MAP, QualityReport()).orders
    b = clean_orders(shuffled, MAP, QualityReport()).orders
    key = ["order_id"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True))


def test_legacy_xls_with_title_row():
    # tests/fixtures/orders_97.xls (written once with xlwt): title row, blank row, Chinese headers, a refund.
    from conftest import FIXTURES

    ds = load_here(FIXTURES / "orders_97.xls")
    assert ds.report.sheets_used == ["订单"]
    assert ds.orders["order_id"].tolist() == ["1001", "1002", "1003"]  # numeric ids lost their .0
    assert ds.orders["amount"].sum() == pytest.approx(260.5)
    assert ds.refunds["amount"].tolist() == [20.0]
    assert ds.orders["order_date"].tolist()[0] == pd.Timestamp("2024-01-05")


def test_ids_that_differ_only_by_decimal_zero_are_one_order():
    # "7" and "7.0" are the same order id once read as text: two lines of one order, amount 5 + 6
    ds = load_here(b"order,customer,date,amount\n7,a,2024-01-01,5\n7.0,a,2024-01-01,6\n8,b,2024-01-02,1\n")
    assert ds.orders.set_index("order_id")["amount"].to_dict() == {"7": 11.0, "8": 1.0}


def test_late_cells_of_another_type_are_not_lost():
    # 1,200 numeric rows, then text in the id, amount and date columns: types guessed from the first
    # rows would blank these cells; the loader reads them all and coerces them.
    rows = [["Order ID", "Customer", "Date", "Amount"]]
    rows += [[1000 + i, f"c{i % 50}", datetime(2024, 1, 1 + i % 28), 10.0] for i in range(1200)]
    rows += [["C1", "c1", "2024/02/03", "¥1,200.50"], ["X9", "c2", "2024年2月4日", "30元"]]
    ds = load_here(xlsx_bytes({"Orders": rows}))
    o = ds.orders.set_index("order_id")
    assert len(ds.orders) == 1201  # C1 is a cancelled invoice (numeric ids elsewhere): a refund
    assert o.loc["X9", "amount"] == 30 and o.loc["X9", "order_date"] == pd.Timestamp("2024-02-04")
    assert ds.refunds["amount"].tolist() == [1200.5]


@pytest.mark.slow
@pytest.mark.child
def test_parsing_works_from_another_working_directory(tmp_path, edge_path):
    # the parse runs in a child process; it must find lib wherever the app was started
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "lib", "load", str(edge_path), "--json"], capture_output=True, text=True,
                         cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["orders"] == 10


def test_header_search_looks_twice_at_most_and_keeps_what_it_read():
    # row 1 looks like a header (2 known names); after re-reading from there, a row 29 lines down looks
    # even more like one. The second look keeps the table it read, and header_row says which row that is.
    rows = [["Report"], ["customer", "date", "x", "y"]]
    rows += [[f"c{i}", datetime(2024, 1, 1 + i), i, i] for i in range(28)]  # the 2nd header is 29 rows below
    rows += [["order id", "customer", "order date", "amount"]] + [[f"o{i}", "c1", datetime(2024, 2, 1), 5] for i in range(3)]
    wb = read_here(xlsx_bytes({"S": rows}), RULES)
    sheet = wb.sheets[0]
    assert sheet.header_row == 1
    assert list(sheet.frame.columns) == ["customer", "date", "x", "y"]
    assert len(sheet.frame) == 28 + 1 + 3


# --------------------------------------------------------------------------- generic rules (files nobody profiled)


def test_unprofiled_first_row_only_order_fields_are_carried():
    # An export shaped like Shopify's but with its own column names: customer, date and total on the first line only.
    csv = ("Order,Client,Ordered on,Order total,Product,Qty,Price\n"
           "A1,ann,2024-01-02,50,Tea,2,20\n"
           "A1,,,,Cup,1,10\n"
           "A2,bo,2024-01-03,12,Tea,1,12\n"
           "A3,ann,2024-02-01,30,Cup,3,10\n"
           "A3,,,,Tea,0,0\n")
    ds = load_here(csv.encode())
    o = ds.orders.set_index("order_id")
    assert o["amount"].to_dict() == {"A1": 50.0, "A2": 12.0, "A3": 30.0}  # the total once, not twice
    assert o.loc["A1", "customer_id"] == "ann"
    assert ds.report.platform is None
    assert {i.code: i.rows for i in ds.report.issues}["order_fields_carried_down"] == 2
    assert ds.lines["amount"].tolist() == [40.0, 10.0, 12.0, 30.0, 0.0]


def test_unprofiled_order_total_repeated_on_every_line_is_counted_once():
    rows = ["Order ID,Customer,Date,Order Total,Item"]
    for i in range(3):
        rows += [f"O{i},c{i},2024-01-0{i + 1},99.5,Tea", f"O{i},c{i},2024-01-0{i + 1},99.5,Cup"]
    ds = load_here("\n".join(rows).encode())
    assert ds.orders["amount"].tolist() == [99.5, 99.5, 99.5]
    assert any("counted once per order" in n for n in ds.report.notes)


def test_line_amounts_that_differ_are_summed():
    csv = "Order ID,Customer,Date,Amount\nO1,a,2024-01-01,10\nO1,a,2024-01-01,15\nO2,b,2024-01-02,7\n"
    assert load_here(csv.encode()).orders.set_index("order_id")["amount"].to_dict() == {"O1": 25.0, "O2": 7.0}


def test_generic_refund_amount_column_and_status_words():
    csv = ("Order ID,Customer,Date,Amount,Status,Refunded amount\n"
           "1,a,2024-01-01,100,completed,0\n"
           "2,a,2024-01-05,80,refunded,80\n"
           "3,b,2024-01-06,60,partially_refunded,15\n"
           "4,b,2024-01-07,40,on-hold,\n"
           "5,c,2024-01-08,0,completed,\n")
    ds = load_here(csv.encode())
    assert ds.orders["order_id"].tolist() == ["1", "2", "3"]
    r = ds.refunds.set_index("order_id")
    assert r.loc["2", "amount"] == 80 and r.loc["3", "amount"] == 15 and r.loc["2", "kind"] == "refund"
    assert r.loc["4", "kind"] == "cancelled" and r.loc["5", "kind"] == "free"


def test_refund_row_sharing_the_sale_id_is_one_refund():
    csv = "Order ID,Customer,Date,Amount\nS1,a,2024-01-01,50\nS1,a,2024-01-03,-20\nS2,b,2024-01-02,30\n"
    ds = load_here(csv.encode())
    assert ds.orders.set_index("order_id")["amount"].to_dict() == {"S1": 50.0, "S2": 30.0}
    assert ds.refunds[["order_id", "amount"]].values.tolist() == [["S1", 20.0]]


def test_few_masked_ids_are_missing_customers_not_order_level():
    rows = ["Order ID,Customer,Date,Amount"] + [f"{i},u{i % 4},2024-01-{i + 1:02d},10" for i in range(9)]
    rows.append("9,186******05,2024-01-20,10")
    ds = load_here("\n".join(rows).encode())
    assert ds.customer_level
    assert {i.code: i.rows for i in ds.report.issues}["customer_id_masked"] == 1
    assert len(ds.orders) == 9


@pytest.mark.parametrize("text", ["(1.00)", "-$1.00", "−1.00", "1.00-"], ids=["parens", "dollar", "unicode-minus", "trailing"])
def test_negative_money_forms_are_refunds(text):
    csv = f'Order ID,Customer,Date,Amount\n1,a,2024-01-01,5\n2,a,2024-01-02,"{text}"\n'
    assert load_here(csv.encode()).refunds["amount"].tolist() == [1.0]


def test_order_lines_naming_two_customers_keep_the_first_and_are_counted():
    # O1's two lines name a and b: one order of a (10 + 5), both rows counted; O2 is b's own.
    csv = "Order ID,Customer,Date,Amount\nO1,a,2024-01-01,10\nO1,b,2024-01-01,5\nO2,b,2024-01-02,7\n"
    ds = load_here(csv.encode())
    assert ds.orders[["order_id", "customer_id", "amount"]].values.tolist() == [["O1", "a", 15.0], ["O2", "b", 7.0]]
    assert {i.code: i.rows for i in ds.report.issues}["order_id_several_customers"] == 2


@pytest.mark.child
def test_a_parse_that_takes_too_long_is_stopped_with_a_message(monkeypatch):
    import lib.read

    monkeypatch.setattr(lib.read, "PARSE_TIMEOUT_S", 0.05)  # less than the child needs to start
    with pytest.raises(DataError, match="took too long"):
        read_workbook(ROOT / "tests" / "fixtures" / "exports" / "shopify_orders.csv", RULES)


def test_the_proposal_names_the_orders_sheets_their_mapping_and_the_spend_sheet():
    # one sheet a year (same columns, combined) beside a spend sheet; the dataset is built from the proposal as given
    from lib.mapping import propose
    from lib.schema import RawSheet, Workbook

    head = {"Order ID": ["1", "2"], "Customer": ["a", "b"], "Date": pd.to_datetime(["2023-03-01", "2023-06-01"]),
            "Amount": [10.0, 20.0]}
    wb = Workbook("xlsx", [RawSheet("2023", pd.DataFrame(head)),
                           RawSheet("2024", pd.DataFrame(head).assign(**{"Order ID": ["3", "4"],
                                                                         "Date": pd.to_datetime(["2024-02-01", "2024-09-01"])})),
                           RawSheet("Spend", pd.DataFrame({"Channel": ["SMS"], "Month": ["2024-02"], "Spend": [15.0]}))])
    p = propose(wb)
    assert p.orders_sheets == ("2023", "2024") and p.spend_sheet == "Spend" and p.profile is None
    assert p.order_mapping == {"order_id": "Order ID", "customer_id": "Customer", "order_date": "Date", "amount": "Amount"}
    assert p.spend_mapping == {"channel": "Channel", "month": "Month", "spend": "Spend"}
    ds = build_dataset(wb, proposal=p)
    assert ds.report.sheets_used == ["2023", "2024"] and ds.report.mapping == p.order_mapping
    assert ds.report.spend_sheet == "Spend" and len(ds.orders) == 4


def test_two_identical_item_lines_of_one_order_are_two_sales():
    """A Square item export: two identical items in one transaction are two sales (they were dropped as
    exact duplicates: 17 rows, $3,719.10, with Amount 0.00 in the report)."""
    csv = ("Transaction ID,Customer ID,Date,Item,Qty,Price\n"
           "T1,a,2024-01-05,Latte,1,4.50\nT1,a,2024-01-05,Latte,1,4.50\nT1,a,2024-01-05,Scone,1,3.00\n"
           "T2,b,2024-01-06,Latte,1,4.50\n")
    ds = load_here(csv.encode(), mapping={"order_id": "Transaction ID", "customer_id": "Customer ID", "order_date": "Date",
                                     "product": "Item", "quantity": "Qty", "unit_price": "Price"})
    assert ds.orders.set_index("order_id")["amount"].to_dict() == {"T1": 12.0, "T2": 4.5}
    assert "duplicate_row" not in {i.code for i in ds.report.issues}
    assert ds.lines["product"].tolist().count("Latte") == 3


def test_the_same_order_in_two_sheets_is_counted_once_with_its_amount():
    """Online Retail II: invoices in both yearly sheets are one sale (23 invoices, 10,019.56); identical lines
    within a sheet are two sales. The report says the rows left out and their money."""
    head = ["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price", "Customer ID"]
    line = ["536365", "85123A", 2, datetime(2010, 12, 31, 9), 2.55, "17850"]
    data = xlsx_bytes({
        "Year 2009-2010": [head, line, line, ["536366", "22633", 1, datetime(2010, 12, 31, 10), 1.85, "17851"]],
        "Year 2010-2011": [head, line, line, ["536367", "84879", 4, datetime(2011, 1, 2, 8), 1.69, "17850"]],
    })
    ds = load_here(data)
    assert ds.report.sheets_used == ["Year 2009-2010", "Year 2010-2011"]
    assert ds.orders.set_index("order_id")["amount"].round(2).to_dict() == {"536365": 10.2, "536366": 1.85, "536367": 6.76}
    [dup] = [i for i in ds.report.issues if i.code == "duplicate_row"]
    assert (dup.rows, dup.action, round(dup.amount, 2)) == (2, "dropped", 10.2)


def test_an_order_written_twice_in_a_file_of_orders_is_dropped_with_its_amount(edge_ds):
    # edge_cases.csv (one row per order): order 1003 (80) appears twice
    [dup] = [i for i in edge_ds.report.issues if i.code == "duplicate_row"]
    assert (dup.rows, dup.amount) == (1, 80.0)


def test_an_implausible_mapping_names_the_column_and_why():
    """Mapping the customer to 'Order date' was accepted silently (every second a customer); amount -> Channel
    gave a generic 'No orders are left'. Both name the column and why (中文 too)."""
    from lib.mapping import implausible, implausible_message

    csv = ("Order,Customer,Order date,Amount,Channel\n"
           "1,a,2024-01-05 10:00,10,SMS\n2,b,2024-01-06 11:00,20,Card\n3,a,2024-02-01 09:00,30,SMS\n")
    ds = load_here(csv.encode(), mapping={"order_id": "Order", "customer_id": "Order date", "order_date": "Order date",
                                          "amount": "Amount"})
    assert "Check the mapping: column 'Order date' is mapped as the customer id but holds dates." in ds.report.notes
    with pytest.raises(DataError, match="column 'Channel' is mapped as the amount but holds no numbers"):
        load_here(csv.encode(), mapping={"order_id": "Order", "customer_id": "Customer", "order_date": "Order date",
                                         "amount": "Channel"})
    frame = pd.read_csv(io.StringIO(csv))
    zh = implausible_message(implausible(frame, {"amount": "Channel"}), "zh")
    assert zh.startswith("请检查列映射：列「Channel」") and "没有数字" in zh
