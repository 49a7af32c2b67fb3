"""lib.read.read_here (the reading in this process, for tests) gives what the parse child gives: the tests of
cleaning and figures build their datasets with it (conftest.load_here), so it must be the same dataset."""
from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
import pytest
from conftest import FIXTURES, ROOT, load_here, rewrite_parts, slow_but, xlsx_bytes

from lib.clean import load
from lib.errors import DataError
from lib.mapping import RULES
from lib.read import read_here, read_workbook

pytestmark = pytest.mark.child

EXPORTS = FIXTURES / "exports"


def _parquet() -> bytes:
    buf = io.BytesIO()
    pd.DataFrame({"order_id": ["1", "2"], "customer": ["a", "b"], "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                  "amount": [3.0, 4.0]}).to_parquet(buf)
    return buf.getvalue()


def _titled() -> bytes:  # title rows above the header, a second sheet of spend
    return xlsx_bytes({
        "订单": [["2024年 店铺订单导出"], [], ["订单号", "顾客", "下单时间", "金额", "渠道"],
                 [1.0, 12417.0, datetime(2024, 1, 5, 10, 0), 30, "包裹卡"], [2.0, 12418.0, datetime(2024, 2, 1), 10, None]],
        "Spend": [["Channel", "Month", "Spend"], ["包裹卡", "2024-01", 100]],
    })


SOURCES = {
    "edge csv": FIXTURES / "edge_cases.csv",
    "sample xlsx": ROOT / "sample_data" / "orders.xlsx",
    "legacy xls": FIXTURES / "orders_97.xls",
    "parquet": _parquet(),
    "shift_jis csv": "注文番号,顧客ID,注文日,実付金額\nA1,u1,2024/01/05,\"¥1,200\"\nA2,u2,2024年2月3日,980円\n".encode("shift_jis"),
    "titled workbook": _titled(),
    **{p.name: p for p in sorted(EXPORTS.iterdir()) if p.suffix in (".csv", ".xlsx")},
}


WHOLE = ["sample xlsx", "titled workbook", "shopify_orders.csv", "taobao_qianniu.xlsx"]  # read again for every column
FAST = {"edge csv", "sample xlsx", "legacy xls", "parquet", "titled workbook"}  # each kind of file once in make test-fast


def _kept(name: str, every_column: bool = False):
    fast = name in FAST and not every_column
    return pytest.param(name, every_column, marks=() if fast else pytest.mark.slow,
                        id=f"{name}, every column" if every_column else name)


@pytest.mark.parametrize(("name", "every_column"), [_kept(n) for n in SOURCES] + [_kept(n, True) for n in WHOLE])
def test_the_same_workbook_as_the_parse_child(name, every_column):
    child = read_workbook(SOURCES[name], RULES, every_column=every_column)
    here = read_here(SOURCES[name], RULES, every_column=every_column)
    assert (here.kind, here.notes, here.sheet_names) == (child.kind, child.notes, child.sheet_names)
    for a, b in zip(here.sheets, child.sheets):
        assert (a.header_row, a.unread) == (b.header_row, b.unread)
        pd.testing.assert_frame_equal(a.frame, b.frame)


@pytest.mark.parametrize("name", slow_but(["edge csv", *WHOLE], "edge csv", "sample xlsx"))
def test_the_same_dataset_as_load(name):
    child, here = load(SOURCES[name]), load_here(SOURCES[name])
    assert here.report == child.report and here.sheet_names == child.sheet_names
    for table in ("orders", "refunds", "spend", "lines", "contacts"):
        a, b = getattr(here, table), getattr(child, table)
        assert (a is None) == (b is None), table
        if a is not None:
            pd.testing.assert_frame_equal(a, b)


def test_a_mapping_naming_an_unread_column_reads_every_column_here_too():
    csv = b"Order ID,Customer,Date,Amount,Packed by\n1,a,2024-01-01,5,Kim\n2,b,2024-01-02,7,Lee\n"
    mapping = {"order_id": "Order ID", "customer_id": "Customer", "order_date": "Date", "amount": "Amount",
               "channel": "Packed by"}
    child, here = load(csv, mapping=mapping), load_here(csv, mapping=mapping)
    pd.testing.assert_frame_equal(here.orders, child.orders)
    assert here.orders["channel"].tolist() == ["Kim", "Lee"]


@pytest.mark.parametrize("data", [
    b"%PDF-1.4 not a sheet",
    b"",
    rewrite_parts(xlsx_bytes({"S": [["a", "b"], [1, 2]]}), {"xl/worksheets/sheet1.xml": b"<not xml"}),
    ("Order ID,Customer,Date,Amount\n1," + "x" * 40_000 + ",2024-01-01,5\n").encode(),
], ids=["not-a-spreadsheet", "empty", "damaged-sheet-xml", "cell-longer-than-excel"])
def test_the_same_message_for_a_file_that_cannot_be_read(data):
    with pytest.raises(DataError) as child:
        read_workbook(data, RULES)
    with pytest.raises(DataError) as here:
        read_here(data, RULES)
    assert str(here.value) == str(child.value)
