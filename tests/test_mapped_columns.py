"""A big file read for only the proposed mapping's columns gives what a full read gives.

Workbooks: the cell filter (lib/read/split/cells.CellFilter) cuts the XML of the
columns a mapping does not use out of a big sheet before the reader parses
it. Checked three ways: on hand-written XML (what is cut, what is renamed),
by hypothesis against the reader on whole workbooks, and through the real
parse child on real exports and on a wide report forced to split
(``LTV_SPLIT_MIN_BYTES=LTV_CHOOSE_MIN_BYTES=1``) or only to be cut, in one pass
(``LTV_CHOOSE_MIN_BYTES=1``), where the dataset must equal the one read with
every column. CSV files: the same choice of columns (forced with
``LTV_CSV_CHOOSE_MIN_BYTES=1``) on the real CSV exports.
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import fastexcel
import openpyxl
import pandas as pd
import pytest
from conftest import ROOT, read_through_child, slow_but, xlsx_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.clean import build_dataset
from lib.mapping import RULES
from lib.read import read_workbook
from lib.read.excel import mapped_columns
from lib.read.split.cells import CellFilter, column_letters, filtered_chunks
from lib.read.zipio import NotSplit, write_stored_zip
from lib.schema import Dataset

pytestmark = pytest.mark.child

SPLIT = "1"
NO_SPLIT = str(10**12)
EXPORTS = ROOT / "tests" / "fixtures" / "exports"


def _cut(xml: bytes, keep: list[int]) -> bytes:
    return CellFilter(keep)(xml)


def test_cells_of_other_columns_are_cut_and_the_rest_move_left():
    xml = (b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
           b'<c r="C1" t="inlineStr"><is><t>a &lt;c r="Z9"&gt; &lt;/row&gt; b</t></is></c></row>'
           b'<row r="2" spans="1:3"><c r="A2" s="1"/><c r="B2"><v>7</v></c><c r="C2"><f>SUM(1,2)</f><v>3</v></c></row>')
    assert _cut(xml, [0, 2]) == (
        b'<row r="1"><c r="A1" t="s"><v>0</v></c>'
        b'<c r="B1" t="inlineStr"><is><t>a &lt;c r="Z9"&gt; &lt;/row&gt; b</t></is></c></row>'
        b'<row r="2" spans="1:3"><c r="A2" s="1"/><c r="B2"><f>SUM(1,2)</f><v>3</v></c></row>')


def test_two_and_three_letter_columns_get_shorter_letters():
    xml = b'<row r="9"><c r="Z9"><v>1</v></c><c r="AB9"><v>2</v></c><c r="AAA9"><v>3</v></c><c r="XFD9"><v>4</v></c></row>'
    assert _cut(xml, [27, 702, 16383]) == b'<row r="9"><c r="A9"><v>2</v></c><c r="B9"><v>3</v></c><c r="C9"><v>4</v></c></row>'
    assert [column_letters(i) for i in (0, 25, 26, 27, 701, 702, 16383)] == [b"A", b"Z", b"AA", b"AB", b"ZZ", b"AAA", b"XFD"]


def test_whitespace_between_cells_and_rows_does_not_matter():
    xml = b'\n<row r="1">\n  <c r="A1"><v>1</v></c>\n  <c r="B1"><v>2</v></c>\n</row>\n<row r="2">\n  <c r="B2"><v>5</v></c>\n</row>'
    out = _cut(xml, [1])
    assert out.replace(b" ", b"").replace(b"\n", b"") == b'<rowr="1"><cr="A1"><v>2</v></c></row><rowr="2"><cr="A2"><v>5</v></c></row>'


@pytest.mark.parametrize("xml", [b'<row r="1"><c s="1" r="A1"><v>1</v></c></row>',  # r not the first attribute
                                 b'<row r="1"><c><v>1</v></c></row>',  # no reference at all: position by order
                                 b'<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c>',  # no row end
                                 b'<row r="1"><c r="A1" t="str"><v><![CDATA[<c r="B1">]]></v></c></row>',
                                 b'<row r="1"><!-- <c r="B1"> --><c r="A1"><v>1</v></c></row>'])
def test_cells_placed_by_order_are_not_filtered(xml):
    with pytest.raises(NotSplit):
        _cut(xml, [1])


def test_blocks_give_the_same_xml_as_one_pass(monkeypatch):
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c><c r="C%d"/></row>'
                    % (i, i, i, i, i, i) for i in range(1, 400))
    whole = _cut(rows, [1, 2])
    monkeypatch.setattr(CellFilter, "BLOCK", 100)  # shorter than a row: every row a block of its own
    assert _cut(rows, [1, 2]) == whole
    assert whole.count(b"<c ") == 2 * 399 and b'r="C' not in whole


def test_last_row_with_a_value_is_remembered():
    cells = CellFilter([0])
    cells(b'<row r="4"><c r="A4"><v>1</v></c></row><row r="5"><c r="B5"><v>x</v></c></row>'
          b'<row r="6"><c r="A6" s="2"/></row>')
    assert cells.last_row == 5  # row 5 has a value, though not in a column read; row 6 only a style


def _workbook_with_sheet(data: bytes, sheet_xml: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.xlsx"
        write_stored_zip(path, [(i.filename, [sheet_xml if i.filename == "xl/worksheets/sheet1.xml" else src.read(i)])
                                for i in src.infolist()])
        return path.read_bytes()


def _read_first_sheet(data: bytes) -> list[dict]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.xlsx"
        path.write_bytes(data)
        return fastexcel.read_excel(str(path)).load_sheet(0, schema_sample_rows=None).to_arrow().to_pylist()


cell = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False),
                 st.text(alphabet='ab<>&"\' 中\n', max_size=6),
                 st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1)).map(lambda d: d.replace(microsecond=0)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(width=st.integers(2, 30), data=st.data())
def test_a_filtered_workbook_reads_as_the_whole_one_cut_to_its_columns(width, data):
    rows = data.draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=25))
    keep = sorted(data.draw(st.sets(st.integers(0, width - 1), min_size=1, max_size=width)))
    rows[-1][keep[0]] = "end"  # the last row has a value in a kept column (the reader trims empty ends)
    header = [f"c{i}" for i in range(width)]
    book = xlsx_bytes({"S": [header] + rows})
    sheet_xml = zipfile.ZipFile(io.BytesIO(book)).read("xl/worksheets/sheet1.xml")
    cut = b"".join(filtered_chunks([sheet_xml], CellFilter(keep)))
    whole = _read_first_sheet(book)
    names = [header[i] for i in keep]
    assert _read_first_sheet(_workbook_with_sheet(book, cut)) == [{n: r[n] for n in names} for r in whole]


# --------------------------------------------------------------------------- through the parse child


_workbook = read_through_child


def _same_dataset(a: Dataset, b: Dataset) -> None:
    pd.testing.assert_frame_equal(a.orders, b.orders)
    pd.testing.assert_frame_equal(a.refunds, b.refunds)
    for x, y in ((a.lines, b.lines), (a.contacts, b.contacts)):
        assert (x is None) == (y is None)
        if x is not None:
            pd.testing.assert_frame_equal(x, y)
    assert a.report.mapping == b.report.mapping
    assert a.report.platform == b.report.platform and a.report.currency == b.report.currency
    assert a.report.rows_read == b.report.rows_read
    pd.testing.assert_frame_equal(a.report.table(), b.report.table())


NOISE = [f"备注{i}" for i in range(1, 15)]  # columns no rule knows ("note 1" …)
HEADER = ["订单编号", "买家会员名", "订单创建时间", "买家实际支付金额", "订单状态"]


def _wide_report(n: int) -> list[list[object]]:
    base = datetime(2024, 1, 1, 9)
    rows: list[list[object]] = [HEADER + NOISE]
    for i in range(n):
        rows.append([f"T{i:07d}", f"buyer{i % 211}", base + timedelta(hours=7 * i), round(20 + (i * 13.7) % 300, 2),
                     "交易成功" if i % 9 else "交易关闭"] + [f"n{i % (j + 3)}" for j in range(len(NOISE))])
    rows[n // 2] = [None] * len(HEADER) + ["a note only"] + [None] * (len(NOISE) - 1)  # a value only where nothing is read
    for r in rows[-3:]:
        r[: len(HEADER)] = [None] * len(HEADER)  # so are the last three rows: the reader would trim them
    return rows


WAYS = ["in halves", "in one pass"]  # a sheet big enough to split, and one big enough only to choose its columns


def _chosen(monkeypatch, tmp_path, data: bytes, way: str, every_column: bool = False):
    """The workbook read for its proposed mapping's columns: its sheet cut in two halves, or in one pass."""
    if way == "in halves":
        return _workbook(monkeypatch, tmp_path, data, SPLIT, every_column)
    return _workbook(monkeypatch, tmp_path, data, NO_SPLIT, every_column, choose_min=SPLIT)


