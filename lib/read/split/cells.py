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


# a cell reference's letters as one number: up to three letters, each A-Z -> 1-26, in base 27 (the digits of the
# row number that follow count 0, so "A1" -> 1·27², "AB7" -> 1·27² + 2·27, "XFD" -> 24·27² + 6·27 + 4)
_LETTER = np.zeros(256, np.int64)
_LETTER[65:91] = np.arange(1, 27)
_KEYS = 27**3
# the key of a reference's first two bytes (0: no column letter first), and whether the second is a letter too
_TWO_BYTES = np.arange(65536)
_LEAD = np.where(_LETTER[_TWO_BYTES & 0xFF] > 0, _LETTER[_TWO_BYTES & 0xFF] * 27**2 + _LETTER[_TWO_BYTES >> 8] * 27, 0)
_SECOND = _LETTER[_TWO_BYTES >> 8] > 0
_CELL = int.from_bytes(b'<c r="', "little")  # how every cell must start, read as the low 6 bytes of 8
_SIX_BYTES = (1 << 48) - 1


def _key(letters: bytes) -> int:
    v = [b - 64 for b in letters] + [0, 0]
    return v[0] * 27**2 + v[1] * 27 + v[2]


Bytes = Any  # bytes, or a numpy array of uint8 (a part of the XML, written as it is)


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
        # by the key of a reference's letters: kept or not, the letters it gets, how many it has and gets
        self._kept = np.zeros(_KEYS, bool)
        self._new = np.zeros((3, _KEYS), np.uint8)
        self._new_len = np.zeros(_KEYS, np.int64)
        keys = np.arange(_KEYS)
        self._old_len = 1 + (keys // 27 % 27 > 0) + (keys % 27 > 0)
        for rank, col in enumerate(cols):
            k, letters = _key(column_letters(col)), column_letters(rank)
            self._kept[k] = True
            self._new[: len(letters), k] = list(letters)
            self._new_len[k] = len(letters)
        self._long_names = len(cols) > 26  # some kept column gets two letters or more
        self.first_row = 0  # the number of the first row seen with a value
        self.last_row = 0  # the number of the last row seen with a value

    def __call__(self, xml: bytes) -> bytes:
        """``xml``: whole rows (it ends just after a ``</row>``) and what lies between them."""
        return b"".join(self.rows(b"", xml, len(xml)))

    def rows(self, carry: bytes, xml: bytes, stop: int) -> Iterator[Bytes]:
        """``carry + xml[:stop]`` (whole rows) filtered, a block at a time; ``xml`` is not copied."""
        start = 0
        if carry:  # the row it begins ends in ``xml``: that block joins the two
            end = self._block_end(xml, 0, stop)
            first = carry + xml[:end]
            yield self._block(first, 0, len(first))
            start = end
        while start < stop:
            end = self._block_end(xml, start, stop)
            yield self._block(xml, start, end)
            start = end

    def _block_end(self, xml: bytes, start: int, stop: int) -> int:
        if stop - start <= self.BLOCK:
            return stop
        end = xml.rfind(b"</row>", start, start + self.BLOCK) + 6
        if end <= start:  # a row longer than a block
            end = xml.find(b"</row>", start + self.BLOCK, stop) + 6
            if end < 6:
                end = stop
        return end

    def _block(self, xml: bytes, lo: int, hi: int) -> Bytes:
        if xml.find(b"!", lo, hi) >= 0 and (xml.find(b"<![CDATA[", lo, hi) >= 0 or xml.find(b"<!--", lo, hi) >= 0):
            raise NotSplit("a cell with CDATA or an XML comment")  # where "<c" may be text, not a cell
        a = np.frombuffer(xml, np.uint8, hi - lo, lo)
        n = len(a)
        if n < 3:
            return a
        starts = np.flatnonzero((a[:-2] == 60) & (a[1:-1] == 99))  # '<c'
        if not len(starts):
            return a
        if n < starts[-1] + 9:
            raise NotSplit('a cell whose first attribute is not its reference (r="…")')
        word = np.ndarray((n - 7,), "<u8", xml, lo, (1,))[starts]  # the 8 bytes from each '<c'
        cell = (word & _SIX_BYTES) == _CELL
        if not bool(cell.all()):  # inline rich text has <color/>, <charset/>, <condense/>: no cells
            name_goes_on = (word[~cell] >> 16) & 0xFF
            if not bool(((name_goes_on >= 97) & (name_goes_on <= 122)).all()):  # <c>, <c/>, <c s=…: no r="…" first
                raise NotSplit('a cell whose first attribute is not its reference (r="…")')
            starts, word = starts[cell], word[cell]
            if not len(starts):
                return a
        ends = self._cell_ends(a, starts)
        lead = (word >> 48).astype(np.intp)  # the reference's first two bytes
        key = _LEAD[lead]
        if not bool(key.min() > 0):
            raise NotSplit("a cell reference without column letters")
        key += _LETTER[a[starts + 8]] * _SECOND[lead]  # a third letter counts after a second one only
        if not self.first_row:
            self._remember_first_row(xml, lo, a, starts, ends)
        self._remember_last_row(xml, lo, a, starts, ends)
        return self._cut(a, starts, ends, key)

    @staticmethod
    def _cell_ends(a: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Where each cell ends: at the next cell, or at the ``</row>`` of its row."""
        w = np.flatnonzero(a[4:] == 119) + 4  # the 'w' of '</row>' (a rare letter in a sheet's XML)
        row_ends = w[(a[w - 4] == 60) & (a[w - 3] == 47) & (a[w - 2] == 114) & (a[w - 1] == 111)] - 4
        if not len(row_ends) or row_ends[-1] < starts[-1]:
            raise NotSplit("a cell outside a row")
        ends = np.append(starts[1:], len(a))
        before = np.searchsorted(starts, row_ends)  # cells before each row end
        last = np.ones(len(before), bool)  # the first row end after a cell ends it (empty rows have more)
        last[1:] = before[1:] != before[:-1]
        last &= before > 0
        ends[before[last] - 1] = row_ends[last]
        return ends

    def _remember_first_row(self, xml: bytes, lo: int, a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        """The first row with a value in any column (the header, where the reader's rows start)."""
        valued = np.flatnonzero(~((a[ends - 1] == 62) & (a[ends - 2] == 47)))  # not <c …/>
        if len(valued):
            self.first_row = _row_of(xml, lo, lo + int(starts[valued[0]]))

    def _remember_last_row(self, xml: bytes, lo: int, a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        """The last row with a value in any column (cells of columns left out too), looked for from the end."""
        hi, step = len(starts), 64
        while hi > 0:
            first = max(hi - step, 0)
            e = ends[first:hi]
            valued = np.flatnonzero(~((a[e - 1] == 62) & (a[e - 2] == 47)))  # not <c …/>
            if len(valued):
                self.last_row = max(self.last_row, _row_of(xml, lo, lo + int(starts[first + valued[-1]])))
                return
            hi, step = first, step * 4

    def _cut(self, a: np.ndarray, starts: np.ndarray, ends: np.ndarray, key: np.ndarray) -> Bytes:
        kept = self._kept[key]
        # dropped cells side by side become one cut
        d_start, d_end = starts[~kept], ends[~kept]
        joined = d_start[1:] == d_end[:-1]
        cut_start = [d_start[np.concatenate(([True], ~joined))] if len(d_start) else d_start]
        cut_end = [d_end[np.concatenate((~joined, [True]))] if len(d_end) else d_end]
        # kept cells: new letters in place, the spare old letters cut
        at = starts[kept] + 6
        k = key[kept]
        new_len, old_len = self._new_len[k], self._old_len[k]
        b = a.copy()
        b[at] = self._new[0, k]
        if self._long_names:
            for i in (1, 2):
                w = new_len > i
                b[at[w] + i] = self._new[i, k[w]]
        spare = new_len < old_len
        cut_start.append(at[spare] + new_len[spare])
        cut_end.append(at[spare] + old_len[spare])
        c_start, c_end = np.concatenate(cut_start), np.concatenate(cut_end)
        order = np.argsort(c_start, kind="stable")  # two sorted runs: merged in one pass
        bounds = np.empty(2 * len(order) + 2, np.int64)
        bounds[0], bounds[-1] = 0, len(a)
        bounds[1:-1:2], bounds[2:-1:2] = c_start[order], c_end[order]
        runs = np.zeros(len(bounds) - 1, bool)
        runs[::2] = True  # kept, cut, kept, … , kept
        return b[np.repeat(runs, np.diff(bounds))]


def _row_of(xml: bytes, lo: int, at: int) -> int:
    """The number of the row that holds the cell at ``at`` (its ``<row`` lies between ``lo`` and ``at``)."""
    m = ROW_NUM.match(xml, xml.rfind(b"<row ", lo, at))
    if not m:
        raise NotSplit("a row without a row number")
    return int(m.group(1))


def filtered_chunks(chunks: Iterable[bytes], cells: CellFilter | None) -> Iterator[Bytes]:
    """Sheet XML with only the columns ``cells`` keeps (all of it when None), piece by piece.

    The head up to ``<sheetData>`` passes unchanged; the rows are filtered as
    whole rows arrive; what follows ``</sheetData>`` (merged cells, print
    settings …) is left out. The pieces are bytes or numpy arrays of bytes.
    """
    if cells is None:
        yield from chunks
        return
    carry = b""  # before <sheetData> is found: the head so far; then: what follows the last whole row
    started = False
    for chunk in chunks:
        if not started:
            chunk, carry = carry + chunk, b""
            start = chunk.find(b"<sheetData>")
            if start < 0:
                raise NotSplit("the sheet's XML uses prefixed names")
            start += len(b"<sheetData>")
            yield chunk[:start]
            chunk, started = chunk[start:], True
        last = chunk.rfind(b"</row>")
        if last < 0:  # no row ends here: the end of the sheet, or a row longer than a chunk
            carry += chunk
            stop = carry.find(b"</sheetData>")
            if stop >= 0:
                yield from cells.rows(b"", carry, stop)
                yield b"</sheetData></worksheet>"
                return
            continue
        end = last + len(b"</row>")
        stop = chunk.find(b"</sheetData>", end)  # only after every row
        yield from cells.rows(carry, chunk, end if stop < 0 else stop)
        if stop >= 0:
            yield b"</sheetData></worksheet>"
            return
        carry = chunk[end:]
    raise NotSplit("the sheet's XML ends early")


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
