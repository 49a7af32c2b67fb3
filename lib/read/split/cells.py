"""The XML cell filter: cut every unmapped column's cells out of a sheet's XML before calamine sees it."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np  # noqa: E402 - after the thread settings

from lib.read.split.parts import ROW_NUM
from lib.read.zipio import NotSplit


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
    and rows with CDATA or comments are not filtered; the ``<color/>`` of inline
    rich text is no cell).
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
        if b"!" in xml and (b"<![CDATA[" in xml or b"<!--" in xml):  # where "<c" may be text, not a cell
            raise NotSplit("a cell with CDATA or an XML comment")
        a = np.frombuffer(xml, np.uint8)
        n = len(a)
        lt = a[:-2] == 60  # '<'
        starts = np.flatnonzero(lt & (a[1:-1] == 99))  # '<c'
        after = a[starts + 2]  # a cell's name ends there; inline rich text has <color/>, <charset/>, <condense/>
        starts = starts[(after == 32) | (after == 62) | (after == 47) | ((after >= 9) & (after <= 13))]
        if not len(starts):
            return xml
        row_ends = np.flatnonzero(lt[:-1] & (a[1:-2] == 47) & (a[2:-1] == 114) & (a[3:] == 111))  # '</ro' of '</row>'
        if not len(row_ends) or row_ends[-1] < starts[-1]:
            raise NotSplit("a cell outside a row")
        ends = np.minimum(np.append(starts[1:], n), row_ends[np.searchsorted(row_ends, starts)])
        if n < starts[-1] + 9 or not bool(((a[starts + 2] == 32) & (a[starts + 3] == 114) & (a[starts + 4] == 61)
                                           & (a[starts + 5] == 34)).all()):
            raise NotSplit('a cell whose first attribute is not its reference (r="…")')
        l0 = a[starts + 6].astype(np.int64) - 64
        l1 = a[starts + 7].astype(np.int64) - 64
        l2 = a[starts + 8].astype(np.int64) - 64
        if not bool(((l0 >= 1) & (l0 <= 26)).all()):
            raise NotSplit("a cell reference without column letters")
        two = (l1 >= 1) & (l1 <= 26)
        three = two & (l2 >= 1) & (l2 <= 26)
        col = np.where(three, (l0 * 26 + l1) * 26 + l2, np.where(two, l0 * 26 + l1, l0)) - 1
        kept = self.keep[col]
        valued = np.flatnonzero(~((a[ends - 1] == 62) & (a[ends - 2] == 47)))  # not <c …/>
        if len(valued):  # the last row with a value in any column (cells of columns left out too)
            m = ROW_NUM.match(xml, xml.rfind(b"<row ", 0, int(starts[valued[-1]])))
            if not m:
                raise NotSplit("a row without a row number")
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
                    raise NotSplit("the sheet's XML uses prefixed names")
                head, data = data[: start + len(b"<sheetData>")], data[start + len(b"<sheetData>"):]
                self._started = True
            stop = data.find(b"</sheetData>")
            if stop >= 0:
                body, tail, self._done = data[:stop], b"</sheetData></worksheet>", True
            elif not chunk:
                raise NotSplit("the sheet's XML ends early")
            else:
                cut = data.rfind(b"</row>") + len(b"</row>")
                cut = cut if cut >= len(b"</row>") else 0
                body, tail, self._carry = data[:cut], b"", data[cut:]
            out = head + (self._cells(body) if body else b"") + tail
        return out

    def close(self) -> None:
        self._stream.close()


def filtered_chunks(chunks: Iterable[bytes], cells: CellFilter | None) -> Iterator[bytes]:
    """Sheet XML with only the columns ``cells`` keeps (all of it when None)."""
    if cells is None:
        yield from chunks
        return
    stream = _FilteredStream(IterStream(iter(chunks)), cells)
    while out := stream.read():
        yield out


class IterStream:
    """Chunks as a stream (``read()``: the next one, b"" at the end); ``close`` closes ``source`` when given."""

    def __init__(self, chunks: Iterator[bytes], source: Any = None) -> None:
        self._chunks = chunks
        self._source = source

    def read(self) -> bytes:
        return next(self._chunks, b"")

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
