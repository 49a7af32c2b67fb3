"""Parse one large xlsx sheet on two cores, for only the columns its mapping uses.

Used only inside the parse child (:mod:`lib.read.child`). Reading a sheet is
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

import itertools
import json
import os
import re
import signal
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

# numpy must not start OpenBLAS threads in the parse child: it forks part A's parser after filtering with numpy
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from lib import config  # noqa: E402
from lib.read.header import PEEK_ROWS  # noqa: E402
from lib.read.split.cells import CellFilter, IterStream, filtered_chunks  # noqa: E402 - numpy, after the thread settings
from lib.read.split.parts import SheetParts, head_rows, other_parts, peek_parts, sheet_names_by_part  # noqa: E402
from lib.read.zipio import Declined, NotSplit, RawPart, write_stored_zip  # noqa: E402

# Split only sheets whose XML is big enough to repay the work; the parts are written to disk uncompressed.
SPLIT_MIN_BYTES = int(config.value("LTV_SPLIT_MIN_BYTES"))  # a bad setting: its default (lib.config reports it)
# the first rows' look costs ≈ 1.4 s (a child importing pandas): it pays from about 200,000 rows of 41 columns
CHOOSE_MIN_BYTES = int(config.value("LTV_CHOOSE_MIN_BYTES"))
SPLIT_MAX_BYTES = 2 * 1024**3  # the largest workbook vetting lets through (lib.read.vet.MAX_UNCOMPRESSED_TOTAL)
FIRST_PART = 0.55  # this process also inflates part A's rows (to find where B starts): A gets a little more than half


def _peek(stream: Any, others: list[tuple[str, list[bytes]]], part: str, sheet: str, work_dir: Path,
          choose: Callable[[str, str], dict[str, Any] | None]) -> tuple[dict[str, Any] | None, Any]:
    """``choose`` run in a forked child on the sheet's first rows, and the stream to read the sheet from."""
    chunks, head_xml = head_rows(stream, PEEK_ROWS + 1)
    stream = IterStream(itertools.chain(chunks, iter(stream.read, b"")), stream)  # the chunks read, then the rest
    peek = work_dir / "peek.xlsx"
    write_stored_zip(peek, peek_parts(others, part, head_xml))
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


def _part_a(zf: zipfile.ZipFile, path: str, part: str, sheet: str, work_dir: Path, target: int,
            cells: CellFilter | None, others: list[tuple[str, list[bytes]]], use_columns: Any) -> None:
    """Part A read in the forked child into ``split_a.arrow``, and ``split_a.json``: ``{"mixed": …}``, or
    ``{"not_split": why}``; never returns."""
    code = 1
    try:
        _die_with_parent()
        own = SheetParts(RawPart(zf, path, part))  # a file handle of its own: the parent reads on
        try:
            write_stored_zip(work_dir / "split_a.xlsx", others + [(part, filtered_chunks(own.part_a(target), cells))])
        except NotSplit as exc:
            (work_dir / "split_a.json").write_text(json.dumps({"not_split": str(exc)}))
            code = 0
            return
        batch, mixed, _ = _parse(work_dir / "split_a.xlsx", sheet, use_columns)
        (work_dir / "split_a.xlsx").unlink()
        import pyarrow.ipc as ipc

        with ipc.new_file(str(work_dir / "split_a.arrow"), batch.schema) as writer:
            writer.write_batch(batch)
        (work_dir / "split_a.json").write_text(json.dumps({"mixed": mixed}))
        code = 0
    finally:
        os._exit(code)


def _single_threaded() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False




