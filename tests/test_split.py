"""A big sheet read on two cores (lib/read/split/) gives exactly what the ordinary read gives.

The split is forced on small workbooks with ``LTV_SPLIT_MIN_BYTES=1`` and
compared with the ordinary read (``LTV_SPLIT_MIN_BYTES`` huge) through the
real parse child; ``read_in_parts`` in the child's meta says which path ran.
"""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import ROOT, read_through_child, xlsx_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.errors import DataError
from lib.read.zipio import NotSplit, RawPart, write_stored_zip

pytestmark = pytest.mark.child

SPLIT = "1"
NO_SPLIT = str(10**12)


def _read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: bytes, split_min: str) -> tuple[list, list[bool]]:
    """Frames of every sheet and, per sheet, whether it was read in two parts."""
    wb, meta = read_through_child(monkeypatch, tmp_path, data, split_min)
    return [(s.name, s.header_row, s.frame) for s in wb.sheets], [bool(s.get("read_in_parts")) for s in meta]


def _outcome(monkeypatch, tmp_path, data: bytes, split_min: str) -> tuple[list, list[bool]] | str:
    try:
        return _read(monkeypatch, tmp_path, data, split_min)
    except DataError as err:
        return str(err)


def _same_both_ways(monkeypatch, tmp_path, data: bytes) -> list[bool]:
    got_split = _outcome(monkeypatch, tmp_path, data, SPLIT)
    got_plain = _outcome(monkeypatch, tmp_path, data, NO_SPLIT)
    if isinstance(got_split, str) or isinstance(got_plain, str):
        assert got_split == got_plain  # the same message for people
        return []
    (split, parts), (plain, plain_parts) = got_split, got_plain
    assert not any(plain_parts)
    assert [(n, h) for n, h, _ in split] == [(n, h) for n, h, _ in plain]
    for (_, _, a), (_, _, b) in zip(split, plain):
        pd.testing.assert_frame_equal(a, b)
    return parts


def _orders(n: int, start_row: int = 0) -> list[list[object]]:
    base = datetime(2024, 1, 1)
    return [[f"SO{i}", f"C{i % 37}", base + timedelta(days=i % 300), round(10 + (i * 7.3) % 90, 2),
             ["ads", "search", None][i % 3], f"C{i % 5}" if i % 4 == 0 else None] for i in range(start_row, start_row + n)]


HEADER = ["order id", "customer", "order date", "amount", "channel", "referrer"]


def test_shared_strings_workbook_is_read_in_parts_and_identically(monkeypatch, tmp_path):
    data = xlsx_bytes({"Orders": [HEADER] + _orders(3000)})
    assert _same_both_ways(monkeypatch, tmp_path, data) == [True]
    frames, _ = _read(monkeypatch, tmp_path, data, SPLIT)
    orders = frames[0][2]
    assert len(orders) == 3000  # no row lost or doubled at the cut
    assert orders["order id"].tolist() == [f"SO{i}" for i in range(3000)]
    assert orders["order date"].iloc[2999] == pd.Timestamp(datetime(2024, 1, 1) + timedelta(days=2999 % 300))


@pytest.mark.slow
def test_sheet_name_with_escaped_characters_is_found(monkeypatch, tmp_path):
    # workbook.xml stores the name escaped (R&amp;D &lt;2024&gt;); the split must match it to the reader's name
    data = xlsx_bytes({"R&D <2024>": [HEADER] + _orders(2000)})
    assert _same_both_ways(monkeypatch, tmp_path, data) == [True]


@pytest.mark.slow
def test_inline_strings_workbook_read_in_parts(monkeypatch, tmp_path):
    wb = openpyxl.Workbook(write_only=True)  # inline strings, no dimension: the benchmark's kind of file
    ws = wb.create_sheet("Orders")
    ws.append(HEADER)
    for r in _orders(2500):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    assert _same_both_ways(monkeypatch, tmp_path, buf.getvalue()) == [True]


