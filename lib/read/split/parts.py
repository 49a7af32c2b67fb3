"""A sheet's XML as parts: its head rows, the rows of each half renumbered, the other parts of the workbook."""
from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from lib.read.zipio import NotSplit, zip_member

_HEAD_LIMIT = 1024**2  # <sheetData> and the first row must appear this early


ROW_NUM = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')


_CELL_REF = re.compile(rb'(<c\b[^>]*?\sr="[A-Z]{1,3})(\d+)(")')


_FIRST_ROW = re.compile(rb"\s*(<row\b[^>]*(?<!/)>.*?</row>)", re.S)


_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")


_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


def unescape(raw: bytes) -> str:
    """An XML attribute value as text (named and numeric character references resolved)."""
    return html.unescape(raw.decode("utf-8"))


def renumber(row_xml: bytes, new: int) -> bytes:
    """A <row> element moved to row number ``new`` (the row and every cell reference)."""
    num = str(new).encode()
    row_xml = ROW_NUM.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + num + b'"', row_xml, count=1)
    return _CELL_REF.sub(lambda m: m.group(1) + num + m.group(3), row_xml)


def row_number(xml: bytes) -> int:
    m = ROW_NUM.match(xml)
    if not m:
        raise NotSplit("a row without a row number")
    return int(m.group(1))


def head_rows(stream: Any, rows: int) -> tuple[list[bytes], bytes]:
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
            raise NotSplit("the sheet's first rows are unusually long")
        chunk = stream.read()
        if not chunk:
            raise NotSplit("the sheet's XML ends early")
        chunks.append(chunk)
        data += chunk


class SheetParts:
    """The sheet's XML inflated chunk by chunk and cut into parts A and B at a row start."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        first = self.stream.read()
        start = first.find(b"<sheetData>", 0, _HEAD_LIMIT)
        if start < 0 or b"<worksheet" not in first[:start]:
            raise NotSplit("the sheet's XML uses prefixed names")  # or an empty sheet
        start += len(b"<sheetData>")
        self.head = _DIMENSION.sub(b"", first[:start])
        m = _FIRST_ROW.match(first, start)
        if not m:
            raise NotSplit("the sheet's first row is unusually long")
        self.first_row = m.group(1)
        self.first_row_number = row_number(self.first_row)
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
                raise NotSplit("the sheet's XML ends early")
        before, self.b_start = chunk[:pos], chunk[pos:]
        k = row_number(self.b_start)
        prev = before.rfind(b"<row ")
        if prev < 0 or row_number(before[prev:]) != k - 1:
            raise NotSplit("rows are missing in the middle of the sheet")  # blank rows there would be lost
        if k - 1 <= self.first_row_number:
            raise NotSplit("the sheet's first row is unusually long")
        self.b_first_row = k
        yield before
        yield b"</sheetData></worksheet>"

    def part_b(self) -> Iterator[bytes]:
        """Part B's XML: head, the first row moved just above the cut, the rest of the sheet."""
        yield self.head
        yield renumber(self.first_row, self.b_first_row - 1)
        yield self.b_start
        self.b_start = b""
        while chunk := self.stream.read():
            yield chunk
        self.stream.close()


def other_parts(zf: zipfile.ZipFile, part: str) -> list[tuple[str, list[bytes]]]:
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
            keep.append((name, [zip_member(zf, name)]))
    return keep


# a cell's only t attribute; a literal first, which re looks for quickly (another attribute ending in t would only
# keep more strings)
_SHARED_REF = re.compile(rb't="s"[^>]*>\s*<v>(\d+)</v>')


_COUNTS = re.compile(rb'\s(?:count|uniqueCount)="\d+"')


def peek_parts(others: list[tuple[str, list[bytes]]], part: str, head_xml: bytes) -> list[tuple[str, list[bytes]]]:
    """A workbook of the sheet's first rows: the shared strings cut after the last one those rows use."""
    last = max(map(int, _SHARED_REF.findall(head_xml)), default=-1)
    out = []
    for name, chunks in others:
        if name.lower().endswith("sharedstrings.xml") and 0 <= last < 1_000_000:
            sst = b"".join(chunks)
            pos = _string_end(sst, last)
            if pos > 0:
                open_end = sst.find(b">", sst.find(b"<sst")) + 1
                chunks = [_COUNTS.sub(b"", sst[:open_end]), sst[open_end:pos], b"</sst>"]
        out.append((name, chunks))
    return out + [(part, [head_xml])]


def _string_end(sst: bytes, index: int) -> int:
    """Where shared string ``index`` (0-based) ends in the table's XML, just after its ``</si>``; -1 when the
    table has fewer. Counted a megabyte at a time, then looked for in numpy in the megabyte that holds it."""
    import numpy as np

    lo, before = 0, 0
    while lo < len(sst):
        hi = min(lo + (1 << 20), len(sst))
        n = sst.count(b"</si>", lo, hi)  # those that start and end in [lo, hi): the next megabyte starts 4 bytes back
        if before + n > index:
            a = np.frombuffer(sst, np.uint8, hi - lo, lo)
            ends = np.flatnonzero((a[:-4] == 60) & (a[1:-3] == 47) & (a[2:-2] == 115) & (a[3:-1] == 105) & (a[4:] == 62))
            return lo + int(ends[index - before]) + len(b"</si>")
        before += n
        lo = hi - 4 if hi < len(sst) else hi
    return -1


def sheet_names_by_part(zf: zipfile.ZipFile) -> dict[str, str]:
    """Zip path of each worksheet -> its sheet name."""
    workbook = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels")
    targets = {}
    for m in re.finditer(rb"<Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(rb'([\w:]+)="([^"]*)"', m.group(0)))
        if b"Id" in attrs and b"Target" in attrs:
            target = unescape(attrs[b"Target"])
            targets[attrs[b"Id"]] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = {}
    for m in re.finditer(rb"<sheet\b[^>]*>", workbook):
        attrs = dict(re.findall(rb'([\w:]+)="([^"]*)"', m.group(0)))
        rel_id = next((v for k, v in attrs.items() if k.endswith(b":id")), None)
        if rel_id in targets and b"name" in attrs:
            out[targets[rel_id]] = unescape(attrs[b"name"])
    return out
