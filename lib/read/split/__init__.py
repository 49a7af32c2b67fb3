"""Parse one large xlsx sheet on two cores, for only the columns its mapping uses.

Used only inside the parse child (:mod:`lib.read.child`). Reading a sheet is
single-threaded XML work in calamine, which parses every cell whatever
columns are asked for, so a big sheet is cut in two at a ``<row>`` boundary:

* part A: the sheet's head, the rows before the cut, closed with
  ``</sheetData></worksheet>``;
* part B: the same head, a copy of the sheet's first row renumbered to sit
  just above the cut (so it gives part B the same header and column range),
  then the rows after the cut.

This process inflates the sheet once: it writes part A, which a forked child
then parses, and goes on to write and parse part B. For a sheet of at least
``CHOOSE_MIN_BYTES`` it first reads a workbook of the sheet's first rows and
proposes the mapping (``choose``; no pandas); the cells of every other column
are then cut out of both parts' XML (:class:`CellFilter`: numpy over the bytes,
about a quarter of what calamine would spend on them). Each part is written as
a workbook of its own (stored, not compressed) with the original styles and
shared strings, so dates and shared text read exactly as before. The halves are accepted only when they agree (same column names,
types that unify without loss, no cell outside its column's type, part A
spanning every row up to the cut); otherwise the caller reads the sheet the
ordinary way. Anything unexpected (prefixed XML, rows without numbers, cells
without a reference, a gap in row numbers at the cut, a part that inflates
beyond its declared size) means "not split" rather than a guess.

A sheet too small to split (under ``SPLIT_MIN_BYTES``) but of at least ``CHOOSE_MIN_BYTES`` is read
for its mapping's columns in one pass, with no fork: :class:`lib.read.split.filtered.FilteredRead`.

On the 2-core reference machine a 1,000,000-row Taobao report of 41 columns
is parsed in about 13 s instead of 24 s, in 0.8 GB instead of two processes
of 1.55 GB (``bench/bench_wide.py``).
"""
from __future__ import annotations

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
from lib.read.split.cells import CellFilter, filtered_chunks  # noqa: E402 - numpy, after the thread settings
from lib.read.split.filtered import FilteredRead, pad, parse, peek, tell_columns  # noqa: E402
from lib.read.split.parts import SheetParts, other_parts, sheet_names_by_part  # noqa: E402
from lib.read.zipio import Declined, NotSplit, RawPart, write_stored_zip  # noqa: E402

# Split only sheets whose XML is big enough to repay the work; the parts are written to disk uncompressed.
SPLIT_MIN_BYTES = int(config.value("LTV_SPLIT_MIN_BYTES"))  # a bad setting: its default (lib.config reports it)
# the look at the first rows costs ≈ 0.12-0.15 s (no pandas, the reader this process needs anyway): on a 41-column
# report the cut repays it from about 32 MB of sheet XML (bench/bench_wide.py); below LTV_SPLIT_MIN_BYTES in one pass
CHOOSE_MIN_BYTES = int(config.value("LTV_CHOOSE_MIN_BYTES"))
SPLIT_MAX_BYTES = 2 * 1024**3  # the largest workbook vetting lets through (lib.read.vet.MAX_UNCOMPRESSED_TOTAL)
FIRST_PART = 0.6  # this process inflates and filters the whole sheet, the child only parses part A: A gets more


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (the parse is abandoned on a timeout)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _part_a(work_dir: Path, sheet: str, use_columns: Any, told: int) -> None:
    """Part A parsed in the forked child into ``split_a.arrow``, and ``split_a.json`` (``{"mixed": …}``), once
    this process has written ``split_a.xlsx`` and says so on the pipe ``told`` (:func:`_go`); never returns."""
    code = 1
    try:
        _die_with_parent()
        with os.fdopen(told, "rb") as pipe:
            message = pipe.read()
        if not message:
            return  # the parent gave up on the split
        every = json.loads(message)["every"]
        batch, mixed, _ = parse(work_dir / "split_a.xlsx", sheet, None if every else use_columns)
        (work_dir / "split_a.xlsx").unlink()
        import pyarrow.ipc as ipc

        with ipc.new_stream(str(work_dir / "split_a.arrow"), batch.schema) as writer:  # read back with no threads
            writer.write_batch(batch)
        (work_dir / "split_a.json").write_text(json.dumps({"mixed": mixed}))
        code = 0
    finally:
        os._exit(code)