@pytest.mark.parametrize("way", slow_but(WAYS, "in halves", "in one pass"))
def test_wide_report_reads_only_the_mapping_and_gives_the_same_dataset(monkeypatch, tmp_path, way):
    data = xlsx_bytes({"订单报表": _wide_report(3000)})
    chosen, meta = _chosen(monkeypatch, tmp_path, data, way)
    assert meta[0]["read_in_parts"] == (way == "in halves") and meta[0]["columns_chosen"]
    sheet = chosen.sheets[0]
    assert list(sheet.frame.columns) == HEADER  # only what the mapping uses
    assert sheet.unread == NOISE  # named as not read, so the mapping panel can offer them
    every, _ = _workbook(monkeypatch, tmp_path, data, NO_SPLIT, every_column=True)
    pd.testing.assert_frame_equal(sheet.frame, every.sheets[0].frame[HEADER])  # blank rows kept where they were
    mapped, _ = _workbook(monkeypatch, tmp_path, data, NO_SPLIT)  # what a small file of this shape reads
    _same_dataset(build_dataset(chosen), build_dataset(mapped))
    # the four rows with only a note are reported either way: blank in what is read, or missing id and date
    dropped = {i.code: i.rows for i in build_dataset(chosen).report.issues}
    assert dropped["blank_row"] == 4
    whole = {i.code: i.rows for i in build_dataset(every).report.issues}
    assert whole["date_missing"] == 4
    pd.testing.assert_frame_equal(build_dataset(chosen).orders, build_dataset(every).orders)


