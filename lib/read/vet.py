"""Decide a file's type from its first bytes and vet workbooks before parsing.

Nothing here parses cell data: it reads the zip index and the first few
kilobytes of XML parts, which is cheap and cannot blow up, so that hostile
files (zip bombs, entity bombs, encrypted containers, lying headers) are
refused with a sentence for a person before any native reader sees them.
"""
from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from lib.errors import DataError
from lib.read.zipio import BadPart, BombPart, DamagedPart, OversizedPart, RawPart, UnsupportedPart
from lib.schema import EXCEL_MAX_COLS, EXCEL_MAX_ROWS, FileKind

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"

# Limits for the zip container of a workbook (bytes unless said otherwise).
MAX_UNCOMPRESSED_TOTAL = 2 * 1024**3
MAX_PART_RATIO = 250.0  # uncompressed / compressed, for parts above RATIO_FLOOR
RATIO_FLOOR = 4 * 1024**2
MAX_PARTS = 5_000
MAX_SHEET_CELLS = 120_000_000  # used range rows x columns; far beyond any real export
PROBE_BYTES = 4 * 1024**2  # each XML part is really inflated this far before the parse (a few ms)
MAX_REFERENCED_CHARS = 400_000_000  # characters that shared-string references may expand to
LONG_TEXT = 4096  # a shared string this long (bytes of its XML) is counted where referenced
_PEEK = 4096
CELL_BYTES = 32  # memory the reader takes for each cell of a sheet's used range, filled or empty (measured: 24-30)
WIDE_BYTES = 512 * 1024**2  # a failed parse of a sparse sheet whose used range takes more is explained by it
SPARSE_RATIO = 10  # a used range of more cells than this for each filled one is mostly empty
# more NUL bytes than both in a file's first 8 KB make it binary (UTF-16 text without a BOM is half NULs)
MAX_NUL_SHARE = 0.01
MAX_NUL_BYTES = 16

_LYING = ("The workbook's parts unpack to more than the workbook's own index says (a 'zip bomb' trick); "
          "it was not opened. Open it in Excel, save it again and upload the new copy.")
_AMPLIFIED = ("The workbook repeats a long text in a great many cells: it would unpack to hundreds of millions of "
              "characters. It was not opened; export the data again from the shop system.")
_BOMB = "The workbook unpacks to far more data than its size suggests (a 'zip bomb'); it was not opened."
_DAMAGED_PART = ("The file is damaged: a part of the workbook cannot be read. "
                 "Save it again in Excel and upload the new copy.")
_UNSUPPORTED = "The workbook uses a compression method Excel does not write. Save it again in Excel and retry."
# what vetting says of a part that does not unpack as the zip's index describes it
_REFUSALS: dict[type[BadPart], str] = {DamagedPart: _DAMAGED_PART, UnsupportedPart: _UNSUPPORTED,
                                       OversizedPart: _LYING, BombPart: _BOMB}


@dataclass
class ZipVetting:
    """What the zip inspection learned, for the quality report."""

    has_macros: bool = False
    uncompressed_bytes: int = 0  # as the zip's index declares them (checked against the real size up to PROBE_BYTES)
    notes: list[str] = field(default_factory=list)
    widest: SheetExtent | None = None  # the sheet whose used range (rows x columns) has the most empty cells
    sheets: int = 0  # worksheet parts (the reader's memory grows with them: 2,400 small sheets need 450 MB)


@dataclass(frozen=True)
class SheetExtent:
    """A sheet's used range as far as vetting saw it: its rightmost cell's reference, its columns (A = 1) and its
    rows (the last row number, estimated from the share of the sheet read when it was not read to its end).
    The reader holds every cell of that range in memory, empty or not (:data:`CELL_BYTES` each)."""

    cell: str
    columns: int
    rows: int
    filled: int  # cells the sheet's XML has (estimated as ``rows`` are)

    @property
    def cells(self) -> int:
        return self.columns * self.rows

    @property
    def empty(self) -> int:
        return max(self.cells - self.filled, 0)

    @property
    def sparse(self) -> bool:
        """Whether the range is mostly empty cells (more than ``SPARSE_RATIO`` for each filled one): then it, not the
        sheet's XML, is what the reader's memory follows."""
        return self.cells > SPARSE_RATIO * max(self.filled, 1)


