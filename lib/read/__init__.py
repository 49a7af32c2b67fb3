"""Read: a user's bytes into sheets (:class:`lib.schema.Workbook`); the only stage that touches a file.

``read_workbook`` vets the file and parses it in a resource-limited child process
(:mod:`lib.read.child`), at most ``LTV_PARSE_SLOTS`` at a time. ``read_here`` reads the same way in
this process, for tests and trusted files only.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from lib import config
from lib.errors import DataError, UserFacing
from lib.read.vet import CELL_BYTES, ZipVetting, diagnose_zip, vet_file, wide_message

if TYPE_CHECKING:  # the parse child (lib.read.child) imports this package: nothing here may import numpy before it forks
    import pandas as pd

    from lib.schema import ColumnRules, FileKind, Workbook

PARSE_TIMEOUT_S = config.value("LTV_PARSE_TIMEOUT_S")


# A parse child's address space: what Python and the readers map before any cell is read,
# plus room proportional to the workbook's declared unpacked size (the reader holds about
# twice its XML); never more than LTV_PARSE_MEM_MB. A small file that would expand to
# gigabytes (a zip bomb, one long text referenced in every cell) dies at a few hundred MB.
PARSE_BASE_MB = 416  # a tiny workbook's parse needs about 340 MB of address space here


PARSE_MB_PER_XML_MB = 4
PARSE_MB_PER_SHEET = 0.1  # each worksheet costs the reader memory of its own (2,400 sheets of 1.8 MB XML: 450 MB)
PARSE_SPLIT_MB = 64  # a workbook big enough to have a sheet read in two halves (a fork, two readers) needs this more


class ParseSlots:
    """At most ``limit`` parse children at once in this process (a server's sessions share it); the others wait
    their turn, first come first served, so one person's huge or hostile upload cannot take every core."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._running = 0

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Hold a slot for the block; while every slot is taken, ``on_wait(n)`` hears how many files wait before this
        one (0: it is next), each time that changes."""
        ticket = object()
        told = -1
        with self._cond:
            self._queue.append(ticket)
        try:
            while True:
                with self._cond:
                    if self._queue[0] is ticket and self._running < self.limit:
                        self._queue.popleft()
                        self._running += 1
                        break
                    ahead = self._queue.index(ticket)  # files waiting before this one (0: it is next)
                if on_wait is not None and ahead != told:
                    on_wait(ahead)  # outside the lock: a slow message never holds the queue
                    told = ahead
                with self._cond:
                    self._cond.wait(timeout=0.25)
        except BaseException:
            with self._cond:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._cond.notify_all()
            raise
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


PARSE_SLOTS = ParseSlots(int(config.value("LTV_PARSE_SLOTS")))


class FailedParses:
    """The message each file that failed to parse failed with, by the sha256 of its bytes (and how it was read), for
    the ``limit`` most recent: the same bytes uploaded again get the same sentence at once, with no parse child.

    A hostile file costs a parse slot up to ``LTV_PARSE_TIMEOUT_S`` once per server, not once per upload. A parse
    stopped by the clock (``transient``) may have been slow only because the server was busy: it is remembered for
    :data:`TRANSIENT_S` seconds, long enough to stop the same file being sent again and again, short enough that
    its owner can try again later; every other failure (the bytes themselves) until it is pushed out.
    """

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, int(limit))
        self._clock = clock
        self._lock = threading.Lock()
        self._said: OrderedDict[tuple[str, ...], tuple[str, float]] = OrderedDict()

    def said(self, key: tuple[str, ...]) -> str | None:
        """The message ``key``'s parse failed with, or None."""
        with self._lock:
            found = self._said.get(key)
            if found is None:
                return None
            if self._clock() > found[1]:
                del self._said[key]
                return None
            self._said.move_to_end(key)
            return found[0]

    def remember(self, key: tuple[str, ...], message: str, transient: bool = False) -> None:
        with self._lock:
            self._said[key] = (message, self._clock() + TRANSIENT_S if transient else float("inf"))
            self._said.move_to_end(key)
            while len(self._said) > self.limit:
                self._said.popitem(last=False)


TOOK_TOO_LONG = "Reading the file took too long and was stopped. Is it unusually large or damaged?"
TRANSIENT_S = 600.0  # seconds a parse stopped by the clock is remembered
FAILED_PARSES = FailedParses(256)


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _parse_key(path: Path, rules: ColumnRules, memory_mb: int, every_column: bool) -> tuple[str, ...]:
    """What a parse's outcome depends on: the file's bytes, the rules, its limits and the ``LTV_*`` settings."""
    settings = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("LTV_"))
    return (file_digest(path), rules.address, f"{memory_mb} MB", f"{PARSE_TIMEOUT_S} s", "all" if every_column else "mapped",
            *settings)