def test_a_sheet_too_small_to_split_is_read_in_one_pass_for_its_mapping(monkeypatch, tmp_path):
    # under LTV_SPLIT_MIN_BYTES, at least LTV_CHOOSE_MIN_BYTES: the other columns' cells are cut out in this process,
    # with no second one, and the dataset is the one the ordinary read gives
    data = xlsx_bytes({"订单报表": _wide_report(3000)})
    chosen, meta = _chosen(monkeypatch, tmp_path, data, "in one pass")
    assert not meta[0]["read_in_parts"] and meta[0]["columns_chosen"] and "not_split" not in meta[0]
    sheet = chosen.sheets[0]
    assert list(sheet.frame.columns) == HEADER and sheet.unread == NOISE
    mapped, meta = _workbook(monkeypatch, tmp_path, data, NO_SPLIT)
    assert not meta[0]["columns_chosen"] and not any(n.startswith("Read the ordinary way") for n in chosen.notes)
    _same_dataset(build_dataset(chosen), build_dataset(mapped))
    left_out = f"{len(NOISE)} columns the mapping does not use were not read: {', '.join(NOISE[:12])} …."
    assert left_out in build_dataset(chosen).report.notes


def test_text_late_in_a_number_column_read_in_one_pass(monkeypatch, tmp_path):
    # beyond the 1,000 rows a column's type is guessed from: the cut sheet is read again with types from every row
    rows = _wide_report(3000)
    rows[2500][3] = "12,50 €"
    data = xlsx_bytes({"订单报表": rows})
    chosen, meta = _chosen(monkeypatch, tmp_path, data, "in one pass")
    assert meta[0]["columns_chosen"]
    mapped, _ = _workbook(monkeypatch, tmp_path, data, NO_SPLIT)
    pd.testing.assert_frame_equal(chosen.sheets[0].frame, mapped.sheets[0].frame[HEADER])
    _same_dataset(build_dataset(chosen), build_dataset(mapped))


