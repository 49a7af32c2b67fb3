"""Workbooks (.xlsx, .xlsm, .xls) read with fastexcel in the parse child."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lib.errors import UserFacing
from lib.read.header import unique_names
from lib.read.zipio import Declined, NotSplit

if TYPE_CHECKING:
    from lib.read.split import SplitRead
    from lib.read.split.filtered import FilteredRead
    from lib.schema import ColumnRules


def mapped_columns(path: str, sheet: str, rules: ColumnRules) -> dict[str, Any] | None:
    """The columns to read of a big sheet (``path``: a workbook of its first rows): see
    :meth:`lib.schema.ColumnRules.choose_columns`, asked with the rows as Arrow (no pandas).

    None too when the header is not the sheet's first row. Positions count from column A.
    """
    import fastexcel

    from lib.read.header import HEADER_SCAN_ROWS, find_header_row

    reader = fastexcel.read_excel(path)
    batch, names = _load(reader, sheet, 0)
    table = _as_table(batch)
    if table.num_columns != len(names) or table.num_rows == 0:
        return None
    rows = [[None if str(c).startswith("__UNNAMED__") else c for c in names]]
    rows += [list(r.values()) for r in table.slice(0, HEADER_SCAN_ROWS).to_pylist()]
    if find_header_row(rows, rules.names_field) != 0:
        return None
    got = rules.choose_columns(table.rename_columns(unique_names([str(c) for c in names])))
    return None if got is None else {**got, "names": [str(c) for c in names]}


def wanted(rules: ColumnRules) -> Callable[[Any], bool]:
    """fastexcel's column choice when reading only what a mapping can use (:meth:`lib.schema.ColumnRules.may_map`)."""
    return lambda column: rules.may_map(str(column.name))


def read_excel(path: str, rules: ColumnRules, split: Any = None, project: bool = False) -> list[dict[str, Any]]:
    """Every non-empty sheet with its header row found; ``split`` is a started
    :class:`lib.read.split.SplitRead` for the largest sheet, a :class:`lib.read.split.filtered.FilteredRead`
    (read in one pass for its proposed mapping's columns), a :class:`lib.read.split.Declined` (that sheet
    is read the ordinary way, and why), or None.

    ``project``: hand over only the columns a mapping can use (calamine still
    parses every cell), or, for the sheet read in parts or filtered, only the columns its
    proposed mapping uses (their cells alone are parsed); the others' names are
    listed as ``unread``. A sheet where fewer than two columns would be kept (a
    header further down, names no rule knows) is read whole. That sheet's
    dict says ``read_in_parts``, ``columns_chosen`` and, when it was read the
    ordinary way after all, ``not_split``: why, in a few words.
    """
    reader = _Reader(path)
    try:  # a workbook of one sheet read in parts never needs the whole-workbook reader
        names = [split.sheet] if (split is not None and not isinstance(split, Declined)) and split.only_sheet else reader.sheet_names
    except UserFacing:
        if (split is not None and not isinstance(split, Declined)):
            split.abandon()
        raise
    out = []
    try:
        for name in names:
            got: dict[str, Any] = {"table": None, "whole": not project}
            if split is not None and split.sheet == name:
                halves, split = split, None
                got = _halves(halves, reader, name, rules, got["whole"])
            sheet = _read_sheet(reader, name, rules, got["table"], not got["whole"], got.get("names_in_file"))
            if sheet is not None:
                as_given = got["table"] is not None and sheet["header_row"] == 0  # the table given was kept
                sheet["read_in_parts"] = got.get("in_parts", False) and as_given
                # only the proposed mapping's cells
                sheet["columns_chosen"] = got.get("chosen", False) and as_given and bool(sheet["unread"])
                if "not_split" in got:
                    sheet["not_split"] = got["not_split"]
                out.append(sheet)
    finally:
        if (split is not None and not isinstance(split, Declined)):
            split.abandon()
    return out


