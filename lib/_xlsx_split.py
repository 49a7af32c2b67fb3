"""Parse one large xlsx sheet on two cores, for only the columns its mapping uses.

Used only inside the parse child (:mod:`lib._worker`). Reading a sheet is
single-threaded XML work in calamine, which parses every cell whatever
columns are asked for, so a big sheet is cut in two at a ``<row>`` boundary:

* part A: the sheet's head, the rows before the cut, closed with
  ``</sheetData></worksheet>``;
* part B: the same head, a copy of the sheet's first row renumbered to sit
  just above the cut (so it gives part B the same header and column range),
  then the rows after the cut.

For a sheet of at least ``CHOOSE_MIN_BYTES``, first a workbook of its first
rows is read in a forked child that proposes the mapping (``choose``); the
cells of every other column are then
cut out of both parts' XML (:class:`CellFilter`: numpy over the bytes, about
a tenth of what calamine would spend on them). Each part is written as a
workbook of its own (stored, not compressed) with the original styles and
shared strings, so dates and shared text read exactly as before. A forked
child inflates the sheet itself, filters and parses part A while this process
inflates the same rows unfiltered (to find the cut), then filters and parses
part B. The halves are accepted only when they agree (same column names,
types that unify without loss, no cell outside its column's type, part A
spanning every row up to the cut); otherwise the caller reads the sheet the
ordinary way. Anything unexpected (prefixed XML, rows without numbers, cells
without a reference, a gap in row numbers at the cut, a part that inflates
beyond its declared size) means "not split" rather than a guess.

On the 2-core reference machine a 1,000,000-row Taobao report of 41 columns
is parsed in about 13 s instead of 24 s, in 0.8 GB instead of two processes
of 1.55 GB (``bench/bench_wide.py``).
"""
from __future__ import annotations

import html
import itertools
import json
import os
import re
import signal
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

# numpy must not start OpenBLAS threads in the parse child: it forks part A's parser after filtering with numpy
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402 - after the thread settings

try:  # ISA-L inflates ≈ 5x faster than zlib here (a 1.07 GB sheet: 0.75 s instead of 4.5 s), the same bytes
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - isal is in requirements.txt; zlib is only slower
    _zlib = zlib  # type: ignore[misc]

from lib import config  # noqa: E402
from lib.header import PEEK_ROWS  # noqa: E402

# Split only sheets whose XML is big enough to repay the work; the parts are written to disk uncompressed.
SPLIT_MIN_BYTES = int(config.value("LTV_SPLIT_MIN_BYTES"))  # a bad setting: its default (lib.config reports it)
# the first rows' look costs ≈ 1.4 s (a child importing pandas): it pays from about 200,000 rows of 41 columns
CHOOSE_MIN_BYTES = int(config.value("LTV_CHOOSE_MIN_BYTES"))
SPLIT_MAX_BYTES = 2 * 1024**3  # the largest workbook vetting lets through (lib.safety.MAX_UNCOMPRESSED_TOTAL)
FIRST_PART = 0.55  # this process also inflates part A's rows (to find where B starts): A gets a little more than half
_CHUNK = 1024**2  # compressed bytes per read (about 10 MB of XML)
_HEAD_LIMIT = 1024**2  # <sheetData> and the first row must appear this early

_ROW_NUM = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')
_CELL_REF = re.compile(rb'(<c\b[^>]*?\sr="[A-Z]{1,3})(\d+)(")')
_FIRST_ROW = re.compile(rb"\s*(<row\b[^>]*(?<!/)>.*?</row>)", re.S)
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


class NotSplit(Exception):
    """The sheet is not suitable for splitting; read it the ordinary way."""


def _unescape(raw: bytes) -> str:
    """An XML attribute value as text (named and numeric character references resolved)."""
    return html.unescape(raw.decode("utf-8"))