@pytest.mark.slow
def test_inline_strings_report_gives_the_same_dataset(monkeypatch, tmp_path):
    # streaming writers (openpyxl's write-only mode, Java exporters) put text in the cells themselves, with no
    # shared strings and no dimension
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("订单报表")
    for r in _wide_report(2500):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    assert b'inlineStr' in zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml")[:5000]
    chosen, meta = _workbook(monkeypatch, tmp_path, buf.getvalue(), SPLIT)
    assert meta[0]["columns_chosen"] and list(chosen.sheets[0].frame.columns) == HEADER
    mapped, _ = _workbook(monkeypatch, tmp_path, buf.getvalue(), NO_SPLIT)
    _same_dataset(build_dataset(chosen), build_dataset(mapped))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["taobao_qianniu.xlsx", "youzan_orders.xlsx"])
def test_real_exports_give_the_same_dataset_read_in_parts_for_their_mapping(monkeypatch, tmp_path, name):
    data = (EXPORTS / name).read_bytes()
    chosen, meta = _workbook(monkeypatch, tmp_path, data, SPLIT)
    assert meta[0]["columns_chosen"]
    every, _ = _workbook(monkeypatch, tmp_path, data, NO_SPLIT, every_column=True)
    assert len(chosen.sheets[0].frame.columns) < len(every.sheets[0].frame.columns)
    _same_dataset(build_dataset(chosen), build_dataset(every))
    mapped, _ = _workbook(monkeypatch, tmp_path, data, NO_SPLIT)
    _same_dataset(build_dataset(chosen), build_dataset(mapped))


@pytest.mark.slow
@pytest.mark.parametrize("way", WAYS)
def test_rows_told_apart_only_by_columns_left_out_are_read_whole(monkeypatch, tmp_path, way):
    rows = _wide_report(3000)
    rows[20][: len(HEADER)] = rows[10][: len(HEADER)]  # same order, other notes: not an exact duplicate
    data = xlsx_bytes({"订单报表": rows})
    chosen, meta = _chosen(monkeypatch, tmp_path, data, way)
    assert meta[0]["read_in_parts"] == (way == "in halves") and not meta[0]["columns_chosen"]
    assert list(chosen.sheets[0].frame.columns) == HEADER + NOISE and not chosen.sheets[0].unread
    every, _ = _workbook(monkeypatch, tmp_path, data, NO_SPLIT, every_column=True)
    _same_dataset(build_dataset(chosen), build_dataset(every))
    assert "duplicate_row" not in {i.code for i in build_dataset(chosen).report.issues}


def test_header_below_titles_is_not_filtered(tmp_path):
    rows = [["店铺订单导出"], [None]] + _wide_report(50)
    path = tmp_path / "peek.xlsx"
    path.write_bytes(xlsx_bytes({"S": rows}))
    assert mapped_columns(str(path), "S", RULES) is None
    path.write_bytes(xlsx_bytes({"S": _wide_report(50)}))
    got = mapped_columns(str(path), "S", RULES)
    assert got is not None and got["keep"] == [0, 1, 2, 3, 4] and got["names"] == HEADER + NOISE


def test_the_peek_workbook_keeps_only_the_shared_strings_its_rows_use():
    from lib.read.split.parts import peek_parts

    sst = (b'<?xml version="1.0"?><sst xmlns="x" count="9" uniqueCount="4"><si><t>a</t></si><si><t>b</t></si>'
           b'<si><r><t>c</t></r></si><si><t>d</t></si></sst>')
    parts = peek_parts([("xl/sharedStrings.xml", [sst])], "xl/worksheets/sheet1.xml",
                        b'<sheetData><row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1"><v>3</v></c></row></sheetData>')
    cut = b"".join(parts[0][1])
    assert cut == b'<?xml version="1.0"?><sst xmlns="x"><si><t>a</t></si><si><t>b</t></si></sst>'