def _halves(halves: SplitRead | FilteredRead | Declined, reader: _Reader, name: str, rules: ColumnRules,
            whole: bool) -> dict[str, Any]:
    """The sheet read in parts or filtered, for :func:`read_excel`: its ``table`` (None: read it the ordinary
    way, ``not_split`` says why if anything went wrong), whether every column is to be read (``whole``),
    ``in_parts``, ``chosen`` and ``names_in_file``."""
    if isinstance(halves, Declined):
        return {"table": None, "whole": whole, "not_split": halves.reason}
    try:
        got = halves.finish()
    except NotSplit as exc:
        return {"table": None, "whole": whole or halves.every, "not_split": str(exc)}
    whole = whole or halves.every  # its first rows differ only in columns no rule maps
    if got is None:  # a filtered read whose first rows leave no column out: the ordinary read
        return {"table": None, "whole": whole}
    if isinstance(got, str):  # "mixed": some cell is not of its column's guessed type
        try:
            table = _as_table(_load(reader, name, 0, None if whole else rules, every_row=True)[0])
        except _fastexcel_error():  # read below the ordinary way, which words the error
            return {"table": None, "whole": whole}
        return {"table": table, "whole": whole, "names_in_file": None if whole else halves.all_columns}
    return {"table": got, "whole": whole, "in_parts": halves.in_parts, "chosen": halves.header is not None,
            "names_in_file": None if whole else halves.all_columns}