@pytest.mark.slow
def test_table_not_in_the_corner(monkeypatch, tmp_path):
    # header at C5: the copy of the first row must keep its columns and move only its row number
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    for i, row in enumerate([HEADER] + _orders(2000)):
        for j, v in enumerate(row):
            ws.cell(row=5 + i, column=3 + j, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    assert _same_both_ways(monkeypatch, tmp_path, buf.getvalue()) == [True]


@pytest.mark.slow
def test_text_in_a_number_column_late_in_the_sheet(monkeypatch, tmp_path):
    rows = [HEADER] + _orders(3000)
    rows[2800][3] = "12,50 €"  # only part B sees it: the whole sheet is read again with full type guessing
    parts = _same_both_ways(monkeypatch, tmp_path, xlsx_bytes({"Orders": rows}))
    assert parts == [False]


@pytest.mark.slow
def test_column_empty_in_the_first_part(monkeypatch, tmp_path):
    rows = [HEADER + ["note"]] + [r + [None] for r in _orders(3000)]
    for r in rows[2500:]:
        r[6] = "gift"
    _same_both_ways(monkeypatch, tmp_path, xlsx_bytes({"Orders": rows}))


@pytest.mark.slow
def test_title_rows_above_the_header(monkeypatch, tmp_path):
    rows = [["Shop export 2024"], [None], HEADER] + _orders(2000)
    split, _ = _read(monkeypatch, tmp_path, xlsx_bytes({"Orders": rows}), SPLIT)
    assert split[0][1] == 2
    assert list(split[0][2].columns) == HEADER
    _same_both_ways(monkeypatch, tmp_path, xlsx_bytes({"Orders": rows}))


@pytest.mark.slow
def test_blank_rows_are_kept_for_the_report(monkeypatch, tmp_path):
    rows = [HEADER]
    for i, r in enumerate(_orders(3000)):
        rows.append(r)
        if i % 2:
            rows.append([None] * len(HEADER))  # openpyxl writes no <row> for them: numbers jump everywhere
    _same_both_ways(monkeypatch, tmp_path, xlsx_bytes({"Orders": rows}))


@pytest.mark.slow
@pytest.mark.parametrize("blank", [range(1500, 1800), range(0, 2999)], ids=["around the cut", "all but the last"])
def test_rows_without_values_around_the_cut(monkeypatch, tmp_path, blank):
    # openpyxl writes these rows as <row> elements with empty cells; the reader trims such rows at the
    # end of part A, so the split must notice and read the ordinary way (the report counts blank rows)
    rows = [HEADER] + _orders(3000)
    for i in blank:
        rows[1 + i] = [None] * len(HEADER)
    _same_both_ways(monkeypatch, tmp_path, xlsx_bytes({"Orders": rows}))


@pytest.mark.slow
def test_only_the_largest_sheet_is_split(monkeypatch, tmp_path):
    data = xlsx_bytes({"Spend": [["channel", "month", "spend"], ["ads", "2024-01", 100.0]],
                       "Orders": [HEADER] + _orders(3000),
                       "Orders 2023": [HEADER] + _orders(500, 3000)})
    assert _same_both_ways(monkeypatch, tmp_path, data) == [False, True, False]


@pytest.mark.slow  # 12 tables, each read by two real parse children (split and not): ~30 s, and only the child splits
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False)),
                          st.one_of(st.none(), st.text(alphabet="ab 中x", max_size=4)),
                          st.one_of(st.none(), st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1)).map(
                              lambda d: d.replace(microsecond=0)))),
                min_size=40, max_size=120))
def test_any_table_reads_the_same_in_parts(monkeypatch, tmp_path_factory, rows):
    data = xlsx_bytes({"S": [["n", "t", "d"]] + [list(r) for r in rows]})
    _same_both_ways(monkeypatch, tmp_path_factory.mktemp("p"), data)


def test_stored_zip_round_trip(tmp_path):
    path = tmp_path / "x.zip"
    write_stored_zip(path, [("a.xml", [b"<a>", b"1", b"</a>"]), ("中/b.bin", iter([b"\x00" * 70_000]))])
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None  # every checksum right
        assert zf.read("a.xml") == b"<a>1</a>"
        assert zf.read("中/b.bin") == b"\x00" * 70_000
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())


def test_part_that_inflates_beyond_its_declared_size_is_not_split(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 200_000)
    data = bytearray(buf.getvalue())
    cd = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 1000)  # the central directory now claims 1,000 bytes
    path = tmp_path / "lie.zip"
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf, pytest.raises(NotSplit):
        part = RawPart(zf, str(path), "xl/worksheets/sheet1.xml")
        while part.read():
            pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_forked_half_dies_with_the_worker():
    # a parse timeout kills the worker; the half it forked must not run on (it would for 30 s here)
    script = (
        "import os, sys, time; from lib.read.split import _die_with_parent\n"
        "pid = os.fork()\n"
        "if pid == 0:\n    null = os.open(os.devnull, os.O_RDWR); os.dup2(null, 1); os.dup2(null, 2)\n"
        "    _die_with_parent(); time.sleep(30); os._exit(0)\n"
        "print(pid, flush=True); time.sleep(0.3); os._exit(0)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    child = int(out.stdout.strip())
    for _ in range(100):
        if not _running(child):
            break
        time.sleep(0.05)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has finished; only its exit status is left


def test_abandoned_split_stops_its_child(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(xlsx_bytes({"Orders": [HEADER] + _orders(3000)}))
    script = (
        "import os, sys; from pathlib import Path; from lib.read.split import SplitRead;"
        f"s = SplitRead.start({str(path)!r}, Path({str(tmp_path)!r})); assert s is not None;"
        "pid = s._pid; s.abandon();"
        "print(os.path.exists(f'/proc/{pid}'))"
    )
    env = {**os.environ, "LTV_SPLIT_MIN_BYTES": SPLIT, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