class StoredZipWriter:
    """Write a zip archive whose entries are stored (not compressed), streaming each entry's chunks.

    The local header is written first with zero sizes and patched once the
    entry is done, so an entry never has to be held in memory. Archives stay
    below 4 GB (no zip64), which ``SPLIT_MAX_BYTES`` guarantees.
    """

    def __init__(self, path: Path) -> None:
        self._out = open(path, "wb")
        self._central: list[bytes] = []

    def add(self, name: str, chunks: Iterable[bytes]) -> None:
        raw_name = name.encode("utf-8")
        offset = self._out.tell()
        self._out.write(self._local(raw_name, 0, 0))
        crc = 0
        size = 0
        for c in chunks:
            crc = _zlib.crc32(c, crc)
            size += len(c)
            self._out.write(c)
        end = self._out.tell()
        self._out.seek(offset)
        self._out.write(self._local(raw_name, crc, size))
        self._out.seek(end)
        self._central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 0, 0, 0x21, crc, size, size,
                                         len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name)

    @staticmethod
    def _local(raw_name: bytes, crc: int, size: int) -> bytes:
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 0, 0, 0x21, crc, size, size, len(raw_name), 0) + raw_name

    def close(self) -> None:
        start = self._out.tell()
        cd = b"".join(self._central)
        self._out.write(cd)
        self._out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self._central), len(self._central), len(cd),
                                    start, 0))
        self._out.close()


def write_stored_zip(path: Path, entries: Iterable[tuple[str, Iterable[bytes]]]) -> None:
    """A stored zip of (name, chunks) entries at ``path``."""
    writer = StoredZipWriter(path)
    try:
        for name, chunks in entries:
            writer.add(name, chunks)
    finally:
        writer.close()


def _renumber(row_xml: bytes, new: int) -> bytes:
    """A <row> element moved to row number ``new`` (the row and every cell reference)."""
    num = str(new).encode()
    row_xml = _ROW_NUM.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + num + b'"', row_xml, count=1)
    return _CELL_REF.sub(lambda m: m.group(1) + num + m.group(3), row_xml)


def _row_number(xml: bytes) -> int:
    m = _ROW_NUM.match(xml)
    if not m:
        raise NotSplit("row without a number")
    return int(m.group(1))


class _RawPart:
    """A zip member's content, inflated in chunks straight from the file.

    Faster than ``ZipFile.open`` (no small reads, no buffer slicing); the
    checksum is left to the reader, which parses the parts again anyway.
    """

    def __init__(self, zf: zipfile.ZipFile, path: str, part: str) -> None:
        info = zf.getinfo(part)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise NotSplit("compression")
        self._fh = open(path, "rb")
        self._fh.seek(info.header_offset)
        local = self._fh.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise NotSplit("local header")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        self._fh.seek(info.header_offset + 30 + name_len + extra_len)
        self._left = info.compress_size
        self._room = info.file_size  # a member that inflates beyond its declared size is not split
        self._inflate = _zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None

    def read(self) -> bytes:
        """The next chunk of content; b"" at the end."""
        out = b""
        while self._left > 0 and not out:
            raw = self._fh.read(min(_CHUNK, self._left))
            if not raw:
                raise NotSplit("truncated")
            self._left -= len(raw)
            out = self._inflate.decompress(raw, self._room + 1) if self._inflate else raw
        if not out and self._inflate:
            out = self._inflate.flush()
        self._room -= len(out)
        if self._room < 0:
            raise NotSplit("the part inflates beyond its declared size")
        return out

    def close(self) -> None:
        self._fh.close()


def _head_rows(stream: Any, rows: int) -> tuple[list[bytes], bytes]:
    """The chunks read to reach the sheet's first ``rows`` rows, and the sheet XML of just those rows (closed)."""
    chunks: list[bytes] = []
    data = b""
    while True:
        start = data.find(b"<sheetData>")
        if start >= 0:
            pos, n = start, 0
            while n < rows and (found := data.find(b"</row>", pos)) >= 0:
                pos, n = found + len(b"</row>"), n + 1
            if n == rows or b"</sheetData>" in data:
                return chunks, data[:pos] + b"</sheetData></worksheet>"
        if len(data) > 64 * _HEAD_LIMIT:
            raise NotSplit("first rows too long")
        chunk = stream.read()
        if not chunk:
            raise NotSplit("sheet ended early")
        chunks.append(chunk)
        data += chunk


