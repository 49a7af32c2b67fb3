"""A big sheet read for only the columns its mapping uses: the look at its first rows, and the read in one pass.

Used only inside the parse child (:mod:`lib.read.child`), after :mod:`lib.read.split` has set numpy's thread
counts. :func:`peek` proposes the mapping from a workbook of the sheet's first rows; :class:`FilteredRead`
reads a sheet of at least ``LTV_CHOOSE_MIN_BYTES`` but under ``LTV_SPLIT_MIN_BYTES`` in this process, with
no second one: it inflates the sheet once, cuts every other column's cells out of its XML
(:class:`lib.read.split.cells.CellFilter`) into a workbook of its own (stored, with the original styles and
shared strings), and parses that. On a 200,000-row Taobao report of 41 columns (202 MB of XML) the cut
costs ≈ 0.45 s and calamine then parses 74 MB instead of 202 MB.
"""
from __future__ import annotations

import itertools
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lib.read.excel import sheet_batch
from lib.read.header import PEEK_ROWS
from lib.read.split.cells import CellFilter, IterStream, filtered_chunks
from lib.read.split.parts import head_rows, other_parts, peek_parts
from lib.read.zipio import NotSplit, RawPart, write_stored_zip

Choose = Callable[[str, str], "dict[str, Any] | None"]


def peek(stream: Any, others: list[tuple[str, list[bytes]]], part: str, sheet: str, work_dir: Path,
         choose: Choose) -> tuple[dict[str, Any] | None, Any]:
    """``choose`` run on a workbook of the sheet's first ``PEEK_ROWS`` rows, and the stream to read the sheet from.

    ``{"keep": [column positions, 0 = A], "names": [every header name], "every": bool}``, or None when
    the mapping leaves nothing out. Raises :class:`NotSplit` when the look itself fails.
    """
    chunks, head_xml = head_rows(stream, PEEK_ROWS + 1)
    stream = IterStream(itertools.chain(chunks, iter(stream.read, b"")), stream)  # the chunks read, then the rest
    path = work_dir / "peek.xlsx"
    write_stored_zip(path, peek_parts(others, part, head_xml))
    try:
        got = choose(str(path), sheet)
    except Exception as exc:  # noqa: BLE001 - the ordinary read says what is wrong with the sheet
        raise NotSplit("the look at the first rows failed") from exc
    path.unlink()
    if not isinstance(got, dict) or not got.get("keep"):
        return None, stream
    keep, names = got["keep"], got["names"]
    if not all(isinstance(i, int) and 0 <= i < len(names) for i in keep):
        return None, stream
    return {"keep": sorted(set(keep)), "names": [str(n) for n in names], "every": bool(got.get("every"))}, stream


def tell_columns(work_dir: Path, n: int) -> None:
    """Say that the sheet is read for ``n`` columns: the parent process shows it (lib.read._run_worker)."""
    (work_dir / "progress.tmp").write_text(json.dumps({"columns": n}))
    (work_dir / "progress.tmp").replace(work_dir / "progress.json")


def parse(path: Path, sheet_name: str, use_columns: Any = None, every_row: bool = False) -> tuple[Any, bool, list[str]]:
    """The sheet as an Arrow batch (first row as header, only ``use_columns`` when given), whether some cell did not
    fit its column's type, and the names of every column in the header. ``every_row``: the types are guessed
    from every row (no cell can then be out of its column's type)."""
    import fastexcel

    return sheet_batch(fastexcel.read_excel(str(path)), sheet_name, 0, use_columns, every_row)


def pad(table: Any, rows: int) -> Any:
    """``table`` with empty rows added up to ``rows``."""
    import pyarrow as pa

    if table.num_rows >= rows:
        return table
    schema = pa.schema([f.with_nullable(True) for f in table.schema])
    blank = pa.table({f.name: pa.nulls(rows - table.num_rows, f.type) for f in schema}, schema=schema)
    return pa.concat_tables([table.cast(schema), blank])


class FilteredRead:
    """A sheet too small to split but big enough to choose its columns, read in one pass in this process.

    Made by :meth:`lib.read.split.SplitRead.start`, which only looks at the zip's index; :meth:`finish`
    does the work when the reader reaches the sheet. Its attributes are those of a
    :class:`lib.read.split.SplitRead` the reader asks about.
    """

    in_parts = False  # one pass: the sheet is not cut in two

    def __init__(self, zf: zipfile.ZipFile, path: str, part: str, sheet: str, work_dir: Path, choose: Choose,
                 only_sheet: bool) -> None:
        self.sheet = sheet
        self.only_sheet = only_sheet  # the workbook has no other sheet
        self._zf = zf
        self._path = path
        self._part = part
        self._dir = work_dir
        self._choose = choose
        self.every = False  # known after finish: the first rows differ only in columns no rule maps
        self.header: list[str] | None = None  # every header name, when only some columns' cells are read
        self.all_columns: list[str] = []

    def finish(self) -> Any:
        """The sheet as one Arrow table of the chosen columns (first row as header), or None when its first rows
        leave no column out (read it the ordinary way: with every column when ``every`` is then set).

        Raises :class:`NotSplit` when the sheet's XML cannot be cut or the cut sheet reads otherwise than its
        first rows said; the ordinary read then says what is wrong, if anything.
        """
        try:
            return self._read()
        except NotSplit:
            raise
        except Exception as exc:  # noqa: BLE001 - the ordinary read then says what is wrong
            raise NotSplit("the sheet's XML is laid out unexpectedly") from exc
        finally:
            self._zf.close()

    def _read(self) -> Any:
        import pyarrow as pa

        others = other_parts(self._zf, self._part)
        stream: Any = RawPart(self._zf, self._path, self._part)
        cut = self._dir / "filtered.xlsx"
        try:
            chosen, stream = peek(stream, others, self._part, self.sheet, self._dir, self._choose)
            if chosen is None or chosen["every"]:
                self.every = chosen is not None
                return None
            tell_columns(self._dir, len(chosen["keep"]))
            cells = CellFilter(chosen["keep"])
            write_stored_zip(cut, others + [(self._part, filtered_chunks(iter(stream.read, b""), cells))])
        finally:
            stream.close()
        del stream, others  # the inflated XML and shared strings: not held while the cut sheet is parsed
        batch, mixed, names = parse(cut, self.sheet)
        if names != [chosen["names"][i] for i in chosen["keep"]]:  # the first rows' columns were not the sheet's
            raise NotSplit("the first rows have other columns than the rest of the sheet")
        if mixed:  # some cell is not of its column's type guessed from the first rows: guess from every row
            batch = parse(cut, self.sheet, every_row=True)[0]
        cut.unlink()
        table = pa.Table.from_batches([batch])
        rows = cells.last_row - cells.first_row  # the rows below the header, up to the last with a value anywhere
        if table.num_rows > rows:
            raise NotSplit("the sheet's rows are numbered unexpectedly")
        self.header = self.all_columns = chosen["names"]
        # rows with values only in the columns left out: the reader leaves them out at the end, where the whole
        # sheet has them (as rows to report, not to lose)
        return pad(table, rows)

    def abandon(self) -> None:
        """Close the workbook (the sheet is read another way)."""
        self._zf.close()