def sniff_kind(head: bytes) -> FileKind:
    """Return the file kind from its first bytes (at least 8 KB are best).

    The name of the file is never consulted: a CSV renamed to .xlsx is read
    as CSV, and a PNG renamed to .csv is refused.
    """
    if not head or not head.strip(b"\x00 \t\r\n\xef\xbb\xbf"):
        raise DataError("The file is empty.")
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        return "xls"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if _looks_binary(head):
        raise DataError(
            "This file is not a spreadsheet. Upload an Excel workbook (.xlsx, .xlsm, .xls), "
            "a CSV file or a Parquet file."
        )
    return "csv"


def _looks_binary(head: bytes) -> bool:
    sample = head[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text is still text
        return False
    known = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")
    if sample.startswith(known):
        return True
    # a stray NUL in a text export is read as nothing (lib.read.csv.without_nul); binary data has many
    nul = sample.count(b"\x00")
    if nul > max(MAX_NUL_BYTES, len(sample) * MAX_NUL_SHARE):
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32) - nul
    return control > len(sample) * 0.02


# the BOF record that opens a legacy workbook's globals (BIFF8: 16 bytes, BIFF5: 8; the type "workbook" = 5)
_GLOBALS_BOF = re.compile(rb"\x09\x08(?:\x10|\x08)\x00..\x05\x00", re.S)
_FILEPASS = 0x002F  # the record that says the rest of a legacy workbook is encrypted


def _biff_encrypted(blob: bytes) -> bool:
    """Whether a legacy .xls workbook is encrypted: a FILEPASS record right after its globals' BOF record
    (at most a write-protection or template record between them)."""
    for m in _GLOBALS_BOF.finditer(blob):
        pos = m.start() + 4 + blob[m.start() + 2]
        for _ in range(3):
            if pos + 4 > len(blob):
                break
            kind, size = struct.unpack_from("<HH", blob, pos)
            if kind == _FILEPASS:
                return True
            pos += 4 + size
    return False


def vet_ole(data_head: bytes, whole: BinaryIO) -> None:
    """Refuse an OLE2 container that is an encrypted workbook: OOXML in an encryption wrapper, or a legacy
    .xls with a password (the reader's errors carry no type for it)."""
    whole.seek(0)
    blob = whole.read(4 * 1024**2)
    if ("EncryptedPackage".encode("utf-16-le") in blob or "EncryptionInfo".encode("utf-16-le") in blob
            or _biff_encrypted(blob)):
        raise DataError(
            "This workbook is protected with a password. Open it in Excel, remove the password "
            "(File > Info > Protect Workbook), save, and upload again."
        )