def read_workbook(source: bytes | str | Path | BinaryIO, rules: ColumnRules, on_wait: Callable[[int], None] | None = None,
                  on_stage: Callable[[str, int], None] | None = None, every_column: bool = False) -> Workbook:
    """Vet and parse a file into raw sheets, in a child process with limits.

    ``rules`` answers what the reader asks about column names (which row is the header, which columns
    a mapping may use, which a big sheet's proposed mapping uses): :data:`lib.mapping.RULES`.

    The kind (xlsx/xlsm, xls, csv, parquet) comes from the first bytes, never
    the name. A crash, hang or memory blow-up of the parser becomes a
    :class:`DataError`; the calling process is never at risk. At most
    ``LTV_PARSE_SLOTS`` children run at once (:data:`PARSE_SLOTS`); ``on_wait``
    hears how many uploads are ahead while this one waits. ``on_stage`` hears
    ("checked", bytes of the file), ("reading", bytes a workbook unpacks to, 0 for
    other kinds), ("columns", how many columns the mapping proposed from a big
    sheet's first rows reads, while the rest of it is read) and ("read", rows of
    all sheets), for a progress display.

    A file whose parse failed is remembered by its digest (:data:`FAILED_PARSES`): the same bytes read the same
    way again raise the same :class:`DataError` at once, with no parse child.

    The workbook's ``notes``: what vetting noticed (macros), a CSV's encoding and separator, the NUL characters
    removed from a CSV, and, when the largest sheet of a big workbook could not be read in two halves after all,
    "Read the ordinary way: <why>."
    """
    stage = on_stage or (lambda name, n: None)
    with tempfile.TemporaryDirectory(prefix="ltv-parse-") as tmp:
        path, kind, vet = _vetted(source, Path(tmp))
        _refuse_too_wide(kind, vet)
        stage("checked", path.stat().st_size)
        memory_mb = parse_memory_mb(kind, vet)
        key = _parse_key(path, rules, memory_mb, every_column)
        if (said := FAILED_PARSES.said(key)) is not None:
            raise DataError(said)
        out = Path(tmp) / "out"
        out.mkdir()
        with PARSE_SLOTS.slot(on_wait):
            stage("reading", vet.uncompressed_bytes)
            try:
                with _content_said(path, kind):
                    meta = _run_worker(path, kind, out, rules, memory_mb, every_column, stage)
            except DataError as exc:
                FAILED_PARSES.remember(key, str(exc), transient=str(exc) == TOOK_TOO_LONG)
                raise
        frames = _child_frames(out, meta["sheets"])
    wb = _workbook(kind, meta["sheets"], frames, vet)
    stage("read", sum(len(f) for f in frames))
    return wb


