"""Zip members read and written by hand: a member inflated straight from its local header (for vetting and the
split), stored zips."""
from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

try:  # ISA-L inflates ≈ 5x faster than zlib here (a 1.07 GB sheet: 0.75 s instead of 4.5 s), the same bytes
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - isal is in requirements.txt; zlib is only slower
    _zlib = zlib  # type: ignore[misc]
_BAD_DEFLATE: type[Exception] = _zlib.error  # type: ignore[assignment]  # isal's stub names an instance


_CHUNK = 1024**2  # packed bytes read at a time (about 10 MB of XML)
_PIECE = 64 * 1024**2  # most bytes one read of a member gives


class NotSplit(Exception):
    """The sheet is not suitable for splitting; read it the ordinary way.

    ``str(exc)`` says why in a few words for people: the quality report notes "Read the ordinary way: <why>."
    """


@dataclass(frozen=True)
class Declined:
    """The largest sheet, big enough to split, is read the ordinary way; ``reason`` says why (:class:`NotSplit`)."""

    sheet: str
    reason: str


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


class BadPart(NotSplit):
    """A zip member that does not unpack as the zip's index describes it: vetting refuses the file with a
    sentence per subclass (:mod:`lib.read.vet`); the split reads the sheet the ordinary way."""


class DamagedPart(BadPart):
    """No local header where the index points, packed bytes cut short, or deflate data that does not inflate."""


class UnsupportedPart(BadPart):
    """A compression method Excel never writes, or a zip-encrypted member."""


class OversizedPart(BadPart):
    """More comes out than the index declares (a 'zip bomb' trick, or a damaged index)."""


class BombPart(BadPart):
    """More than 1 MB came out of packed bytes ``max_ratio`` times smaller."""


class RawPart:
    """A zip member's content, inflated in pieces straight from the file: the one reader of a member's local
    header and packed bytes, for vetting and for the split.

    ``source``: the workbook's path (this part opens a handle of its own, closed by :meth:`close`) or an
    open binary file (shared; each read seeks to where this part left off). Each :meth:`read` gives at
    most ``piece`` bytes. What really comes out is checked against the index as it comes: more than the
    declared size raises :class:`OversizedPart`, and with ``max_ratio`` more than 1 MB out of packed bytes
    that many times smaller raises :class:`BombPart`. The checksum is left to the reader, which parses
    the parts again anyway.
    """

    def __init__(self, zf: zipfile.ZipFile, source: str | BinaryIO, part: str, piece: int = _PIECE,
                 max_ratio: float | None = None) -> None:
        info = zf.getinfo(part)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise UnsupportedPart("a part of the workbook is packed in a way Excel does not write")
        self._own = isinstance(source, str)
        self._fh: BinaryIO = open(source, "rb") if isinstance(source, str) else source
        self._fh.seek(info.header_offset)
        local = self._fh.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            self.close()
            raise DamagedPart("a damaged entry in the workbook's zip")
        name_len, extra_len = struct.unpack("<HH", local[26:30])  # may differ from the central directory's
        self._pos = self._data = info.header_offset + 30 + name_len + extra_len
        self._left = info.compress_size  # packed bytes not read yet
        self._room = info.file_size  # what may still come out
        self._piece = piece
        self._ratio = max_ratio
        self._out = 0
        self._pending = b""  # packed bytes read but not inflated yet
        self._inflate = _zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None

    def read(self) -> bytes:
        """The next piece of content; b"" at the end."""
        while True:
            if not self._pending and self._left > 0:
                self._fh.seek(self._pos)
                self._pending = self._fh.read(min(_CHUNK, self._left))
                if not self._pending:
                    raise DamagedPart("a part of the workbook is cut short")
                self._pos += len(self._pending)
                self._left -= len(self._pending)
            out = self._next()
            if out or (not self._pending and self._left <= 0):
                return out

    def _next(self) -> bytes:
        if self._inflate is None:
            out, self._pending = self._pending[: self._piece], self._pending[self._piece:]
        elif self._inflate.eof:
            return b""
        else:
            try:
                out = (self._inflate.decompress(self._pending, min(self._piece, self._room + 1)) if self._pending
                       else self._inflate.flush())
            except _BAD_DEFLATE as exc:
                raise DamagedPart("a part of the workbook does not unpack") from exc
            self._pending = self._inflate.unconsumed_tail
        self._out += len(out)
        self._room -= len(out)
        if self._room < 0:
            raise OversizedPart("a part of the workbook unpacks to more than the zip's index says")
        packed = self._pos - self._data - len(self._pending)  # packed bytes inflated so far
        if self._ratio is not None and self._out > 1 << 20 and self._out > self._ratio * max(packed, 1):
            raise BombPart("a part of the workbook unpacks to far more than its packed size")
        return out

    def close(self) -> None:
        if self._own:
            self._fh.close()


def zip_member(zf: zipfile.ZipFile, name: str) -> bytes:
    """A zip member's content (the shared strings can be 100 MB: inflated the fast way when it can be)."""
    try:
        part = RawPart(zf, str(zf.filename), name)
    except NotSplit:
        return zf.read(name)
    try:
        return b"".join(iter(part.read, b""))
    finally:
        part.close()