def column_letters(index: int) -> bytes:
    """Excel's letters of a 0-based column index (0 -> A, 26 -> AA)."""
    out = b""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = bytes([65 + rest]) + out
    return out


_COLUMNS = 26**3 + 26**2 + 26  # every column reference of up to three letters (Excel stops at XFD)


class CellFilter:
    """Keeps the cells of some columns in sheet XML and moves them next to each other (A, B, C …).

    Works on whole rows in numpy, a block of about a megabyte at a time (the
    XML of a wide sheet is about a gigabyte; a loop per cell would take
    minutes): each ``<c r="..."`` starts a cell, which runs until the next cell
    or ``</row>`` (a row holds nothing else; ``<`` in text is always escaped,
    and rows with CDATA or comments are not filtered).
    Dropped cells are cut out, kept cells get their new column letters (never
    longer than the old ones, so they are written in place and the spare
    bytes cut). A cell whose first attribute is not ``r`` raises
    :class:`NotSplit` (its position would depend on the cells dropped).
    """

    BLOCK = 1024**2

    def __init__(self, keep: Iterable[int]) -> None:
        cols = sorted(set(keep))
        self.keep = np.zeros(_COLUMNS + 1, bool)
        self.keep[cols] = True
        self._rank = np.zeros(_COLUMNS + 1, np.int64)
        self._rank[cols] = np.arange(len(cols))
        letters = [column_letters(i) for i in range(len(cols))]
        self._new = np.array([list(x.ljust(3, b"\0")) for x in letters], np.uint8).reshape(len(cols), 3)
        self._new_len = np.array([len(x) for x in letters], np.int64)
        self.last_row = 0  # the number of the last row seen with a value

    def __call__(self, xml: bytes) -> bytes:
        """``xml``: whole rows (it ends just after a ``</row>``) and what lies between them."""
        out = []
        start = 0
        while start < len(xml):
            end = len(xml) if len(xml) - start <= self.BLOCK else xml.rfind(b"</row>", start, start + self.BLOCK) + 6
            if end <= start:  # a row longer than a block
                end = xml.find(b"</row>", start + self.BLOCK) + 6
                if end < 6:
                    end = len(xml)
            out.append(self._block(xml[start:end]))
            start = end
        return b"".join(out)

    def _block(self, xml: bytes) -> bytes:
        if b"<![CDATA[" in xml or b"<!--" in xml:  # where "<c" may be text, not a cell
            raise NotSplit("CDATA or a comment among the rows")
        a = np.frombuffer(xml, np.uint8)
        n = len(a)
        lt = a[:-2] == 60  # '<'
        starts = np.flatnonzero(lt & (a[1:-1] == 99))  # '<c'
        if not len(starts):
            return xml
        row_ends = np.flatnonzero(lt & (a[1:-1] == 47) & (a[2:] == 114))  # '</r' of '</row>'
        if not len(row_ends) or row_ends[-1] < starts[-1]:
            raise NotSplit("a cell after the last row end")
        ends = np.minimum(np.append(starts[1:], n), row_ends[np.searchsorted(row_ends, starts)])
        if n < starts[-1] + 9 or not bool(((a[starts + 2] == 32) & (a[starts + 3] == 114) & (a[starts + 4] == 61)
                                           & (a[starts + 5] == 34)).all()):
            raise NotSplit('a cell without r="…" first')
        l0 = a[starts + 6].astype(np.int64) - 64
        l1 = a[starts + 7].astype(np.int64) - 64
        l2 = a[starts + 8].astype(np.int64) - 64
        if not bool(((l0 >= 1) & (l0 <= 26)).all()):
            raise NotSplit("a cell reference without a column")
        two = (l1 >= 1) & (l1 <= 26)
        three = two & (l2 >= 1) & (l2 <= 26)
        col = np.where(three, (l0 * 26 + l1) * 26 + l2, np.where(two, l0 * 26 + l1, l0)) - 1
        kept = self.keep[col]
        valued = np.flatnonzero(~((a[ends - 1] == 62) & (a[ends - 2] == 47)))  # not <c …/>
        if len(valued):  # the last row with a value in any column (cells of columns left out too)
            m = _ROW_NUM.match(xml, xml.rfind(b"<row ", 0, int(starts[valued[-1]])))
            if not m:
                raise NotSplit("row without a number")
            self.last_row = max(self.last_row, int(m.group(1)))
        # dropped cells side by side become one cut
        d_start, d_end = starts[~kept], ends[~kept]
        joined = d_start[1:] == d_end[:-1]
        cut_start = [d_start[np.concatenate(([True], ~joined))] if len(d_start) else d_start]
        cut_end = [d_end[np.concatenate((~joined, [True]))] if len(d_end) else d_end]
        # kept cells: new letters in place, the spare old letters cut
        at = starts[kept] + 6
        rank = self._rank[col[kept]]
        new_len = self._new_len[rank]
        old_len = 1 + two[kept] + three[kept]
        b = a.copy()
        b[at] = self._new[rank, 0]
        for i in (1, 2):
            w = new_len > i
            b[at[w] + i] = self._new[rank[w], i]
        spare = new_len < old_len
        cut_start.append(at[spare] + new_len[spare])
        cut_end.append(at[spare] + old_len[spare])
        c_start, c_end = np.concatenate(cut_start), np.concatenate(cut_end)
        order = np.argsort(c_start, kind="stable")
        bounds = np.empty(2 * len(order) + 2, np.int64)
        bounds[0], bounds[-1] = 0, n
        bounds[1:-1:2], bounds[2:-1:2] = c_start[order], c_end[order]
        runs = np.zeros(len(bounds) - 1, bool)
        runs[::2] = True  # kept, cut, kept, … , kept
        keep = np.repeat(runs, np.diff(bounds))
        return b[keep].tobytes()