def _go(pipe: int, every: bool) -> None:
    """Tell part A's child that ``split_a.xlsx`` is written, and whether every column is read (``every``)."""
    with os.fdopen(pipe, "wb") as out:
        out.write(json.dumps({"every": every}).encode())


def _single_threaded() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False




class SplitRead:
    """A sheet being read in two parts: part A already written and parsing in a forked child.

    :meth:`start` must run before this process imports a native reader (the
    fork then copies a single-threaded interpreter); :meth:`finish` parses
    part B here, waits for part A and joins them.
    """

    in_parts = True  # the sheet is cut in two (a :class:`FilteredRead` reads it in one pass)

    def __init__(self, sheet: str, pid: int, zf: zipfile.ZipFile, parts: SheetParts, others: list[tuple[str, list[bytes]]],
                 part: str, work_dir: Path, use_columns: Any, chosen: dict[str, Any] | None,
                 cells: CellFilter | None, every: bool, only_sheet: bool) -> None:
        self.sheet = sheet
        self._pid = pid
        self._zf = zf
        self._parts = parts  # part A read: part B to come
        self._others = others
        self._part = part
        self._dir = work_dir
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
              choose: Callable[[str, str], dict[str, Any] | None] | None = None) -> SplitRead | FilteredRead | Declined | None:
        """Fork the reader of part A of the largest sheet and write part A for it; None when no sheet is worth
        splitting, a :class:`Declined` when it is but cannot be split. A sheet under ``SPLIT_MIN_BYTES`` but of
        at least ``CHOOSE_MIN_BYTES``, with ``choose`` given, gets a :class:`FilteredRead` instead: read in one
        pass for the columns ``choose`` picks, when the reader reaches it (nothing is forked or read here).

        ``choose(peek_path, sheet)``, when given and the sheet's XML is at least ``CHOOSE_MIN_BYTES``, runs
        here, once the child is forked (it imports the native reader, which this process then needs for
        part B anyway), on a workbook of the sheet's first ``PEEK_ROWS`` rows, and returns
        ``{"keep": [column positions, 0 = A], "names": [every header name]}`` or None; both parts then hold
        only those columns' cells (:class:`CellFilter`). With ``"every": True`` it asks for every column
        instead (``every`` is then set, ``use_columns`` ignored). This process inflates the sheet once:
        it filters and writes part A, which the child then parses, and part B (:meth:`finish`).
        """
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):  # the ordinary read says what is wrong
            return None
        try:
            got = cls._start(zf, path, work_dir, use_columns, choose)
        except Exception:  # noqa: BLE001 - unexpected: read the ordinary way, which words errors
            got = None
        if not isinstance(got, (SplitRead, FilteredRead)):
            zf.close()
        return got

    @classmethod
    def _start(cls, zf: zipfile.ZipFile, path: str, work_dir: Path, use_columns: Any,
               choose: Callable[[str, str], dict[str, Any] | None] | None) -> SplitRead | FilteredRead | Declined | None:
        names = sheet_names_by_part(zf)
        sizes = {p: zf.getinfo(p).file_size for p in names if p in zf.NameToInfo}
        if not sizes:
            return None
        part = max(sizes, key=lambda p: sizes[p])
        split = SPLIT_MIN_BYTES <= sizes[part] <= SPLIT_MAX_BYTES
        if not split and (choose is None or not CHOOSE_MIN_BYTES <= sizes[part] <= SPLIT_MAX_BYTES):
            return None
        sheet = names[part]
        only_sheet = len(names) == 1 and len(re.findall(rb"<sheet\b", zf.read("xl/workbook.xml"))) == 1
        if not split and choose is not None:
            return FilteredRead(zf, path, part, sheet, work_dir, choose, only_sheet)
        if not _single_threaded():  # a fork would copy threads' locks held mid-way
            return Declined(sheet, "the reader had started threads before it could split the sheet")
        try:
            others = other_parts(zf, part)
            stream: Any = RawPart(zf, path, part)
        except NotSplit as exc:
            return Declined(sheet, str(exc))
        told, tell = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(told)
            os.close(tell)
            return Declined(sheet, "there was no room for a second process")
        if pid == 0:  # part A's reader in the child; never returns
            os.close(tell)
            _part_a(work_dir, sheet, use_columns, told)
        os.close(told)
        look = choose if sizes[part] >= CHOOSE_MIN_BYTES else None
        try:
            return cls._write_part_a(pid, tell, sheet, zf, stream, others, part, work_dir, int(sizes[part] * FIRST_PART),
                                     use_columns, look, only_sheet)
        except Exception as exc:  # noqa: BLE001 - NotSplit, or unexpected: read the ordinary way, which words errors
            try:
                os.close(tell)  # the child hears nothing and ends
            except OSError:  # already closed: telling it failed
                pass
            _kill(pid)
            os.waitpid(pid, 0)
            return Declined(sheet, str(exc) if isinstance(exc, NotSplit) else "the sheet's XML is laid out unexpectedly")

    @classmethod
    def _write_part_a(cls, pid: int, tell: int, sheet: str, zf: zipfile.ZipFile, stream: Any,
                      others: list[tuple[str, list[bytes]]], part: str, work_dir: Path, target: int, use_columns: Any,
                      choose: Callable[[str, str], dict[str, Any] | None] | None, only_sheet: bool) -> SplitRead:
        """The child forked: look at the first rows (``choose``, when given), write part A (about ``target``
        bytes of the sheet's XML) for the child, and tell it on the pipe ``tell``."""
        chosen = None
        if choose is not None:
            chosen, stream = peek(stream, others, part, sheet, work_dir, choose)
        every = chosen is not None and chosen["every"]
        if every:  # every column is to be read, with nothing filtered out
            chosen, use_columns = None, None
        if chosen is not None:
            tell_columns(work_dir, len(chosen["keep"]))
        parts = SheetParts(stream)
        cells = CellFilter(chosen["keep"]) if chosen is not None else None
        write_stored_zip(work_dir / "split_a.xlsx", others + [(part, filtered_chunks(parts.part_a(target), cells))])
        _go(tell, every)
        return cls(sheet, pid, zf, parts, others, part, work_dir, use_columns, chosen, cells, every, only_sheet)

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
            write_stored_zip(self._dir / "split_b.xlsx",
                             self._others + [(self._part, filtered_chunks(self._parts.part_b(), self._cells))])
            self._others = []
            batch_b, mixed_b, self.all_columns = parse(self._dir / "split_b.xlsx", self.sheet, self.use_columns)
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
        if json.loads(done.read_text())["mixed"] or mixed_b:
            return "mixed"
        with pa.memory_map(str(self._dir / "split_a.arrow")) as source:
            table_a = ipc.open_stream(source).read_all()  # the file format's reader starts I/O threads
        table_b = pa.Table.from_batches([batch_b])
        rows_a = self._parts.b_first_row - 1 - self._parts.first_row_number
        if self._cells is not None:
            # rows with no value in the columns read: the reader leaves them out at the end of a part, where
            # the whole sheet has them (as rows to report, not to lose)
            table_a = pad(table_a, rows_a)
            table_b = pad(table_b, self._cells.last_row - self._parts.b_first_row + 1)
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
