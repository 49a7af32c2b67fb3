"""What one file may hand the app (in the parse child): Excel's cell length, a column count, and the size of
its tables once read (``LTV_TABLE_MB``).

A workbook keeps Excel's own row limit (1,048,576); a CSV or Parquet file has no row limit, only this
size: a 10,000,000-order file of six columns (about 500 MB read) loads, a small file that would grow to
gigabytes once read (long texts stored once and referenced in every row, a hundred columns of zeros) is
refused with one sentence before the app holds it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lib import config
from lib.errors import UserFacing
from lib.schema import EXCEL_MAX_CELL_CHARS, EXCEL_MAX_COLS, EXCEL_MAX_ROWS

if TYPE_CHECKING:
    from lib.schema import FileKind

MAX_CELL_CHARS = EXCEL_MAX_CELL_CHARS
MAX_COLUMNS = EXCEL_MAX_COLS
MAX_WORKBOOK_ROWS = EXCEL_MAX_ROWS
_MB = 1024**2


def table_budget_mb(kind: FileKind) -> int:
    """MB the tables read from one file may take (Arrow buffers, text decoded): ``LTV_TABLE_MB``; for a CSV or
    Parquet file (no row limit) at most half the parse's memory (``LTV_PARSE_MEM_MB``, the parse child's own cap
    there), so a read that would not fit is refused with a sentence rather than killed by its memory cap."""
    setting = int(config.value("LTV_TABLE_MB"))
    if kind in ("csv", "parquet"):
        return min(setting, int(config.value("LTV_PARSE_MEM_MB")) // 2)
    return setting


def too_big(label: str, rows: int, columns: int, mb: float, limit_mb: int) -> str:
    """The sentence for a file whose table would take more than its budget."""
    return (f"The {label} file is too big to read here: its {rows:,} rows of {columns:,} columns take "
            f"{mb:,.0f} MB or more once read, more than the {limit_mb:,} MB one file may take on "
            "this server (LTV_TABLE_MB); split it by year and upload the parts together, they are read as one shop.")


class Budget:
    """Bytes of one file's table counted as it is read, against :func:`table_budget_mb`.

    ``label`` ("Parquet", "CSV"), ``rows`` and ``columns`` are the file's, for the sentence :meth:`add` raises.
    """

    def __init__(self, kind: FileKind, label: str, rows: int, columns: int) -> None:
        self.limit_mb = table_budget_mb(kind)
        self.label, self.rows, self.columns = label, rows, columns
        self.used = 0

    def expect(self, nbytes: float) -> None:
        """Refuse at once a table known to take at least ``nbytes`` (from a file's footer, before reading it)."""
        if nbytes > self.limit_mb * _MB:
            raise UserFacing(too_big(self.label, self.rows, self.columns, nbytes / _MB, self.limit_mb))

    def add(self, nbytes: int) -> None:
        """Count ``nbytes`` more; raises :class:`UserFacing` when the table would pass the budget."""
        self.used += int(nbytes)
        if self.used > self.limit_mb * _MB:
            raise UserFacing(too_big(self.label, self.rows, self.columns, self.used / _MB, self.limit_mb))


def longest_cell(texts: Any, column: str, sheet: str, chars: Any = None) -> None:
    """Refuse a text column (Arrow string or large_string) with a cell over Excel's :data:`MAX_CELL_CHARS`, naming
    the column and the first row (from 1, under the header) that has one.

    ``chars``: the cells' lengths in characters when known (a dictionary's values' lengths taken for its rows);
    else they are counted, only when some cell has more bytes than the limit (bytes >= characters).
    """
    import pyarrow.compute as pc

    if chars is None:
        longest_bytes = pc.max(pc.binary_length(texts)).as_py()
        if longest_bytes is None or longest_bytes <= MAX_CELL_CHARS:
            return
        chars = pc.utf8_length(texts)
    longest = pc.max(chars).as_py()
    if longest is not None and longest > MAX_CELL_CHARS:
        row = pc.index(chars, longest).as_py() + 1
        raise UserFacing(f"Column '{column}' in sheet '{sheet}' has a cell with {longest:,} characters in data row "
                         f"{row:,}; Excel allows at most {MAX_CELL_CHARS:,}. The file was not read.")