@pytest.mark.parametrize("name", slow_but(["shopify_orders.csv", "woocommerce_orders.csv", "douyin_orders.csv", "taobao_orders.csv"],
                                          "woocommerce_orders.csv"))
def test_real_csv_exports_give_the_same_dataset_read_for_their_mapping(monkeypatch, name):
    path = EXPORTS / name
    monkeypatch.setenv("LTV_CSV_CHOOSE_MIN_BYTES", "1")
    chosen = read_workbook(path, RULES)
    every = read_workbook(path, RULES, every_column=True)
    sheet, whole = chosen.sheets[0], every.sheets[0]
    assert sheet.unread and len(sheet.frame.columns) + len(sheet.unread) == len(whole.frame.columns)
    assert set(sheet.frame.columns).isdisjoint(sheet.unread)
    pd.testing.assert_frame_equal(sheet.frame, whole.frame[list(sheet.frame.columns)])
    _same_dataset(build_dataset(chosen), build_dataset(every))
    if name == "woocommerce_orders.csv":  # first and last name are joined: the last name is read too
        assert {"First Name (Billing)", "Last Name (Billing)"} <= set(sheet.frame.columns)


def test_small_csv_is_read_whole(monkeypatch):
    sheet = read_workbook(EXPORTS / "shopify_orders.csv", RULES).sheets[0]
    assert not sheet.unread and len(sheet.frame.columns) == 79


def _with_cdata(data: bytes) -> bytes:
    """The workbook with one note late in the sheet written as CDATA (where "<c" could be text, not a cell)."""
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    at = xml.index(b"<is><t>", len(xml) * 3 // 4) + len(b"<is><t>")
    end = xml.index(b"</t>", at)
    return _workbook_with_sheet(data, xml[:at] + b"<![CDATA[" + xml[at:end] + b"]]>" + xml[end:])


@pytest.mark.parametrize("way", slow_but(WAYS, "in halves"))
def test_a_sheet_that_cannot_be_cut_says_why_it_was_read_the_ordinary_way(monkeypatch, tmp_path, way):
    data = _with_cdata(xlsx_bytes({"订单报表": _wide_report(3000)}))
    chosen, meta = _chosen(monkeypatch, tmp_path, data, way)
    assert not meta[0]["read_in_parts"] and meta[0]["not_split"] == "a cell with CDATA or an XML comment"
    assert "Read the ordinary way: a cell with CDATA or an XML comment." in chosen.notes
    assert "Read the ordinary way: a cell with CDATA or an XML comment." in build_dataset(chosen).report.notes
    mapped, meta = _workbook(monkeypatch, tmp_path, data, NO_SPLIT)  # too small to split: nothing to say
    assert "not_split" not in meta[0] and not any(n.startswith("Read the ordinary way") for n in mapped.notes)
    _same_dataset(build_dataset(chosen), build_dataset(mapped))


@pytest.mark.parametrize("way", slow_but(WAYS, "in halves"))
def test_inline_rich_text_is_no_cell_of_its_own(monkeypatch, tmp_path, way):
    # a name and a note in two colours (<r><rPr><color …/></rPr>…, inline): <color/> starts with "<c" but is no cell
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    rows = _wide_report(3000)
    rows[2600][1] = CellRichText(["buy", TextBlock(InlineFont(color="FF0000"), str(rows[2600][1])[3:])])
    rows[2700][len(HEADER)] = CellRichText([TextBlock(InlineFont(color="0000FF", b=True), "gift"), " wrap"])
    data = xlsx_bytes({"订单报表": rows})
    assert b"<color" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    chosen, meta = _chosen(monkeypatch, tmp_path, data, way)
    assert meta[0]["read_in_parts"] == (way == "in halves") and meta[0]["columns_chosen"] and "not_split" not in meta[0]
    mapped, _ = _workbook(monkeypatch, tmp_path, data, NO_SPLIT)
    _same_dataset(build_dataset(chosen), build_dataset(mapped))


def test_the_first_rows_are_mapped_from_arrow_as_from_pandas():
    # the peek asks the mapping with Arrow (no pandas); each column's answer is the one pandas gives on the same rows
    import pyarrow as pa

    from lib.mapping.proposal import _FrameColumns, _TableColumns

    base = datetime(2024, 3, 1, 9)
    n = 300
    table = pa.table({
        "int": pa.array([i if i % 7 else None for i in range(n)], pa.int64()),
        "float": pa.array([i * 1.5 for i in range(n)]),
        "bool": pa.array([i % 2 == 0 for i in range(n)]),
        "bool with blanks": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(n)]),
        "empty": pa.nulls(n),
        "timestamp": pa.array([base + timedelta(hours=i) for i in range(n)], pa.timestamp("ms")),
        "date": pa.array([(base + timedelta(days=i)).date() for i in range(n)]),
        "duration": pa.array([timedelta(minutes=i) for i in range(n)]),
        "money text": pa.array([f"¥{i},50" for i in range(n)]),
        "date text": pa.array([f"2024年3月{1 + i % 28}日" for i in range(n)]),
        "words": pa.array(["交易成功"] * n),
    })
    arrow, frame = _TableColumns(table), _FrameColumns(table.to_pandas())
    assert arrow.names == frame.names
    for i, name in enumerate(arrow.names):
        assert (arrow.numeric_ok(i), arrow.date_ok(i)) == (frame.numeric_ok(i), frame.date_ok(i)), name