def read_here(source: bytes | str | Path | BinaryIO, rules: ColumnRules, every_column: bool = False) -> Workbook:
    """Vet and parse a file as :func:`read_workbook` does, but in this process: the same :class:`Workbook`.

    For tests and files this program wrote itself; it saves the parse child's start (about 1.3 s,
    mostly importing pandas there). The app never calls it for an upload: a hostile file (a zip
    bomb, a cell that expands to gigabytes, a reader that crashes or loops) would then hit the web
    process, with no memory, CPU or time limit. A workbook's largest sheet of ``LTV_CHOOSE_MIN_BYTES``
    or more is read whole here, neither in two halves nor cut to its proposed mapping's columns, so with
    ``every_column=False`` its columns are the ones any mapping may use rather than its proposed mapping's; ``LTV_*`` settings are the ones
    this process read when it imported :mod:`lib.read`. Raises :class:`DataError` as
    :func:`read_workbook` does.
    """
    from lib.read.child import read_sheets

    with tempfile.TemporaryDirectory(prefix="ltv-parse-") as tmp:
        path, kind, vet = _vetted(source, Path(tmp))
        with _content_said(path, kind):
            try:
                sheets = read_sheets(str(path), kind, rules, not every_column)
            except UserFacing as exc:
                raise DataError(str(exc)) from None
    frames = [s.pop("table").to_pandas() for s in sheets]
    return _workbook(kind, sheets, frames, vet)


def _vetted(source: bytes | str | Path | BinaryIO, tmp: Path) -> tuple[Path, FileKind, ZipVetting]:
    """The file as a path (bytes and streams written into ``tmp``), its kind and its vetting."""
    path = tmp / "upload.bin"
    if isinstance(source, bytes):
        path.write_bytes(source)
    elif isinstance(source, (str, Path)):
        src = Path(source)
        if not src.is_file():
            raise DataError(f"File not found: {src}")
        path = src
    else:
        source.seek(0)
        path.write_bytes(source.read())
    with open(path, "rb") as fh:
        kind, vet = vet_file(fh)
    return path, kind, vet


@contextmanager
def _content_said(path: Path, kind: FileKind) -> Iterator[None]:
    """A workbook that fails to parse: say what in its content made it fail, when the content says so."""
    try:
        yield
    except DataError:
        if kind == "xlsx":
            with open(path, "rb") as fh:
                why = diagnose_zip(fh)
            if why:
                raise DataError(why) from None
        raise


