"""Child process that parses a vetted file into raw tables.

Run as ``python -m lib._worker IN_PATH KIND OUT_DIR [all|mapped]`` (``mapped``: a workbook's
columns that no mapping can use are parsed but not converted, see :func:`read_excel`). It caps its own
address space and CPU time before importing any native reader, so a reader
that aborts, leaks or loops costs only this process. It writes one Arrow IPC
file per sheet and ``meta.json``; a problem a person can fix is written as
``{"error": "..."}`` in ``meta.json`` with exit status 3.

The largest sheet of a big workbook is parsed in two halves at once, for only
the columns its proposed mapping uses (see :mod:`lib._xlsx_split`; the forked
children inherit the same limits and die with this process); ``read_in_parts``
and ``columns_chosen`` in the meta say whether that happened. A big CSV is read
for its proposed mapping's columns too (:func:`read_csv`).
"""
from __future__ import annotations

import csv
import io
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

from lib import config


def _env_int(name: str, default: int) -> int:
    """A whole-number setting; its default when unusable (lib.config reports bad values before a parse starts)."""
    try:
        return int(os.environ.get(name) or default)
    except ValueError:
        return default


MEM_LIMIT_MB = _env_int("LTV_PARSE_MEM_MB", 3072)
CPU_LIMIT_S = _env_int("LTV_PARSE_CPU_S", 240)
MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
ENCODINGS = ("gb18030", "shift_jis", "cp1252")
CSV_CHOOSE_MIN_BYTES = int(config.value("LTV_CSV_CHOOSE_MIN_BYTES"))  # smaller CSVs are read whole: it costs little


class UserFacing(Exception):
    pass


def _limit() -> None:
    limit = MEM_LIMIT_MB * 1024**2
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030, Shift-JIS or cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: dict[str, str] = {}
    for enc in ENCODINGS:
        try:
            candidates[enc] = data.decode(enc)
        except UnicodeDecodeError:
            continue
    if not candidates:
        return data.decode("cp1252", errors="replace"), "cp1252"
    if len(candidates) == 1:
        enc = next(iter(candidates))
        return candidates[enc], enc
    return _pick_encoding(candidates)


def _pick_encoding(candidates: dict[str, str]) -> tuple[str, str]:
    def score(enc: str, text: str) -> float:
        sample = text[:200_000]
        n = max(len(sample), 1)
        kana = sum(1 for c in sample if "\u3040" <= c <= "\u30ff")
        han = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
        halfwidth = sum(1 for c in sample if "\uff61" <= c <= "\uff9f")
        rare = sum(1 for c in sample if ("\u3400" <= c <= "\u4dbf") or ("\ue000" <= c <= "\uf8ff") or c > "\uffff")
        latin_ext = sum(1 for c in sample if "\u00c0" <= c <= "\u00ff")
        s = 0.0
        if enc == "shift_jis":
            s = 3 * kana + han - 5 * halfwidth
        elif enc == "gb18030":
            s = han + 0.5 * kana - 5 * rare - 2 * halfwidth
        else:  # cp1252: plausible when accents sit alone inside Latin words, not in runs
            high_runs = sum(1 for a, b in zip(sample, sample[1:]) if ord(a) > 127 and ord(b) > 127)
            s = latin_ext - 4 * high_runs
        return s / n

    best = max(candidates, key=lambda e: score(e, candidates[e]))
    return candidates[best], best