def test_the_first_rows_of_a_report_of_numbers_are_mapped_without_pandas(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "peek.xlsx"
    path.write_bytes(xlsx_bytes({"S": _wide_report(200)}))
    script = ("import sys; from lib.mapping import RULES; from lib.read.excel import mapped_columns;"
              f"got = mapped_columns({str(path)!r}, 'S', RULES); print(got['keep'], 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[0,", "1,", "2,", "3,", "4]", "False"]


def test_exact_duplicates_are_counted_without_pandas_as_pandas_counts_them():
    import pyarrow as pa

    from lib.mapping.proposal import _Rows

    table = pa.table({"id": [1, 1, 2, 2, None, None, 3], "name": ["x", "x", "y", "y", None, None, "z"],
                      "note": [None, 2.0, None, None, None, None, None], "empty": pa.nulls(7),
                      "when": pa.array([datetime(2024, 1, 1)] * 6 + [None], pa.timestamp("ms"))})
    frame = table.to_pandas()
    rows = _Rows(table)
    for columns in ([0], [0, 1], [2], [3], [0, 4], [0, 1, 2, 3, 4]):
        read = frame.iloc[:, columns]
        filled = read.notna().any(axis=1)
        expected = bool(read[filled].duplicated().sum() > frame[filled].duplicated().sum())
        assert rows.more_duplicates(columns) == expected, columns
    assert rows.more_duplicates([0, 1])  # rows 0 and 1 differ only in the note


@pytest.mark.parametrize("name", sorted(p.name for p in EXPORTS.iterdir() if p.suffix in (".xlsx", ".csv")))
def test_real_exports_get_the_same_mapping_from_arrow_as_from_a_frame(name):
    # the first rows as the parse child reads them: Arrow from fastexcel (workbooks), text columns (CSV)
    import pyarrow as pa

    from lib.mapping.proposal import ORDER_ROLE_FIELDS, _propose, _TableColumns, propose_mapping
    from lib.read.header import unique_names

    path = EXPORTS / name
    if path.suffix == ".xlsx":
        table = fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()
        table = pa.Table.from_batches([table]).rename_columns(unique_names([str(c) for c in table.schema.names]))
    else:
        table = pa.Table.from_pandas(read_workbook(path, RULES, every_column=True).sheets[0].frame, preserve_index=False)
    assert _propose(_TableColumns(table), ORDER_ROLE_FIELDS) == propose_mapping(table.to_pandas())