class _FilteredStream:
    """The sheet's XML with only some columns' cells (see :class:`CellFilter`), chunk by chunk.

    The head up to ``<sheetData>`` passes unchanged; the rows are filtered up to
    the last whole row read; what follows ``</sheetData>`` (merged cells, print
    settings …) is left out.
    """

    def __init__(self, stream: Any, cells: CellFilter) -> None:
        self._stream = stream
        self._cells = cells
        self._carry = b""
        self._started = False
        self._done = False

    def read(self) -> bytes:
        out = b""
        while not out and not self._done:
            chunk = self._stream.read()
            data = self._carry + chunk
            head = b""
            if not self._started:
                start = data.find(b"<sheetData>")
                if start < 0:
                    raise NotSplit("no plain <sheetData>")
                head, data = data[: start + len(b"<sheetData>")], data[start + len(b"<sheetData>"):]
                self._started = True
            stop = data.find(b"</sheetData>")
            if stop >= 0:
                body, tail, self._done = data[:stop], b"</sheetData></worksheet>", True
            elif not chunk:
                raise NotSplit("sheet ended early")
            else:
                cut = data.rfind(b"</row>") + len(b"</row>")
                cut = cut if cut >= len(b"</row>") else 0
                body, tail, self._carry = data[:cut], b"", data[cut:]
            out = head + (self._cells(body) if body else b"") + tail
        return out

    def close(self) -> None:
        self._stream.close()


