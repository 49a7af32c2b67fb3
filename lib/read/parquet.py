"""Parquet files read into one Arrow table (in the parse child): the proposed mapping's columns only, every
text as plain strings sized here, so the app never receives a table bigger than its budget.

A Parquet file can be far smaller than what it holds: a text stored once in a column's dictionary and
referenced by every row (a 295 KB file of 30 KB customer ids expands to 4.5 GB), or a hundred columns of
zeros run-length encoded into a few bytes. So the reader

- refuses more than :data:`lib.read.limits.MAX_COLUMNS` columns, from the file's footer;
- proposes the mapping from the first :data:`lib.read.header.PEEK_ROWS` rows (fewer when they would take
  more than :data:`PEEK_MB`: a mapping is found from a thousand rows) and reads only its columns
  (:meth:`lib.schema.ColumnRules.choose_columns`, as a big CSV is read), or, when no mapping is proposed,
  the columns some rule may map; the other columns' names are the sheet's ``unread``;
- reads them :data:`BATCH_ROWS` rows at a time and turns every dictionary into its values and every text
  type (binary, large_binary, string_view, binary_view, large_string; a fixed-size binary as hex) into plain
  strings, counting the bytes against :class:`lib.read.limits.Budget` and the cells against Excel's length:
  a dictionary is measured from its values' lengths taken for its rows, and expanded only once every batch
  has been measured, so a file over its budget is refused before any of its texts is copied.

Nested columns (lists, structs, maps) hold no cell a mapping can use and are never read. A text stored in a
dictionary that Arrow's schema does not keep (the file was not written by Arrow) arrives already expanded,
a batch at a time: a batch too big for the parse child's memory stops it there.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lib.errors import UserFacing
from lib.read.header import unique_names
from lib.read.limits import MAX_CELL_CHARS, MAX_COLUMNS, Budget, longest_cell

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lib.schema import ColumnRules

BATCH_ROWS = 16_384  # a batch of 30 KB texts that Arrow's schema does not keep as a dictionary: 0.5 GB at most
DAMAGED = "The Parquet file could not be read: it seems damaged."
SHEET = "Parquet"
PEEK_MB = 32  # the first rows a mapping is proposed from take at most this much more (whole batches of PEEK_BATCH_ROWS)
PEEK_BATCH_ROWS = 1_000


def read_parquet(path: str, rules: ColumnRules, project: bool = False) -> list[dict[str, Any]]:
    """The Parquet file as one sheet ``{"name": "Parquet", "table", "header_row": 0, "unread"}``.

    ``project``: only the columns the mapping proposed from its first rows uses (or those some rule may map),
    the others listed as ``unread``; else every column that holds cells. Raises :class:`UserFacing` for a
    damaged file, too many columns, a cell longer than Excel allows or a table over its budget.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
    except MemoryError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UserFacing(DAMAGED) from exc
    if pf.metadata.num_columns > MAX_COLUMNS:
        raise UserFacing(f"The Parquet file has {pf.metadata.num_columns:,} columns, more than the {MAX_COLUMNS:,} "
                         "a spreadsheet may have; export only the columns the orders need.")
    names = unique_names([str(n) for n in schema.names])
    cells = [i for i, f in enumerate(schema) if not _nested(_storage(f.type))]
    keep = _chosen(pf, names, cells, rules) if project else cells
    rows = pf.metadata.num_rows
    budget = Budget("parquet", SHEET, rows, len(keep))
    budget.expect(rows * sum(_least_bytes(schema.field(i).type) for i in keep))
    table = _read(pf, keep, names, budget)
    read = set(keep)
    return [{"name": SHEET, "table": table, "header_row": 0, "unread": [names[i] for i in cells if i not in read]}]


def _chosen(pf: pq.ParquetFile, names: list[str], cells: list[int], rules: ColumnRules) -> list[int]:
    """Positions (in the schema) of the columns to read: the proposed mapping's, else those some rule may map
    (all when fewer than two), as :func:`lib.read.excel.read_excel` hands over a workbook's."""
    from lib.read.header import PEEK_ROWS

    peek = _read(pf, cells, names, Budget("parquet", SHEET, pf.metadata.num_rows, len(cells)), PEEK_ROWS)
    got = rules.choose_columns(peek) if peek.num_rows else None
    if got is not None:
        return cells if got.get("every") else [cells[i] for i in got["keep"]]
    mappable = [i for i in cells if rules.may_map(names[i])]
    return mappable if len(mappable) >= 2 else cells


def _read(pf: pq.ParquetFile, keep: list[int], names: list[str], budget: Budget, first: int | None = None) -> pa.Table:
    """Columns ``keep`` (schema positions) as plain columns named ``names[i]``: every row, or the first ``first``
    (as many batches of :data:`PEEK_BATCH_ROWS` as fit in :data:`PEEK_MB`, at least one)."""
    import pyarrow as pa

    schema = pf.schema_arrow
    starts, leaf = [], 0
    for f in schema:
        starts.append(leaf)
        leaf += _leaves(f.type)
    out = pa.schema([pa.field(names[i], _plain_type(schema.field(i).type)) for i in keep])
    sized, rows = [], 0  # every column counted; a dictionary of texts not yet expanded
    try:
        for batch in pf.reader.iter_batches(PEEK_BATCH_ROWS if first else BATCH_ROWS, range(pf.metadata.num_row_groups),
                                            column_indices=[starts[i] for i in keep], use_threads=True):
            if batch.schema.names != [schema.names[i] for i in keep]:
                raise UserFacing(DAMAGED)  # its columns are not where its schema says
            sized.append([_sized(batch.column(j), out.field(j).name, budget) for j in range(len(keep))])
            rows += batch.num_rows
            if first is not None and (rows >= first or budget.used >= PEEK_MB * 1024**2):
                break
    except MemoryError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UserFacing(DAMAGED) from exc
    batches = [pa.RecordBatch.from_arrays([_expanded(c) for c in columns], schema=out) for columns in sized]
    return pa.Table.from_batches(batches, schema=out)


