"""Hostile workbooks and CSV files that cost far more inside than their size, as an attacker builds them.

Used by ``tests/test_hostile.py`` (small sizes) and ``bench/bench_attack.py`` (the
sizes an attack run used). Each returns the bytes of a file a browser can upload.
"""
from __future__ import annotations

import io
import struct
import zipfile

NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
SHEET = "xl/worksheets/sheet1.xml"

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>")
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    b'Target="sharedStrings.xml"/></Relationships>')


def _workbook(sheet: bytes | None, sst: bytes, comment: bytes = b"", sheet_writer=None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/sharedStrings.xml", sst)
        if sheet_writer is not None:
            with z.open(SHEET, "w", force_zip64=True) as part:
                sheet_writer(part)
        else:
            z.writestr(SHEET, sheet or b"")
        z.comment = comment
    return out.getvalue()


def _header_row() -> bytes:
    cells = b"".join(b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (col, name)
                     for col, name in ((b"A", b"Order ID"), (b"B", b"Customer"), (b"C", b"Date"), (b"D", b"Amount")))
    return b'<row r="1">' + cells + b"</row>"


def lying_size_bomb(inflated_mb: int = 1150, declared: int = 20_000, comment: bytes = b"") -> bytes:
    """A sheet that inflates to ``inflated_mb`` MB while the zip's index says ``declared`` bytes.

    The sheet is a header and then whitespace inside ``<sheetData>``, which
    deflate shrinks ~1000x; both the local header and the central directory
    carry the false size (with the zip64 extra that streaming writers add), so
    a reader that trusts the index for its ratio test sees a tiny part.
    """
    chunk = b" " * (1024 * 1024)

    def write(part) -> None:
        part.write(NS + b"<sheetData>" + _header_row())
        for _ in range(inflated_mb):
            part.write(chunk)
        part.write(b"</sheetData></worksheet>")

    sst = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           b'count="0" uniqueCount="0"></sst>')
    data = bytearray(_workbook(None, sst, comment, sheet_writer=write))
    return bytes(_declare_size(data, SHEET.encode(), declared))


def late_bomb(honest_mb: int = 6, inflated_mb: int = 400, declared: int = 8 * 1024**2) -> bytes:
    """A lying-size bomb that first looks honest: ``honest_mb`` MB of ordinary rows, then whitespace.

    Its first megabytes inflate at an ordinary ratio and within the declared
    size, so a check that inflates only a prefix passes it; what stops it is
    the parse's memory budget (sized by the declared size) and then the full
    inflation that explains the failure.
    """
    import random

    rnd = random.Random(7)
    chunk = b" " * (1024 * 1024)

    def write(part) -> None:
        part.write(NS + b"<sheetData>" + _header_row())
        written, r = 0, 2
        while written < honest_mb * 1024**2:
            row = (b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>SO%08x</t></is></c><c r="B%d" t="inlineStr"><is>'
                   b"<t>U%06x</t></is></c><c r=\"C%d\"><v>%d</v></c><c r=\"D%d\"><v>%d.%02d</v></c></row>"
                   % (r, r, rnd.getrandbits(32), r, rnd.getrandbits(20), r, 45000 + rnd.randrange(700), r,
                      rnd.randrange(1000), rnd.randrange(100)))
            part.write(row)
            written += len(row)
            r += 1
        for _ in range(inflated_mb):
            part.write(chunk)
        part.write(b"</sheetData></worksheet>")

    sst = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           b'count="0" uniqueCount="0"></sst>')
    data = bytearray(_workbook(None, sst, sheet_writer=write))
    return bytes(_declare_size(data, SHEET.encode(), declared))


def _declare_size(data: bytearray, name: bytes, size: int) -> bytearray:
    """Overwrite the uncompressed size of part ``name`` in its local header and central directory entry."""
    # (signature, offset of the uncompressed size, of the name length, of the name): central directory, local header
    for sig, size_at, lengths_at, name_at in ((b"PK\x01\x02", 24, 28, 46), (b"PK\x03\x04", 22, 26, 30)):
        pos = 0
        while (pos := data.find(sig, pos)) != -1:
            n, m = struct.unpack_from("<HH", data, pos + lengths_at)
            if data[pos + name_at: pos + name_at + n] == name:
                _set_size(data, pos + size_at, pos + name_at + n, m, size)
            pos += 4
    return data


def _set_size(data: bytearray, field: int, extra_at: int, extra_len: int, size: int) -> None:
    if struct.unpack_from("<I", data, field)[0] != 0xFFFFFFFF:
        struct.pack_into("<I", data, field, size)
        return
    # zip64: the real size is the first 8 bytes of the 0x0001 extra field
    end = extra_at + extra_len
    while extra_at + 4 <= end:
        tag, length = struct.unpack_from("<HH", data, extra_at)
        if tag == 1:
            struct.pack_into("<Q", data, extra_at + 4, size)
            return
        extra_at += 4 + length