class _Parts:
    """The sheet's XML inflated chunk by chunk and cut into parts A and B at a row start."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        first = self.stream.read()
        start = first.find(b"<sheetData>", 0, _HEAD_LIMIT)
        if start < 0 or b"<worksheet" not in first[:start]:
            raise NotSplit("no plain <sheetData>")  # prefixed namespaces or an empty sheet
        start += len(b"<sheetData>")
        self.head = _DIMENSION.sub(b"", first[:start])
        m = _FIRST_ROW.match(first, start)
        if not m:
            raise NotSplit("first row not found early")
        self.first_row = m.group(1)
        self.first_row_number = _row_number(self.first_row)
        self._body = first[start:]
        self.b_start = b""
        self.b_first_row = 0

    def part_a(self, target: int) -> Iterator[bytes]:
        """Part A's XML: head and rows until about ``target`` bytes, cut at a row start, then closed.

        Afterwards ``b_start`` holds the XML after the cut and ``b_first_row`` its row number.
        """
        yield self.head
        seen = len(self.head)  # bytes before ``chunk``
        chunk = self._body
        while True:
            pos = chunk.find(b"<row ", max(target - seen, 1))
            if seen + len(chunk) >= target and pos > 0:
                break
            yield chunk
            seen += len(chunk)
            chunk = self.stream.read()
            if not chunk:
                raise NotSplit("sheet ended before the cut")
        before, self.b_start = chunk[:pos], chunk[pos:]
        k = _row_number(self.b_start)
        prev = before.rfind(b"<row ")
        if prev < 0 or _row_number(before[prev:]) != k - 1:
            raise NotSplit("row numbers jump at the cut")  # blank rows there would be lost
        if k - 1 <= self.first_row_number:
            raise NotSplit("cut too close to the top")
        self.b_first_row = k
        yield before
        yield b"</sheetData></worksheet>"

    def part_b(self) -> Iterator[bytes]:
        """Part B's XML: head, the first row moved just above the cut, the rest of the sheet."""
        yield self.head
        yield _renumber(self.first_row, self.b_first_row - 1)
        yield self.b_start
        self.b_start = b""
        while chunk := self.stream.read():
            yield chunk
        self.stream.close()


def _other_parts(zf: zipfile.ZipFile, part: str) -> list[tuple[str, list[bytes]]]:
    """Every part a reader needs besides the sheet: other sheets emptied, media and macros left out."""
    keep = []
    for info in zf.infolist():
        name = info.filename
        low = name.lower()
        if name == part or low.endswith("/") or low.startswith(("xl/media/", "xl/pivotcache", "xl/externallinks/",
                                                               "xl/drawings/", "xl/printersettings/")) \
                or low.endswith(".bin"):
            continue
        if low.startswith(("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")) and low.endswith(".xml"):
            keep.append((name, [_EMPTY_SHEET]))
        else:
            keep.append((name, [_member(zf, name)]))
    return keep


def _member(zf: zipfile.ZipFile, name: str) -> bytes:
    """A zip member's content (the shared strings can be 100 MB: inflated the fast way when it can be)."""
    try:
        part = _RawPart(zf, str(zf.filename), name)
    except NotSplit:
        return zf.read(name)
    try:
        return b"".join(iter(part.read, b""))
    finally:
        part.close()


_SHARED_REF = re.compile(rb'<c\b[^>]*?\st="s"[^>]*>\s*<v>(\d+)</v>')
_COUNTS = re.compile(rb'\s(?:count|uniqueCount)="\d+"')


def _peek_parts(others: list[tuple[str, list[bytes]]], part: str, head_xml: bytes) -> list[tuple[str, list[bytes]]]:
    """A workbook of the sheet's first rows: the shared strings cut after the last one those rows use."""
    refs = [int(x) for x in _SHARED_REF.findall(head_xml)]
    out = []
    for name, chunks in others:
        if name.lower().endswith("sharedstrings.xml") and refs and max(refs) < 1_000_000:
            sst, pos = b"".join(chunks), 0
            for _ in range(max(refs) + 1):
                pos = sst.find(b"</si>", pos)
                if pos < 0:
                    break
                pos += len(b"</si>")
            if pos > 0:
                open_end = sst.find(b">", sst.find(b"<sst")) + 1
                chunks = [_COUNTS.sub(b"", sst[:open_end]), sst[open_end:pos], b"</sst>"]
        out.append((name, chunks))
    return out + [(part, [head_xml])]