class SplitRead:
    """A sheet being read in two parts: part A already parsing in a forked child.

    :meth:`start` must run before this process imports a native reader (the
    fork then copies a single-threaded interpreter); :meth:`finish` parses
    part B here, waits for part A and joins them.
    """

    def __init__(self, sheet: str, pid: int, zf: zipfile.ZipFile, parts: SheetParts, others: list[tuple[str, list[bytes]]],
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
              choose: Callable[[str, str], dict[str, Any] | None] | None = None) -> SplitRead | Declined | None:
        """Fork the reader of part A of the largest sheet; None when no sheet is worth splitting, a
        :class:`Declined` when it is but cannot be split.

        ``choose(peek_path, sheet)``, when given and the sheet's XML is at least ``CHOOSE_MIN_BYTES``, runs
        in a forked child on a workbook of the sheet's first
        ``PEEK_ROWS`` rows and returns ``{"keep": [column positions, 0 = A], "names": [every header name]}``
        or None; both parts then hold only those columns' cells (:class:`CellFilter`). With ``"every": True``
        it asks for every column instead (``every`` is then set, ``use_columns`` ignored). The child
        inflates the sheet on its own up to the cut, filters and parses part A; this process inflates the
        same rows without filtering them (:meth:`finish`), then filters and parses part B.
        """
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):  # the ordinary read says what is wrong
            return None
        try:
            got = cls._start(zf, path, work_dir, use_columns, choose)
        except Exception:  # noqa: BLE001 - unexpected: read the ordinary way, which words errors
            got = None
        if not isinstance(got, SplitRead):
            zf.close()
        return got

    @classmethod
    def _start(cls, zf: zipfile.ZipFile, path: str, work_dir: Path, use_columns: Any,
               choose: Callable[[str, str], dict[str, Any] | None] | None) -> SplitRead | Declined | None:
        names = sheet_names_by_part(zf)
        sizes = {p: zf.getinfo(p).file_size for p in names if p in zf.NameToInfo}
        if not sizes:
            return None
        part = max(sizes, key=lambda p: sizes[p])
        if not SPLIT_MIN_BYTES <= sizes[part] <= SPLIT_MAX_BYTES:
            return None
        sheet = names[part]
        if not _single_threaded():  # a fork would copy threads' locks held mid-way
            return Declined(sheet, "the reader had started threads before it could split the sheet")
        try:
            only_sheet = len(names) == 1 and len(re.findall(rb"<sheet\b", zf.read("xl/workbook.xml"))) == 1
            others = other_parts(zf, part)
            stream: Any = RawPart(zf, path, part)
            chosen = None
            if choose is not None and sizes[part] >= CHOOSE_MIN_BYTES:
                chosen, stream = _peek(stream, others, part, sheet, work_dir, choose)
            every = chosen is not None and chosen["every"]
            if every:  # every column is to be read, with nothing filtered out
                chosen, use_columns = None, None
            if chosen is not None:  # the parent process shows it while the sheet is read (lib.read._run_worker)
                (work_dir / "progress.tmp").write_text(json.dumps({"columns": len(chosen["keep"])}))
                (work_dir / "progress.tmp").replace(work_dir / "progress.json")
            parts = SheetParts(stream)
        except NotSplit as exc:
            return Declined(sheet, str(exc))
        target = int(sizes[part] * FIRST_PART)
        cells = CellFilter(chosen["keep"]) if chosen is not None else None  # each process gets its own copy
        try:
            pid = os.fork()
        except OSError:
            return Declined(sheet, "there was no room for a second process")
        if pid == 0:  # part A in the child; never returns
            _part_a(zf, path, part, sheet, work_dir, target, cells, others, use_columns)
        return cls(sheet, pid, zf, parts, others, part, work_dir, target, use_columns, chosen, cells, every, only_sheet)

    def finish(self) -> Any:
        """The whole sheet as one Arrow table (first row as header), or ``"mixed"``.

        ``"mixed"``: some cell does not fit its column's guessed type; read
        again with types guessed from every row. Raises :class:`NotSplit`
        when the halves disagree or part A failed.
        """
        import pyarrow as pa
        import pyarrow.compute  # noqa: F401 - joining the halves casts; mapped after part B, under the cap it may find no room
        import pyarrow.ipc as ipc

        failed = True
        try:
            for _ in self._parts.part_a(self._target):  # the child's rows: only to find where part B starts
                pass
            write_stored_zip(self._dir / "split_b.xlsx",
                             self._others + [(self._part, filtered_chunks(self._parts.part_b(), self._cells))])
            self._others = []
            batch_b, mixed_b, self.all_columns = _parse(self._dir / "split_b.xlsx", self.sheet, self.use_columns)
            (self._dir / "split_b.xlsx").unlink()
            if self.header is not None:
                if self.all_columns != self.kept:  # the first rows' columns were not the sheet's
                    raise NotSplit("the first rows have other columns than the rest of the sheet")
                self.all_columns = self.header
            failed = False
        except NotSplit:
            raise
        except Exception as exc:  # noqa: BLE001 - the ordinary read then says what is wrong
            raise NotSplit("the second half of the sheet could not be read on its own") from exc
        finally:
            if failed:
                _kill(self._pid)
            _, status = os.waitpid(self._pid, 0)
            self._zf.close()
        done = self._dir / "split_a.json"
        if status != 0 or not done.exists():
            raise NotSplit("the first half of the sheet could not be read on its own")
        result_a = json.loads(done.read_text())
        if "not_split" in result_a:
            raise NotSplit(result_a["not_split"])
        if result_a["mixed"] or mixed_b:
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
            raise NotSplit("blank rows end the first half of the sheet")
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


def _unify(a: Any, b: Any) -> Any:
    """Concatenate the halves when they describe the same columns; types widen only without loss."""
    import pyarrow as pa

    if a.schema.names != b.schema.names or all(n.startswith("__UNNAMED__") for n in a.schema.names):
        raise NotSplit("the two halves of the sheet have different columns")
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
            raise NotSplit(f"column '{fa.name}' holds other kinds of values in the second half of the sheet")
    schema = pa.schema([f.with_nullable(True) for f in fields])  # a padded half has nulls anywhere
    return pa.concat_tables([a.cast(schema), b.cast(schema)])