_DIM_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
_SST_RE = re.compile(rb'uniqueCount="(\d+)"')
_SST_COUNT_RE = re.compile(rb'\bcount="(\d+)"')


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def vet_zip(fh: BinaryIO) -> ZipVetting:
    """Inspect a zip-based workbook without unpacking its data.

    Refuses: damaged zips, password-protected (zip-encrypted) parts, duplicate
    part names, too many parts, a total unpacked size above
    ``MAX_UNCOMPRESSED_TOTAL``, parts compressed more than ``MAX_PART_RATIO``
    times (zip bombs), XML with a DOCTYPE or ENTITY declaration (entity
    bombs), a shared-string table that declares more strings than its size can
    hold, and sheets whose declared range is beyond Excel's limits or absurdly
    sparse. Macro parts are noted (never run).
    """
    try:
        zf = zipfile.ZipFile(fh)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DataError("The file is damaged: it looks like a workbook but cannot be opened. "
                        "Open it in Excel, save it again and upload the new copy.") from exc
    vet = ZipVetting()
    if len(infos) > MAX_PARTS:
        raise DataError("The workbook has too many internal parts to be a normal spreadsheet.")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise DataError("The workbook is damaged (it contains duplicate parts). Save it again in Excel and retry.")
    lower = {n.lower() for n in names}
    if "[content_types].xml" not in lower or not any(n.startswith("xl/workbook") for n in lower):
        raise DataError("This zip file is not an Excel workbook. Upload .xlsx, .xlsm, .xls, .csv or .parquet.")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise DataError("This workbook is protected with a password. Remove the password in Excel and upload again.")
        total += info.file_size
        # deflate never grows data by more than a few bytes per 16 KB block: a part that is
        # bigger packed than its declared unpacked size has a false size in the index
        if info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size > info.file_size * 1.01 + 1024:
            raise DataError(_LYING)
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_PART_RATIO * max(info.compress_size, 1):
            raise DataError(_BOMB)
    if total > MAX_UNCOMPRESSED_TOTAL:
        raise DataError(
            f"The workbook unpacks to {total / 1024**3:.1f} GB, more than the "
            f"{MAX_UNCOMPRESSED_TOTAL / 1024**3:.0f} GB this app reads. Remove unused sheets or columns and retry."
        )
    vet.uncompressed_bytes = total
    vet.sheets = sum(1 for n in lower if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    if any(n.endswith("vbaproject.bin") for n in lower):
        vet.has_macros = True
        vet.notes.append("The workbook contains macros; they were ignored and never run.")
    for info in infos:
        name = info.filename.lower()
        if not (name.endswith(".xml") or name.endswith(".rels")):
            continue
        sheet = name.startswith("xl/worksheets/")
        head, extent = _probe(fh, zf, info, sheet)
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            raise DataError("The workbook contains XML declarations that spreadsheets never use; it was not opened.")
        if name.endswith("sharedstrings.xml"):
            m = _SST_RE.search(head) or _SST_COUNT_RE.search(head)
            if m and int(m.group(1)) > info.file_size // 7 + 1000:
                raise DataError("The workbook is damaged: its text table declares more entries than it holds.")
        if sheet:
            _vet_dimension(head)
            if extent is not None and (vet.widest is None or extent.empty > vet.widest.empty):
                vet.widest = extent
    return vet


def _inflate(fh: BinaryIO, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's real unpacked bytes in pieces of at most 1 MB, whatever its index declares (:class:`RawPart`).

    A part that comes out bigger than declared, or more than 1 MB of it from packed bytes ``MAX_PART_RATIO``
    times smaller, or that is damaged, is refused with a sentence for people. Memory stays at one piece.
    """
    try:
        part = RawPart(zf, fh, info.filename, piece=1 << 20, max_ratio=MAX_PART_RATIO)
        while piece := part.read():
            yield piece
    except BadPart as exc:
        raise DataError(_REFUSALS[type(exc)]) from exc


def _probe(fh: BinaryIO, zf: zipfile.ZipFile, info: zipfile.ZipInfo,
           sheet: bool = False) -> tuple[bytes, SheetExtent | None]:
    """Really inflate the first ``PROBE_BYTES`` of a part (checking its size and ratio); returns its first bytes and,
    for a ``sheet``, its used range as far as the cells seen and its dimension say (None: no cell seen)."""
    head = b""
    seen = 0
    pieces = _inflate(fh, zf, info)
    extent = _Extent()
    ended = False
    while seen < PROBE_BYTES:
        piece = next(pieces, b"")
        if not piece:
            ended = True
            break
        if len(head) < _PEEK:
            head += piece[: _PEEK - len(head)]
        seen += len(piece)
        if sheet:
            extent.add(piece)
    if not sheet:
        return head, None
    return head, extent.of_sheet(head, 1.0 if ended else info.file_size / max(seen, 1))


# cells right of column Z, as Excel writes them (r first, no prefix); a sheet up to Z is never wide enough to matter
_CELL_REFS = [re.compile(rb'<c r="([A-Z]{%d})(\d+)"' % n) for n in (3, 2)]
_ROW_REF = re.compile(rb'<(?:\w+:)?row\s+r="(\d+)"')


def wide_message(wide: SheetExtent) -> str:
    """What people read of a sheet whose used range the reader cannot hold: the cell that makes it so wide."""
    return (f"A sheet has a value in cell {wide.cell}, which makes it {wide.columns:,} columns wide over about "
            f"{wide.rows:,} rows: the reader would hold all {wide.cells:,} cells, nearly all empty, in memory, more "
            "than this app gives one file. Delete the columns to the right of the data, save, and upload again.")


class _Extent:
    """The rightmost cell and the last row among a sheet's XML pieces."""

    def __init__(self) -> None:
        self.columns = 0
        self.cell = ""
        self.last_row = 0
        self.filled = 0

    def add(self, piece: bytes) -> None:
        self.filled += piece.count(b"<c ")
        for ref in _CELL_REFS:  # the longest column letters first: any of them lies right of every shorter one
            found = ref.findall(piece)
            if found:
                letters, row = max(found)
                if _col_number(letters) > self.columns:
                    self.columns, self.cell = _col_number(letters), (letters + row).decode()
                break
        rows = _ROW_REF.findall(piece[-4096:]) or _ROW_REF.findall(piece)
        if rows:
            self.last_row = max(self.last_row, int(rows[-1]))

    def of_sheet(self, head: bytes, scale: float) -> SheetExtent | None:
        m = _DIM_RE.search(head)
        rows = int(self.last_row * scale)
        if m and m.group(3) and m.group(4):  # the sheet's own dimension, when it says more
            rows = max(rows, int(m.group(4)))
            if _col_number(m.group(3)) > self.columns:
                self.columns, self.cell = _col_number(m.group(3)), (m.group(3) + m.group(4)).decode()
        return SheetExtent(self.cell, self.columns, rows, int(self.filled * scale)) if self.columns else None


def diagnose_zip(fh: BinaryIO) -> str | None:
    """Why a vetted workbook's parse ran out of memory, in a sentence, if its content says so.

    Called only after a parse failed (it reads every part, which the normal
    path never does): a part that inflates beyond its declared size or ratio,
    shared strings whose references expand to more than
    ``MAX_REFERENCED_CHARS`` characters (one long text repeated in many cells), or a
    sheet whose used range takes more than ``WIDE_BYTES`` (a value far right of the
    data, beyond the part vetting reads).
    """
    try:
        zf = zipfile.ZipFile(fh)
        infos = zf.infolist()
        lengths: list[int] = []
        for info in infos:
            if info.filename.lower().endswith("sharedstrings.xml"):
                lengths = _string_lengths(b"".join(_inflate(fh, zf, info)))
        long_ids = {i: n for i, n in enumerate(lengths) if n >= LONG_TEXT}
        referenced = 0
        for info in infos:
            name = info.filename.lower()
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            tail = b""
            extent = _Extent()
            for piece in _inflate(fh, zf, info):
                extent.add(piece)
                text = tail + piece
                cut = text.rfind(b"</c>") + 4 if b"</c>" in text else 0
                for m in _SHARED_REF.finditer(text, 0, cut):
                    n = long_ids.get(int(m.group(1)))
                    if n:
                        referenced += n
                tail = text[cut:][-65536:]
                if referenced > MAX_REFERENCED_CHARS:
                    return _AMPLIFIED
            wide = extent.of_sheet(b"", 1.0)
            if wide is not None and wide.sparse and wide.cells * CELL_BYTES > WIDE_BYTES:
                return wide_message(wide)
    except DataError as exc:
        return str(exc)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    return None


_SHARED_REF = re.compile(rb'<c\b[^>]*\bt="s"[^>]*>\s*<v>(\d+)</v>')
_SI = re.compile(rb"<(?:\w+:)?si\b")


def _string_lengths(sst: bytes) -> list[int]:
    """Bytes of XML each shared string takes (its text and any formatting runs), in table order."""
    starts = [m.start() for m in _SI.finditer(sst)]
    return [b - a for a, b in zip(starts, starts[1:] + [len(sst)])]


def _vet_dimension(head: bytes) -> None:
    m = _DIM_RE.search(head)
    if not m or not m.group(3):
        return
    c1 = _col_number(m.group(1) or b"A")
    r1 = int(m.group(2) or 1)
    c2 = _col_number(m.group(3))
    r2 = int(m.group(4))
    if r2 > EXCEL_MAX_ROWS or c2 > EXCEL_MAX_COLS:
        raise DataError("A sheet goes beyond Excel's limits (1,048,576 rows, 16,384 columns); it was not opened.")
    cells = (r2 - r1 + 1) * (c2 - c1 + 1)
    if cells > MAX_SHEET_CELLS:
        raise DataError(
            f"A sheet's used range reaches cell {m.group(3).decode()}{r2}, which makes {cells:,} cells, "
            "mostly empty. Delete the empty rows and columns far from the data, save, and upload again."
        )


def vet_file(fh: BinaryIO) -> tuple[FileKind, ZipVetting]:
    """Sniff and vet an open binary file; returns its kind and zip notes."""
    fh.seek(0)
    head = fh.read(64 * 1024)
    kind = sniff_kind(head)
    vet = ZipVetting()
    if kind == "xlsx":
        fh.seek(0)
        vet = vet_zip(fh)
    elif kind == "xls":
        vet_ole(head, fh)
    fh.seek(0)
    return kind, vet