def shared_string_amplification(text_chars: int = 65_536, references: int = 20_000) -> bytes:
    """A small workbook whose one long shared string is referenced by every data row."""
    sst = (b'<?xml version="1.0" encoding="UTF-8"?>'
           b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="1">'
           b"<si><t>%s</t></si></sst>" % (references, b"x" * text_chars))
    rows = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d" t="s"><v>0</v></c>'
                    b'<c r="C%d"><v>45000</v></c><c r="D%d"><v>5</v></c></row>' % ((i,) * 5)
                    for i in range(2, references + 2))
    sheet = NS + b"<sheetData>" + _header_row() + rows + b"</sheetData></worksheet>"
    return _workbook(sheet, sst)


def parquet_bytes(columns) -> bytes:
    """A Parquet file of ``columns`` (a pyarrow.Table or a dict of column name: values) as pyarrow writes it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(columns if isinstance(columns, pa.Table) else pa.table(columns), out)
    return out.getvalue()


def _orders(rows: int, customer=None) -> dict:
    """Columns order_id, customer_id, order_date, amount of ``rows`` orders (``customer``: that column as given)."""
    import numpy as np
    import pyarrow as pa

    return {"order_id": pa.array(np.arange(rows)),
            "customer_id": customer if customer is not None else pa.array([f"C{i % 997}" for i in range(rows)]),
            "order_date": pa.array(np.datetime64("2024-01-01") + (np.arange(rows) % 365).astype("timedelta64[D]")),
            "amount": pa.array(np.full(rows, 12.5))}


def dictionary_long_texts(rows: int = 150_000, chars: int = 30_000, distinct: int = 10) -> bytes:
    """A Parquet file whose customer ids are ``distinct`` texts of ``chars`` characters, each stored once in the
    column's dictionary (Arrow's schema keeps it one) and referenced by ``rows`` rows: under 1 MB at the attack's
    sizes, 4.5 GB once expanded."""
    import numpy as np
    import pyarrow as pa

    texts = pa.array([f"{i:04d}" + "x" * (chars - 4) for i in range(distinct)])
    ids = pa.DictionaryArray.from_arrays(pa.array(np.arange(rows) % distinct, pa.int32()), texts)
    return parquet_bytes(pa.table(_orders(rows, ids)))


def wide_zeros(rows: int = 1_048_000, zero_columns: int = 150) -> bytes:
    """Orders with ``zero_columns`` more columns of zeros, run-length encoded to almost nothing: 154 columns of
    1,048,000 rows at the attack's sizes, 6 MB on disk and 1.3 GB read."""
    import numpy as np
    import pyarrow as pa

    zeros = pa.array(np.zeros(rows, np.int64))
    return parquet_bytes(pa.table({**_orders(rows), **{f"metric_{k}": zeros for k in range(zero_columns)}}))