def _child_frames(out: Path, sheets: list[dict]) -> list[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.ipc as ipc

    frames = []
    for s in sheets:
        with pa.memory_map(str(out / s["file"])) as arrow:  # zero-copy read of the child's Arrow file
            frames.append(ipc.open_file(arrow).read_all().to_pandas())
    return frames


def _workbook(kind: FileKind, sheets: list[dict], frames: list[pd.DataFrame], vet: ZipVetting) -> Workbook:
    """The :class:`Workbook` of the reader's sheet entries (:func:`lib.read.child.read_sheets`) and their frames."""
    from lib.schema import RawSheet, Workbook

    raw = [RawSheet(s["name"], frame, s.get("header_row", 0), s.get("unread", [])) for s, frame in zip(sheets, frames)]
    notes = list(vet.notes)
    notes += [f"Read the ordinary way: {s['not_split']}." for s in sheets if s.get("not_split")]
    if sheets and sheets[0].get("encoding"):
        notes.append(f"Text encoding: {sheets[0]['encoding']}; separator: {sheets[0]['separator']!r}.")
    if sheets and sheets[0].get("nul_removed"):
        lines = ", ".join(f"{n:,}" for n in sheets[0]["nul_lines"])
        notes.append(f"NUL characters (invisible, never part of text) removed from the file: {sheets[0]['nul_removed']:,}, "
                     f"first on line {lines}.")
    if not raw or all(len(s.frame) == 0 for s in raw):
        raise DataError("The file has no data: every sheet is empty.")
    return Workbook(kind, [s for s in raw if len(s.frame.columns)], notes)


def parse_memory_mb(kind: FileKind, vet: ZipVetting) -> int:
    """Memory cap (MB of address space) of the child that parses a vetted file.

    A workbook gets ``PARSE_BASE_MB``, ``PARSE_MB_PER_SHEET`` per worksheet, plus ``PARSE_MB_PER_XML_MB`` per MB its
    parts declare or, when that is more, what its widest sheet's used range takes (:data:`lib.read.vet.CELL_BYTES` a cell, empty or not: one
    value in column XFD makes every row 16,384 cells), and ``PARSE_SPLIT_MB`` when a sheet may be read in two
    halves (a 3 MB workbook read so with the limits forced down ran out at 428 MB), at most ``LTV_PARSE_MEM_MB``;
    the declared sizes are checked against the real ones as far as :data:`lib.read.vet.PROBE_BYTES`, and a part
    that lies beyond that runs out of this budget. Other kinds get the setting.
    """
    configured = int(config.value("LTV_PARSE_MEM_MB"))
    if kind != "xlsx":
        return configured
    split = PARSE_SPLIT_MB if vet.uncompressed_bytes >= int(config.value("LTV_SPLIT_MIN_BYTES")) else 0
    by_xml = PARSE_MB_PER_XML_MB * (vet.uncompressed_bytes // 1024**2 + 1)
    per_sheet = int(PARSE_MB_PER_SHEET * vet.sheets)
    return min(configured, PARSE_BASE_MB + split + per_sheet + max(by_xml, _range_mb(vet)))


def _range_mb(vet: ZipVetting) -> int:
    """MB the reader takes for the cells of the widest sheet's used range, empty ones too (a value in column XFD
    makes every row 16,384 cells wide), when that range is mostly empty (0 otherwise: the sheet's XML then says
    more of what the reader takes)."""
    wide = vet.widest
    return 0 if wide is None or not wide.sparse else wide.cells * CELL_BYTES // 1024**2 + 1


def _refuse_too_wide(kind: FileKind, vet: ZipVetting) -> None:
    """A workbook whose widest sheet's used range, mostly empty, needs more memory than a parse may have: say which
    cell makes it so."""
    configured = int(config.value("LTV_PARSE_MEM_MB"))
    wide = vet.widest
    if kind != "xlsx" or wide is None or PARSE_BASE_MB + _range_mb(vet) <= configured:
        return
    raise DataError(wide_message(wide))


def _child_env(memory_mb: int | None) -> dict[str, str]:
    """The parse child's environment: this one's, without Streamlit's settings, with its memory cap."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT")}
    if memory_mb is not None:
        env["LTV_PARSE_MEM_MB"] = str(memory_mb)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's BLAS threads reserve address space the parse never uses
    # pyarrow's allocator (mimalloc) reserves 1 GiB of address space at its first allocation when the cap leaves
    # room for it: with a cap of 1.33-1.5 GB (a 200,000-row report of 41 columns) the reader then had none left
    env.setdefault("MIMALLOC_ARENA_RESERVE", "64M")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run_worker(path: Path, kind: FileKind, out: Path, rules: ColumnRules, memory_mb: int | None = None,
                every_column: bool = True, stage: Callable[[str, int], None] | None = None) -> dict:
    """Run the parse child on ``path`` and return its meta; ``stage`` hears ("columns", n) when the child writes
    ``progress.json`` (a big sheet read for its mapping's n columns)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lib.read.child", str(path), kind, str(out), "all" if every_column else "mapped",
         rules.address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_env(memory_mb), stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + PARSE_TIMEOUT_S
    progress = out / "progress.json"
    told = False
    finished = False
    while not finished:
        try:
            proc.communicate(timeout=0.25)  # drains its output so it never blocks on a full pipe
            finished = True
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                raise DataError(TOOK_TOO_LONG) from None
        if stage is not None and not told and progress.exists():  # written at once (a rename): whole or absent
            told = True
            stage("columns", int(json.loads(progress.read_text(encoding="utf-8"))["columns"]))
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    if meta.get("error") and meta["error"] != "memory":
        raise DataError(meta["error"])
    if proc.returncode != 0 or "sheets" not in meta:
        raise DataError(
            "The file could not be read: it is damaged, or far larger inside than a normal spreadsheet "
            "(the reader ran out of memory or time). Save it again in Excel and upload the new copy."
        )
    return meta