def _peek(stream: Any, others: list[tuple[str, list[bytes]]], part: str, sheet: str, work_dir: Path,
          choose: Callable[[str, str], dict[str, Any] | None]) -> tuple[dict[str, Any] | None, Any]:
    """``choose`` run in a forked child on the sheet's first rows, and the stream to read the sheet from."""
    chunks, head_xml = _head_rows(stream, PEEK_ROWS + 1)
    stream = _IterStream(itertools.chain(chunks, iter(stream.read, b"")), stream)  # the chunks read, then the rest
    peek = work_dir / "peek.xlsx"
    write_stored_zip(peek, _peek_parts(others, part, head_xml))
    got = _in_child(lambda: choose(str(peek), sheet), work_dir / "peek.json")
    peek.unlink()
    if not isinstance(got, dict) or not got.get("keep"):
        return None, stream
    keep, names = got["keep"], got["names"]
    if not all(isinstance(i, int) and 0 <= i < len(names) for i in keep):
        return None, stream
    return {"keep": sorted(set(keep)), "names": [str(n) for n in names], "every": bool(got.get("every"))}, stream


def _in_child(work: Callable[[], Any], out: Path) -> Any:
    """``work()`` run in a forked child (so this process imports no native reader and stays single-threaded);
    what it returned, through JSON."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _die_with_parent()
            out.write_text(json.dumps(work()))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0 or not out.exists():
        raise NotSplit("the look at the first rows failed")
    return json.loads(out.read_text())


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (the parse is abandoned on a timeout)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _parse(path: Path, sheet_name: str, use_columns: Any = None) -> tuple[Any, bool, list[str]]:
    """The sheet as an Arrow batch (first row as header, only ``use_columns`` when given), whether some cell did not
    fit its column's type, and the names of every column in the header."""
    import fastexcel

    sheet = fastexcel.read_excel(str(path)).load_sheet(sheet_name, header_row=0, use_columns=use_columns)
    batch, errors = sheet.to_arrow_with_errors()
    return batch, bool(errors is not None and errors.errors), [c.name for c in sheet.available_columns()]