class _Reader:
    """fastexcel's reader of the whole workbook, opened on first use (opening parses every shared string:
    about a second for a million-row report, spent twice when the sheet is also read in parts)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._reader: Any = None

    def _open(self) -> Any:
        if self._reader is None:
            import fastexcel

            try:
                self._reader = fastexcel.read_excel(self._path)
            except fastexcel.FastExcelError as exc:  # the reader's own words are not for people
                raise UserFacing(_excel_message(exc)) from exc
        return self._reader

    @property
    def sheet_names(self) -> list[str]:
        return list(self._open().sheet_names)

    def load_sheet(self, *args: Any, **kwargs: Any) -> Any:
        return self._open().load_sheet(*args, **kwargs)


def _as_table(batch: Any) -> Any:
    import pyarrow as pa

    return pa.Table.from_batches([batch])


def _read_sheet(reader: Any, name: str, rules: ColumnRules, table: Any, project: bool = False,
                names_in_file: list[str] | None = None) -> dict[str, Any] | None:
    """One sheet with its header found, from ``table`` (already read with the first row as header) or read here.

    Parse once assuming the header is the first row; only when the rows say
    the header is further down (title rows above it) parse again from there.
    Parsing is the whole cost. ``project``: keep only the columns a mapping can
    use (``names_in_file`` lists every header name of a ``table`` read so);
    with fewer than two such columns the sheet is read whole.
    """
    from lib.read.header import HEADER_SCAN_ROWS, find_header_row

    h = 0
    looked = False
    while True:  # ends: projection is dropped at most once, the header moved at most once
        if table is None:
            try:
                batch, names_in_file = _load(reader, name, h, rules if project else None)
            except _fastexcel_error() as exc:  # an empty sheet is no error: it has no columns
                raise UserFacing(_excel_message(exc)) from exc
            table = _as_table(batch)
        if project and table.num_columns < 2 and names_in_file is not None and len(names_in_file) >= 2:
            project, table = False, None  # nothing a rule knows on this header row: read it whole and look again
            continue
        if table.num_columns == 0:
            return None
        names = [None if str(c).startswith("__UNNAMED__") else c for c in table.schema.names]
        rows = [names] + [list(r.values()) for r in table.slice(0, HEADER_SCAN_ROWS).to_pylist()]
        found = find_header_row(rows, rules.names_field)
        if found == 0 or looked:  # a second look keeps what it read (the header search is a guess)
            break
        if project:  # the header may be further down: look among every column
            project, table = False, None
            continue
        looked = True
        h += found
        table = None
    if table.num_rows == 0 and h == 0 and all(str(c).startswith("__UNNAMED__") for c in table.schema.names):
        return None
    read = unique_names([str(c) for c in table.column_names])
    unread: list[str] = []
    if project and names_in_file is not None:
        every = unique_names([str(c) for c in names_in_file])
        by_raw = {raw: uniq for raw, uniq in zip(names_in_file, every)}
        read = [by_raw.get(str(c), u) for c, u in zip(table.column_names, read)]
        unread = [u for u in every if u not in set(read)]
    table = table.rename_columns(read)
    return {"name": name, "table": table, "header_row": h, "unread": unread}


def _load(reader: Any, name: str, header_row: int, rules: ColumnRules | None = None,
          every_row: bool = False) -> tuple[Any, list[str]]:
    """One sheet as an Arrow batch, with no cell lost to type guessing, and the names of all its columns.

    Column types are guessed from the first 1,000 rows (fast); if any later
    cell does not fit its column's type, fastexcel reports it and the sheet is
    read again with types guessed from every row (mixed columns become text,
    which the loader coerces and counts), so nothing is turned into a blank.
    ``rules``, when given: only the columns :func:`wanted` keeps are converted.
    """
    use = wanted(rules) if rules is not None else None
    if not every_row:
        batch, mixed, names = sheet_batch(reader, name, header_row, use)
        if not mixed:
            return batch, names
    batch, _, names = sheet_batch(reader, name, header_row, use, every_row=True)
    return batch, names


def sheet_batch(reader: Any, name: str, header_row: int = 0, use_columns: Callable[[Any], bool] | None = None,
                every_row: bool = False) -> tuple[Any, bool, list[str]]:
    """One sheet of a fastexcel reader as an Arrow batch, whether some cell did not fit its column's type, and the
    names of all its columns.

    ``header_row``: 0-based, the rows above it are left out; ``use_columns``: fastexcel's choice of the columns
    to convert. Types are guessed from the first 1,000 rows, or from every row with ``every_row`` (no cell is
    then out of its column's type). The names come from the column choice, which fastexcel asks about every
    column in turn, or from the batch when every column is converted: ``available_columns()`` would guess
    every column's type once more (0.03 s on 20,000 rows of 41 columns).
    """
    seen: dict[int, str] = {}

    def choose(column: Any) -> bool:
        seen[int(column.index)] = column.name
        return bool(use_columns(column)) if use_columns is not None else True

    sheet = reader.load_sheet(name, header_row=header_row, use_columns=None if use_columns is None else choose,
                              schema_sample_rows=None if every_row else 1_000)  # 1,000: fastexcel's default
    if every_row:
        batch, mixed = sheet.to_arrow(), False
    else:
        batch, errors = sheet.to_arrow_with_errors()
        mixed = errors is not None and bool(errors.errors)
    names = list(batch.schema.names) if use_columns is None else [seen[i] for i in sorted(seen)]
    return batch, mixed, names


def _fastexcel_error() -> type[Exception]:
    """The base type of every error fastexcel raises (imported when first needed: the split forks first)."""
    import fastexcel

    return fastexcel.FastExcelError  # type: ignore[no-any-return]


# what people read when fastexcel cannot read a workbook, by the error's type (the first that matches); a
# password is found before, by vetting (lib.read.vet), as fastexcel has no type of its own for it
_MESSAGES = (
    (("CalamineCellError", "CannotRetrieveCellDataError"),
     "A cell of the workbook cannot be read: the file seems damaged. Open it in Excel, save it as .xlsx and upload again."),
    (("FastExcelError",),
     "The workbook could not be read: it seems damaged or uses a format this app does not know. "
     "Open it in Excel, save it as .xlsx and upload again."),
)


def _excel_message(exc: BaseException) -> str:
    import fastexcel

    for names, message in _MESSAGES:
        if isinstance(exc, tuple(getattr(fastexcel, n) for n in names)):
            return message
    return _MESSAGES[-1][1]