def _sniff_sep(lines: list[str]) -> str:
    sample = "\n".join(lines[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv(path: str, project: bool = False) -> list[dict[str, Any]]:
    """The CSV as one sheet. ``project``: a file of at least ``CSV_CHOOSE_MIN_BYTES`` is read for only the
    columns a mapping proposed from its first ``PEEK_ROWS`` rows uses (:func:`columns_for_mapping`)."""
    import pandas as pd
    import pyarrow as pa

    from lib.header import HEADER_SCAN_ROWS, PEEK_ROWS, find_header_row

    data = Path(path).read_bytes()
    size = len(data)
    text, encoding = decode_text(data)
    del data
    head_lines = [ln for ln in text[:200_000].splitlines()[: HEADER_SCAN_ROWS * 3]]
    sep = _sniff_sep([ln for ln in head_lines if ln.strip()])
    scan = list(csv.reader(head_lines[:HEADER_SCAN_ROWS], delimiter=sep))
    nonblank = [i for i, r in enumerate(scan) if any(c.strip() for c in r)]
    rows = [scan[i] for i in nonblank]
    h = nonblank[find_header_row(rows)] if rows else 0
    options: dict[str, Any] = dict(sep=sep, header=0, skiprows=h, dtype=str, keep_default_na=False, na_values=[""],
                                   skip_blank_lines=True, engine="c", index_col=False, on_bad_lines="error")
    keep: list[int] | None = None
    names: list[str] = []
    if project and size >= CSV_CHOOSE_MIN_BYTES:
        try:
            head = pd.read_csv(io.StringIO(text), nrows=PEEK_ROWS, **options)
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            head = None  # the whole read below says what is wrong
        if head is not None and len(head):
            names = _unique_names([str(c) for c in head.columns])
            got = columns_for_mapping(head.set_axis(names, axis=1))
            keep = got["keep"] if got is not None and not got.get("every") else None
    try:
        df = pd.read_csv(io.StringIO(text), usecols=keep, **options)
    except pd.errors.ParserError as exc:
        raise UserFacing(f"The CSV file has rows with more fields than its header ({str(exc).splitlines()[-1]}). "
                         "Check the separator or quotes and export again.") from exc
    except pd.errors.EmptyDataError as exc:
        raise UserFacing("The CSV file has no rows.") from exc
    unread: list[str] = []
    if keep is not None:
        df.columns = [names[i] for i in keep]
        read = set(keep)
        unread = [n for i, n in enumerate(names) if i not in read]
    else:
        df.columns = _unique_names([str(c) for c in df.columns])
    table = pa.Table.from_pandas(df, preserve_index=False)
    return [{"name": "CSV", "table": table, "header_row": h, "encoding": encoding, "separator": sep, "unread": unread}]


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n.strip() or f"column {i + 1}"
        if n.startswith("Unnamed: ") or n.startswith("__UNNAMED__"):
            n = f"column {i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n} ({seen[n]})"
        else:
            seen[n] = 1
        out.append(n)
    return out


def mapped_columns(path: str, sheet: str) -> dict[str, Any] | None:
    """The columns to read of a big sheet (``path``: a workbook of its first rows): see :func:`columns_for_mapping`.

    None too when the header is not the sheet's first row. Positions count from column A.
    """
    import fastexcel

    from lib.header import HEADER_SCAN_ROWS, find_header_row

    reader = fastexcel.read_excel(path)
    batch, names = _load(reader, sheet, 0)
    table = _as_table(batch)
    if table.num_columns != len(names) or table.num_rows == 0:
        return None
    rows = [[None if str(c).startswith("__UNNAMED__") else c for c in names]]
    rows += [list(r.values()) for r in table.slice(0, HEADER_SCAN_ROWS).to_pylist()]
    if find_header_row(rows) != 0:
        return None
    got = columns_for_mapping(table.rename_columns(_unique_names([str(c) for c in names])).to_pandas())
    return None if got is None else {**got, "names": [str(c) for c in names]}


def columns_for_mapping(frame: Any) -> dict[str, Any] | None:
    """The columns a mapping proposed from a sheet's first rows (``frame``, unique column names) reads.

    ``{"keep": [positions in frame]}``: the proposed mapping's columns, the
    currency's, the last name that completes a first name, and the recognised
    export's signature (so it is recognised again). None (read every column a
    mapping may use) when the sheet does not look like orders, nearly every
    column would be read, or some of the first rows differ only in columns the
    mapping leaves out; ``{"keep": every position, "every": True}`` (read every
    column) when some differ only in columns no rule maps: leaving those out
    would make them exact duplicates.
    """
    from lib.coerce import is_currency_column
    from lib.ingest import _is_orders, propose_mapping, recognise
    from lib.profiles import may_map
    from lib.synonyms import last_name_column, normalise_name

    unique = [str(c) for c in frame.columns]
    mapping = propose_mapping(frame)
    if not _is_orders(mapping):
        return None
    use = set(mapping.values()) | {c for c in unique if is_currency_column(c)}
    if "customer_name" in mapping:
        last = last_name_column(mapping["customer_name"], unique)
        if last:
            use.add(last)
    profile = recognise(frame)
    if profile is not None:
        have = {normalise_name(c): c for c in reversed(unique)}
        use |= {have[normalise_name(s)] for s in profile.signature if normalise_name(s) in have}
    keep = sorted(unique.index(c) for c in use)
    if len(keep) < 2:
        return None

    def more_duplicates(columns: list[int]) -> bool:
        read = frame.iloc[:, columns]
        filled = read.notna().any(axis=1)  # rows blank in what is read are dropped as blank, not as duplicates
        return bool(read[filled].duplicated().sum() > frame[filled].duplicated().sum())

    if more_duplicates([i for i, c in enumerate(unique) if may_map(c)]):
        # rows told apart only by columns no rule maps would count as exact duplicates of each other
        return {"keep": list(range(len(unique))), "every": True}
    if len(keep) > 0.75 * len(unique) or more_duplicates(keep):
        return None  # little to leave out, or rows told apart by columns the mapping leaves out
    return {"keep": keep}


def wanted(column: Any) -> bool:
    """fastexcel's column choice when reading only what a mapping can use (see :func:`lib.profiles.may_map`)."""
    from lib.profiles import may_map

    return may_map(str(column.name))


def read_excel(path: str, split: Any = None, project: bool = False) -> list[dict[str, Any]]:
    """Every non-empty sheet with its header row found; ``split`` is a started
    :class:`lib._xlsx_split.SplitRead` for the largest sheet, or None.

    ``project``: hand over only the columns a mapping can use (calamine still
    parses every cell), or, for the sheet read in parts, only the columns its
    proposed mapping uses (their cells alone are parsed); the others' names are
    listed as ``unread``. A sheet where fewer than two columns would be kept (a
    header further down, names no rule knows) is read whole.
    """
    reader = _Reader(path)
    try:  # a workbook of one sheet read in parts never needs the whole-workbook reader
        names = [split.sheet] if split is not None and split.only_sheet else reader.sheet_names
    except UserFacing:
        if split is not None:
            split.abandon()
        raise
    out = []
    try:
        for name in names:
            table = None
            in_parts = chosen = False
            names_in_file: list[str] | None = None
            whole = not project  # every column of this sheet
            if split is not None and split.sheet == name:
                halves, split = split, None
                whole = whole or halves.every  # its first rows differ only in columns no rule maps
                try:
                    got = halves.finish()
                except Exception:  # noqa: BLE001 - NotSplit, or anything unexpected: read the ordinary way
                    got = None
                if isinstance(got, str):  # "mixed": some cell is not of its column's guessed type
                    try:
                        table = _as_table(_load(reader, name, 0, not whole, every_row=True)[0])
                        names_in_file = None if whole else halves.all_columns
                    except Exception:  # noqa: BLE001 - read below the ordinary way, which words the error
                        table = None
                elif got is not None:
                    table, in_parts, chosen = got, True, halves.header is not None
                    names_in_file = None if whole else halves.all_columns
            sheet = _read_sheet(reader, name, table, not whole, names_in_file)
            if sheet is not None:
                sheet["read_in_parts"] = in_parts and sheet["header_row"] == 0
                sheet["columns_chosen"] = chosen and sheet["read_in_parts"]  # only the proposed mapping's cells
                out.append(sheet)
    finally:
        if split is not None:
            split.abandon()
    return out


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
            except Exception as exc:  # noqa: BLE001 - the reader's own errors are not for people
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


def _read_sheet(reader: Any, name: str, table: Any, project: bool = False,
                names_in_file: list[str] | None = None) -> dict[str, Any] | None:
    """One sheet with its header found, from ``table`` (already read with the first row as header) or read here.

    Parse once assuming the header is the first row; only when the rows say
    the header is further down (title rows above it) parse again from there.
    Parsing is the whole cost. ``project``: keep only the columns a mapping can
    use (``names_in_file`` lists every header name of a ``table`` read so);
    with fewer than two such columns the sheet is read whole.
    """
    from lib.header import HEADER_SCAN_ROWS, find_header_row

    h = 0
    looked = False
    while True:  # ends: projection is dropped at most once, the header moved at most once
        if table is None:
            try:
                batch, names_in_file = _load(reader, name, h, project)
                table = _as_table(batch)
            except Exception as exc:  # noqa: BLE001
                if "empty" in str(exc).lower() or "no rows" in str(exc).lower():
                    return None
                raise UserFacing(_excel_message(exc)) from exc
        if project and table.num_columns < 2 and names_in_file is not None and len(names_in_file) >= 2:
            project, table = False, None  # nothing a rule knows on this header row: read it whole and look again
            continue
        if table.num_columns == 0:
            return None
        names = [None if str(c).startswith("__UNNAMED__") else c for c in table.schema.names]
        rows = [names] + [list(r.values()) for r in table.slice(0, HEADER_SCAN_ROWS).to_pylist()]
        found = find_header_row(rows)
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
    read = _unique_names([str(c) for c in table.column_names])
    unread: list[str] = []
    if project and names_in_file is not None:
        every = _unique_names([str(c) for c in names_in_file])
        by_raw = {raw: uniq for raw, uniq in zip(names_in_file, every)}
        read = [by_raw.get(str(c), u) for c, u in zip(table.column_names, read)]
        unread = [u for u in every if u not in set(read)]
    table = table.rename_columns(read)
    return {"name": name, "table": table, "header_row": h, "unread": unread}


def _load(reader: Any, name: str, header_row: int, project: bool = False, every_row: bool = False) -> tuple[Any, list[str]]:
    """One sheet as an Arrow batch, with no cell lost to type guessing, and the names of all its columns.

    Column types are guessed from the first 1,000 rows (fast); if any later
    cell does not fit its column's type, fastexcel reports it and the sheet is
    read again with types guessed from every row (mixed columns become text,
    which the loader coerces and counts), so nothing is turned into a blank.
    ``project``: only the columns :func:`wanted` keeps are converted.
    """
    use = wanted if project else None
    if not every_row:
        sheet = reader.load_sheet(name, header_row=header_row, use_columns=use)
        batch, errors = sheet.to_arrow_with_errors()
        if errors is None or not errors.errors:
            return batch, [c.name for c in sheet.available_columns()]
    sheet = reader.load_sheet(name, header_row=header_row, schema_sample_rows=None, use_columns=use)
    return sheet.to_arrow(), [c.name for c in sheet.available_columns()]


def _excel_message(exc: BaseException) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:
        return "This workbook is protected with a password. Remove the password in Excel and upload again."
    return ("The workbook could not be read: it seems damaged or uses a format this app does not know. "
            "Open it in Excel, save it as .xlsx and upload again.")


def read_parquet(path: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001
        raise UserFacing("The Parquet file could not be read: it seems damaged.") from exc
    table = table.rename_columns(_unique_names([str(c) for c in table.column_names]))
    return [{"name": "Parquet", "table": table, "header_row": 0}]


def _check_limits(sheets: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    for s in sheets:
        table = s["table"]
        if table.num_rows > MAX_ROWS:
            raise UserFacing(f"Sheet '{s['name']}' has {table.num_rows:,} rows, more than Excel's "
                             f"{MAX_ROWS:,}. Split the file by year and upload the parts.")
        for col in table.column_names:
            arr = table[col]
            if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                # bytes >= characters: only count characters when some cell has more bytes than the limit
                longest_bytes = pc.max(pc.binary_length(arr)).as_py()
                if longest_bytes is None or longest_bytes <= MAX_CELL_CHARS:
                    continue
                longest = pc.max(pc.utf8_length(arr)).as_py()
                if longest is not None and longest > MAX_CELL_CHARS:
                    raise UserFacing(f"Column '{col}' in sheet '{s['name']}' has a cell with {longest:,} "
                                     f"characters; Excel allows at most {MAX_CELL_CHARS:,}. The file was not read.")


def main(argv: list[str]) -> int:
    in_path, kind, out_dir, columns = (argv + ["all"])[:4]
    project = columns == "mapped"
    _limit()
    out = Path(out_dir)
    split = None
    if kind == "xlsx":  # before any native reader is imported: the split forks this process
        from lib._xlsx_split import SplitRead

        split = SplitRead.start(in_path, out, wanted if project else None, mapped_columns if project else None)
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        if kind == "csv":
            sheets = read_csv(in_path, project)
        elif kind == "parquet":
            sheets = read_parquet(in_path)
        else:
            sheets = read_excel(in_path, split, project)
        _check_limits(sheets)
    except UserFacing as exc:
        (out / "meta.json").write_text(json.dumps({"error": str(exc)}), encoding="utf-8")
        return 3
    except MemoryError:
        (out / "meta.json").write_text(json.dumps({"error": "memory"}), encoding="utf-8")
        return 4
    meta = []
    for i, s in enumerate(sheets):
        table: pa.Table = s.pop("table")
        file = f"sheet{i}.arrow"
        with ipc.new_file(str(out / file), table.schema) as writer:
            writer.write_table(table)
        meta.append({**s, "file": file, "rows": table.num_rows})
    (out / "meta.json").write_text(json.dumps({"sheets": meta}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