def _single_threaded() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _sheet_names_by_part(zf: zipfile.ZipFile) -> dict[str, str]:
    """Zip path of each worksheet -> its sheet name."""
    workbook = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels")
    targets = {}
    for m in re.finditer(rb"<Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(rb'([\w:]+)="([^"]*)"', m.group(0)))
        if b"Id" in attrs and b"Target" in attrs:
            target = _unescape(attrs[b"Target"])
            targets[attrs[b"Id"]] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = {}
    for m in re.finditer(rb"<sheet\b[^>]*>", workbook):
        attrs = dict(re.findall(rb'([\w:]+)="([^"]*)"', m.group(0)))
        rel_id = next((v for k, v in attrs.items() if k.endswith(b":id")), None)
        if rel_id in targets and b"name" in attrs:
            out[targets[rel_id]] = _unescape(attrs[b"name"])
    return out


class SplitRead:
    """A sheet being read in two parts: part A already parsing in a forked child.

    :meth:`start` must run before this process imports a native reader (the
    fork then copies a single-threaded interpreter); :meth:`finish` parses
    part B here, waits for part A and joins them.
    """

    def __init__(self, sheet: str, pid: int, zf: zipfile.ZipFile, parts: _Parts, others: list[tuple[str, list[bytes]]],
                 part: str, work_dir: Path, target: int, use_columns: Any, chosen: dict[str, Any] | None,
                 cells: CellFilter | None, every: bool, only_sheet: bool) -> None:
        self.sheet = sheet
        self._pid = pid
        self._zf = zf
        self._parts = parts
        self._others = others
        self._part = part
        self._dir = work_dir
        self._target = target  # where part A ends, in bytes of the sheet's XML
        self.use_columns = use_columns  # fastexcel's column choice, the same for both halves
        self.all_columns: list[str] = []  # every header name (known after finish)
        self._cells = cells
        # every header name and the names of the columns read, when only some columns' cells are read
        self.header: list[str] | None = chosen["names"] if chosen is not None else None
        self.kept: list[str] = [chosen["names"][i] for i in chosen["keep"]] if chosen is not None else []
        self.every = every  # every column read: the first rows differ only in columns no rule maps
        self.only_sheet = only_sheet  # the workbook has no other sheet

    @classmethod
    def start(cls, path: str, work_dir: Path, use_columns: Any = None,
              choose: Callable[[str, str], dict[str, Any] | None] | None = None) -> SplitRead | None:
        """Fork the reader of part A of the largest sheet, or None when no sheet is worth splitting.

        ``choose(peek_path, sheet)``, when given and the sheet's XML is at least ``CHOOSE_MIN_BYTES``, runs
        in a forked child on a workbook of the sheet's first
        ``PEEK_ROWS`` rows and returns ``{"keep": [column positions, 0 = A], "names": [every header name]}``
        or None; both parts then hold only those columns' cells (:class:`CellFilter`). With ``"every": True``
        it asks for every column instead (``every`` is then set, ``use_columns`` ignored). The child
        inflates the sheet on its own up to the cut, filters and parses part A; this process inflates the
        same rows without filtering them (:meth:`finish`), then filters and parses part B.
        """
        if not _single_threaded():
            return None
        zf = None
        try:
            zf = zipfile.ZipFile(path)
            names = _sheet_names_by_part(zf)
            sizes = {p: zf.getinfo(p).file_size for p in names if p in zf.NameToInfo}
            if not sizes:
                raise NotSplit("no sheets")
            part = max(sizes, key=lambda p: sizes[p])
            if not SPLIT_MIN_BYTES <= sizes[part] <= SPLIT_MAX_BYTES:
                raise NotSplit("size")
            sheet = names[part]
            only_sheet = len(names) == 1 and len(re.findall(rb"<sheet\b", zf.read("xl/workbook.xml"))) == 1
            others = _other_parts(zf, part)
            stream: Any = _RawPart(zf, path, part)
            chosen = None
            if choose is not None and sizes[part] >= CHOOSE_MIN_BYTES:
                chosen, stream = _peek(stream, others, part, sheet, work_dir, choose)
            every = chosen is not None and chosen["every"]
            if every:  # every column is to be read, with nothing filtered out
                chosen, use_columns = None, None
            if chosen is not None:  # the parent process shows it while the sheet is read (lib.ingest._run_worker)
                (work_dir / "progress.tmp").write_text(json.dumps({"columns": len(chosen["keep"])}))
                (work_dir / "progress.tmp").replace(work_dir / "progress.json")
            parts = _Parts(stream)
        except Exception:  # noqa: BLE001 - anything unexpected means "read it the ordinary way", which words errors
            if zf is not None:
                zf.close()
            return None
        target = int(sizes[part] * FIRST_PART)
        cells = CellFilter(chosen["keep"]) if chosen is not None else None  # each process gets its own copy
        try:
            pid = os.fork()
        except OSError:  # no room for another process: read the ordinary way
            zf.close()
            return None
        if pid == 0:  # part A in the child; never returns
            code = 1
            try:
                _die_with_parent()
                own = _Parts(_RawPart(zf, path, part))  # a file handle of its own: the parent reads on
                write_stored_zip(work_dir / "split_a.xlsx", others + [(part, _filtered(own.part_a(target), cells))])
                batch, mixed, _ = _parse(work_dir / "split_a.xlsx", sheet, use_columns)
                (work_dir / "split_a.xlsx").unlink()
                import pyarrow.ipc as ipc

                with ipc.new_file(str(work_dir / "split_a.arrow"), batch.schema) as writer:
                    writer.write_batch(batch)
                (work_dir / "split_a.json").write_text(json.dumps({"mixed": mixed}))
                code = 0
            finally:
                os._exit(code)
        return cls(sheet, pid, zf, parts, others, part, work_dir, target, use_columns, chosen, cells, every, only_sheet)

    def finish(self) -> Any:
        """The whole sheet as one Arrow table (first row as header), or ``"mixed"``.

        ``"mixed"``: some cell does not fit its column's guessed type; read
        again with types guessed from every row. Raises :class:`NotSplit`
        when the halves disagree or part A failed.
        """
        import pyarrow as pa
        import pyarrow.ipc as ipc

        failed = True
        try:
            for _ in self._parts.part_a(self._target):  # the child's rows: only to find where part B starts
                pass
            write_stored_zip(self._dir / "split_b.xlsx",
                             self._others + [(self._part, _filtered(self._parts.part_b(), self._cells))])
            self._others = []
            batch_b, mixed_b, self.all_columns = _parse(self._dir / "split_b.xlsx", self.sheet, self.use_columns)
            (self._dir / "split_b.xlsx").unlink()
            if self.header is not None:
                if self.all_columns != self.kept:  # the first rows' columns were not the sheet's
                    raise NotSplit("the columns read are not the ones chosen")
                self.all_columns = self.header
            failed = False
        except Exception as exc:  # noqa: BLE001 - the ordinary read then says what is wrong
            raise NotSplit(f"part B: {exc}") from exc
        finally:
            if failed:
                _kill(self._pid)
            _, status = os.waitpid(self._pid, 0)
            self._zf.close()
        done = self._dir / "split_a.json"
        if status != 0 or not done.exists():
            raise NotSplit("part A failed")
        if json.loads(done.read_text())["mixed"] or mixed_b:
            return "mixed"
        with pa.memory_map(str(self._dir / "split_a.arrow")) as source:
            table_a = ipc.open_file(source).read_all()
        table_b = pa.Table.from_batches([batch_b])
        rows_a = self._parts.b_first_row - 1 - self._parts.first_row_number
        if self._cells is not None:
            # rows with no value in the columns read: the reader leaves them out at the end of a part, where
            # the whole sheet has them (as rows to report, not to lose)
            table_a = _pad(table_a, rows_a)
            table_b = _pad(table_b, self._cells.last_row - self._parts.b_first_row + 1)
        if table_a.num_rows != rows_a:
            # the reader trims rows without values at the end of part A (and would start later if the
            # first row had none): those blank rows belong to the sheet, so read it the ordinary way
            raise NotSplit("part A does not span its rows")
        return _unify(table_a, table_b)

    def abandon(self) -> None:
        """Stop part A's reader (the sheet is read another way)."""
        _kill(self._pid)
        try:
            os.waitpid(self._pid, 0)
        except ChildProcessError:
            pass
        self._zf.close()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _pad(table: Any, rows: int) -> Any:
    """``table`` with empty rows added up to ``rows``."""
    import pyarrow as pa

    if table.num_rows >= rows:
        return table
    schema = pa.schema([f.with_nullable(True) for f in table.schema])
    blank = pa.table({f.name: pa.nulls(rows - table.num_rows, f.type) for f in schema}, schema=schema)
    return pa.concat_tables([table.cast(schema), blank])


def _filtered(chunks: Iterable[bytes], cells: CellFilter | None) -> Iterator[bytes]:
    """Sheet XML with only the columns ``cells`` keeps (all of it when None)."""
    if cells is None:
        yield from chunks
        return
    stream = _FilteredStream(_IterStream(iter(chunks)), cells)
    while out := stream.read():
        yield out


class _IterStream:
    """Chunks as a stream (``read()``: the next one, b"" at the end); ``close`` closes ``source`` when given."""

    def __init__(self, chunks: Iterator[bytes], source: Any = None) -> None:
        self._chunks = chunks
        self._source = source

    def read(self) -> bytes:
        return next(self._chunks, b"")

    def close(self) -> None:
        if self._source is not None:
            self._source.close()


def _unify(a: Any, b: Any) -> Any:
    """Concatenate the halves when they describe the same columns; types widen only without loss."""
    import pyarrow as pa

    if a.schema.names != b.schema.names or all(n.startswith("__UNNAMED__") for n in a.schema.names):
        raise NotSplit("halves have different columns")
    fields = []
    for fa, fb in zip(a.schema, b.schema):
        if fa.type == fb.type:
            fields.append(fa)
        elif pa.types.is_null(fa.type):
            fields.append(fb)
        elif pa.types.is_null(fb.type):
            fields.append(fa)
        elif {fa.type, fb.type} == {pa.int64(), pa.float64()}:
            fields.append(pa.field(fa.name, pa.float64()))
        else:
            raise NotSplit(f"column {fa.name!r}: {fa.type} and {fb.type}")
    schema = pa.schema([f.with_nullable(True) for f in fields])  # a padded half has nulls anywhere
    return pa.concat_tables([a.cast(schema), b.cast(schema)])