def repeated_row_group(groups: int, rows: int = 65_536) -> bytes:
    """A Parquet file of one small table of orders written ``groups`` times as row groups: 17 groups hold
    1,114,112 rows, more than Excel's 1,048,576, in a second of writing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(_orders(rows))
    out = io.BytesIO()
    with pq.ParquetWriter(out, table.schema) as writer:
        for _ in range(groups):
            writer.write_table(table)
    return out.getvalue()


def repeated_header_csv(repeats: int = 100_000, name: bytes = b"name") -> bytes:
    """A CSV whose header is one name ``repeats`` times (100,000: ≈ 500 KB) and one row under it.

    pandas renames repeated names by scanning the whole header for each one: 100,000 repeats ran to the parse's
    CPU limit.
    """
    return b",".join([name] * repeats) + b"\n" + b",".join([b"1"] * repeats) + b"\n"


def sniffer_backtracking_csv(kb: int = 198, line_chars: int | None = None) -> bytes:
    """``kb`` KB of ``,"`` (on lines of ``line_chars`` characters, or one line): :class:`csv.Sniffer`'s regular
    expressions backtrack over each line, quadratically (20 KB took 1.9 s of CPU, 198 KB minutes)."""
    text = b',"' * (kb * 512)
    if line_chars is None:
        return text
    step = line_chars - line_chars % 2
    return b"\n".join(text[i:i + step] for i in range(0, len(text), step)) + b"\n"


def nul_csv() -> bytes:
    """An otherwise ordinary CSV with NUL bytes in two of its lines (a broken export pads with them)."""
    return (b"Order ID,Customer,Date,Amount\n"
            b"SO1,a\x00,2024-01-01,5\n"
            b"SO2,b,2024-01-02,6\x00\x00\n"
            b"SO3,a,2024-01-03,7\n")


def long_cell_csv(chars: int = 100_000_000, row: int = 40) -> bytes:
    """A CSV of ``row`` ordinary rows, then one whose customer cell has ``chars`` characters, then one more."""
    rows = b"".join(b"SO%d,c%d,2024-01-01,5\n" % (i, i) for i in range(row))
    return b"Order ID,Customer,Date,Amount\n" + rows + b"SOX," + b"x" * chars + b",2024-01-02,6\nSOY,d,2024-01-03,7\n"


def far_column_workbook(rows: int = 1000, at_row: int = 2, column: bytes = b"XFD", dimension: bool = False) -> bytes:
    """A workbook of ``rows`` orders (4 columns) with one value in ``column`` (XFD: the last Excel allows) of row
    ``at_row``: a valid workbook whose used range is 16,384 columns wide, which the reader holds cell by cell."""
    body = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>SO%d</t></is></c><c r="B%d" t="inlineStr"><is><t>u%d'
                    b'</t></is></c><c r="C%d"><v>45000</v></c><c r="D%d"><v>5</v></c>%s</row>'
                    % (i, i, i, i, i % 50, i, i, b'<c r="%s%d"><v>1</v></c>' % (column, i) if i == at_row else b"")
                    for i in range(2, rows + 2))
    dim = b'<dimension ref="A1:%s%d"/>' % (column, rows + 1) if dimension else b""
    sst = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           b'count="0" uniqueCount="0"></sst>')
    return _workbook(NS + dim + b"<sheetData>" + _header_row() + body + b"</sheetData></worksheet>", sst)


def _col(i: int) -> bytes:
    name = b""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = bytes([65 + r]) + name
    return name


def _sheet_xml(rows: list[list[object]]) -> bytes:
    out = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            ref = _col(c) + b"%d" % r
            if isinstance(v, (int, float)):
                cells.append(b'<c r="%s"><v>%s</v></c>' % (ref, str(v).encode()))
            else:
                cells.append(b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, str(v).encode()))
        out.append(b'<row r="%d">%s</row>' % (r, b"".join(cells)))
    return NS + b"<sheetData>" + b"".join(out) + b"</sheetData></worksheet>"


def sheets_workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """A valid .xlsx of ``sheets`` (name -> rows of numbers and text; numbers 45000.. read as dates where a
    column says so), written as raw XML: thousands of sheets or columns in well under a second (openpyxl takes minutes)."""
    out = io.BytesIO()
    n = len(sheets)
    types = _CONTENT_TYPES.replace(b'<Override PartName="/xl/worksheets/sheet1.xml" '
                                   b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>',
                                   b"".join(b'<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/'
                                            b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' % (i + 1)
                                            for i in range(n)))
    names = b"".join(b'<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (name.encode(), i + 1, i + 1)
                     for i, name in enumerate(sheets))
    workbook = _WORKBOOK.replace(b'<sheet name="Orders" sheetId="1" r:id="rId1"/>', names)
    rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + b"".join(b'<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       b'relationships/worksheet" Target="worksheets/sheet%d.xml"/>' % (i + 1, i + 1) for i in range(n))
            + b'<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              b'sharedStrings" Target="sharedStrings.xml"/></Relationships>' % (n + 1))
    sst = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           b'count="0" uniqueCount="0"></sst>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/sharedStrings.xml", sst)
        for i, rows in enumerate(sheets.values()):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", _sheet_xml(rows))
    return out.getvalue()


def many_sheets_workbook(sheets: int = 2400, orders_every: int = 0) -> bytes:
    """A workbook of ``sheets`` small sheets: notes of three rows, and (every ``orders_every``-th, 0: the first only)
    a sheet of two orders; the attack run's 2,400 sheets."""
    head = ["Order ID", "Customer", "Date", "Amount"]
    out: dict[str, list[list[object]]] = {}
    for i in range(sheets):
        if i == 0 or (orders_every and i % orders_every == 0):
            out[f"Orders {i}"] = [head, [f"o{i}a", "a", "2024-03-01", 10], [f"o{i}b", "b", "2024-06-01", 20]]
        else:
            out[f"Note {i}"] = [["Note", "Value"], [f"n{i}", i], [f"m{i}", i + 1]]
    return sheets_workbook(out)


def wide_workbook(columns: int = 16_000, rows: int = 3) -> bytes:
    """One sheet of orders with ``columns`` columns (4 of them an order's, the rest ``Extra n``) and ``rows`` orders."""
    head = ["Order ID", "Customer", "Date", "Amount"] + [f"Extra {i}" for i in range(columns - 4)]
    body = [[f"o{r}", f"c{r}", f"2024-0{r % 9 + 1}-01", 10 + r] + [r] * (columns - 4) for r in range(rows)]
    return sheets_workbook({"Orders": [head] + body})