def _sized(arr: pa.Array, name: str, budget: Budget) -> pa.Array:
    """One column of a batch as plain values (text as string or large_string), counted against ``budget`` and
    its cells against Excel's length; a dictionary of texts is measured, not expanded (see :func:`_expanded`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr.type, pa.BaseExtensionType):
        arr = arr.storage
    if not pa.types.is_dictionary(arr.type):
        if not _text(arr.type):
            budget.add(arr.nbytes)
            return arr
        texts = _as_text(arr)
        longest_cell(texts, name, SHEET)
        budget.add(texts.nbytes)
        return texts
    values, rows = arr.dictionary, arr.indices
    if isinstance(values.type, pa.BaseExtensionType):
        values = values.storage
    if not _text(values.type):
        decoded = pc.take(values, rows)
        budget.add(decoded.nbytes)
        return decoded
    values = _as_text(values)
    lengths = pc.take(pc.binary_length(values), rows)  # each row's bytes, before any text is copied
    if (pc.max(lengths).as_py() or 0) > MAX_CELL_CHARS:  # bytes >= characters: count these only then
        longest_cell(values, name, SHEET, pc.take(pc.utf8_length(values), rows))
    offset = 8 if pa.types.is_large_string(values.type) else 4
    budget.add((pc.sum(lengths).as_py() or 0) + offset * (len(arr) + 1) + (len(arr) + 7) // 8)
    return pa.DictionaryArray.from_arrays(rows, values)


def _expanded(arr: pa.Array) -> pa.Array:
    """A column of :func:`_sized` with its dictionary of texts, if any, turned into the texts of its rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.take(arr.dictionary, arr.indices) if pa.types.is_dictionary(arr.type) else arr


def _as_text(arr: pa.Array) -> pa.Array:
    """Text as string (kept) or large_string: binary decoded as UTF-8 (bytes that are not, replaced), a
    fixed-size binary (an id, a hash) as hex."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    if pa.types.is_fixed_size_binary(arr.type):
        return _hex(arr)
    try:
        return pc.cast(arr, pa.large_string())
    except pa.ArrowInvalid:  # not UTF-8
        return pa.array([None if v is None else v.decode("utf-8", "replace") for v in arr.to_pylist()], pa.large_string())


def _hex(arr: pa.Array) -> pa.Array:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    width = arr.type.byte_width
    if len(arr) == 0:
        return pa.array([], pa.large_string())
    data = np.frombuffer(arr.buffers()[1], np.uint8)[arr.offset * width:(arr.offset + len(arr)) * width]
    digits = np.frombuffer(b"0123456789abcdef", np.uint8)
    out = np.empty(2 * data.size, np.uint8)
    out[0::2], out[1::2] = digits[data >> 4], digits[data & 15]
    offsets = pa.py_buffer(np.arange(len(arr) + 1, dtype=np.int64) * 2 * width)
    texts = pa.Array.from_buffers(pa.large_string(), len(arr), [None, offsets, pa.py_buffer(out)])
    return pc.if_else(arr.is_valid(), texts, pa.scalar(None, pa.large_string())) if arr.null_count else texts


def _storage(t: pa.DataType) -> pa.DataType:
    import pyarrow as pa

    return t.storage_type if isinstance(t, pa.BaseExtensionType) else t


def _text(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
                or pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t)
                or pa.types.is_fixed_size_binary(t))


def _nested(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_nested(t) or (pa.types.is_dictionary(t) and pa.types.is_nested(_storage(t.value_type))))


def _plain_type(t: pa.DataType) -> pa.DataType:
    """The type a column of Arrow type ``t`` is handed over as (see :func:`_sized`)."""
    import pyarrow as pa

    t = _storage(t)
    if pa.types.is_dictionary(t):
        value = _storage(t.value_type)
        return _plain_type(value) if _text(value) else value
    if pa.types.is_string(t) or not _text(t):
        return t
    return pa.large_string()


def _least_bytes(t: pa.DataType) -> float:
    """Bytes a row of a column of type ``t`` takes at least once read: its width, a text's offset."""
    t = _plain_type(t)
    try:
        return t.bit_width / 8
    except ValueError:  # text (an offset of 4 or 8 bytes), null
        return 0 if str(t) == "null" else (8 if str(t) == "large_string" else 4)


def _leaves(t: pa.DataType) -> int:
    """Parquet leaf columns of an Arrow field of type ``t`` (a struct's fields, a list's values, a map's key and
    item each their own): column indices of the reader count leaves."""
    import pyarrow as pa

    t = _storage(t)
    if pa.types.is_struct(t):
        return sum(_leaves(t.field(k).type) for k in range(t.num_fields))
    if pa.types.is_map(t):
        return _leaves(t.key_type) + _leaves(t.item_type)
    if pa.types.is_nested(t):  # lists of every kind
        return _leaves(t.value_type)
    return 1
