"""Child process that parses a vetted file into raw tables.

Run as ``python -m lib.read.child IN_PATH KIND OUT_DIR all|mapped RULES`` (``RULES``: the
``module:attribute`` of a :class:`lib.schema.ColumnRules`, :data:`lib.mapping.RULES`) (``mapped``: a workbook's
columns that no mapping can use are parsed but not converted, see :func:`read_excel`). It caps its own
address space and CPU time before importing any native reader, so a reader
that aborts, leaks or loops costs only this process. It writes one Arrow IPC
file per sheet and ``meta.json``; a problem a person can fix is written as
``{"error": "..."}`` in ``meta.json`` with exit status 3.

The largest sheet of a big workbook is parsed in two halves at once, for only
the columns its proposed mapping uses (see :mod:`lib.read.split`; the forked
children inherit the same limits and die with this process); a smaller one, still
big enough, is read for those columns in one pass. ``read_in_parts`` and
``columns_chosen`` in the meta say whether that happened. A big CSV is read
for its proposed mapping's columns too (:func:`read_csv`).

The reading itself is :func:`read_sheets`, which :func:`lib.read.read_here` calls in the calling
process for tests and files this program wrote.
"""
from __future__ import annotations

import importlib
import json
import os
import resource
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lib.errors import UserFacing
from lib.read.csv import read_csv
from lib.read.excel import mapped_columns, read_excel, wanted
from lib.read.limits import MAX_WORKBOOK_ROWS, Budget, longest_cell
from lib.read.parquet import read_parquet

if TYPE_CHECKING:
    from lib.schema import ColumnRules, FileKind


def _env_int(name: str, default: int) -> int:
    """A whole-number setting; its default when unusable (lib.config reports bad values before a parse starts)."""
    try:
        return int(os.environ.get(name) or default)
    except ValueError:
        return default


MEM_LIMIT_MB = _env_int("LTV_PARSE_MEM_MB", 3072)
CPU_LIMIT_S = _env_int("LTV_PARSE_CPU_S", 240)


def _limit() -> None:
    limit = MEM_LIMIT_MB * 1024**2
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _check_limits(sheets: list[dict[str, Any]], kind: FileKind) -> None:
    import pyarrow as pa

    label = {"csv": "CSV", "parquet": "Parquet"}.get(kind, "Excel")
    rows, columns = sum(s["table"].num_rows for s in sheets), max((s["table"].num_columns for s in sheets), default=0)
    budget = Budget(kind, label, rows, columns)
    for s in sheets:
        table = s["table"]
        if kind in ("xlsx", "xls") and table.num_rows > MAX_WORKBOOK_ROWS:  # a CSV or Parquet file has no row limit
            raise UserFacing(f"Sheet '{s['name']}' has {table.num_rows:,} rows, more than Excel's {MAX_WORKBOOK_ROWS:,}. "
                             "Split the file by year and upload the parts together: they are read as one shop.")
        budget.add(table.nbytes)
        for col in table.column_names:
            if pa.types.is_string(table[col].type) or pa.types.is_large_string(table[col].type):
                longest_cell(table[col], col, s["name"])


class ImportedRules:
    """The :class:`ColumnRules` named ``module:attribute`` (a module of ``lib``), imported when first asked:
    after this process's limits are set and the split has forked (it sets the thread counts numpy reads)."""

    def __init__(self, address: str) -> None:
        module, _, attr = address.partition(":")
        if not module.startswith("lib.") or not attr:
            raise ValueError(f"not a lib object: {address!r}")
        self.address = address
        self._rules: ColumnRules | None = None

    def _get(self) -> ColumnRules:
        if self._rules is None:
            module, _, attr = self.address.partition(":")
            self._rules = getattr(importlib.import_module(module), attr)
        return self._rules  # type: ignore[return-value]

    def names_field(self, name: str) -> bool:
        return self._get().names_field(name)

    def may_map(self, name: str) -> bool:
        return self._get().may_map(name)

    def choose_columns(self, table: Any) -> dict[str, Any] | None:
        return self._get().choose_columns(table)


def read_sheets(path: str, kind: FileKind, rules: ColumnRules, project: bool, split: Any = None) -> list[dict[str, Any]]:
    """The sheets of a vetted file, each ``{"name", "table" (pyarrow.Table), "header_row", "unread", ...}``.

    ``project``: a workbook's columns that no mapping can use are parsed but not converted (their
    names listed as ``unread``, see :func:`read_excel`); a big CSV is read for its proposed mapping's
    columns (:func:`read_csv`). ``split``: a started :class:`lib.read.split.SplitRead` of a big
    workbook's largest sheet, or None. A Parquet file is read for its proposed mapping's columns too, its
    texts decoded and sized (:func:`lib.read.parquet.read_parquet`). Raises :class:`UserFacing` for what a
    person can fix: an unreadable file, a workbook with more rows than Excel allows, a cell longer than
    Excel allows, tables bigger than :func:`lib.read.limits.table_budget_mb` (CSV and Parquet files have no
    row limit). No memory or CPU limits of its own: :func:`main` sets them before calling it.
    """
    if kind == "csv":
        sheets = read_csv(path, rules, project)
    elif kind == "parquet":
        sheets = read_parquet(path, rules, project)
    else:
        sheets = read_excel(path, rules, split, project)
    _check_limits(sheets, kind)
    return sheets


def main(argv: list[str]) -> int:
    in_path, kind, out_dir, columns, address = argv[:5]
    project = columns == "mapped"
    _limit()
    rules = ImportedRules(address)
    out = Path(out_dir)
    split = None
    if kind == "xlsx":  # before any native reader is imported: the split forks this process
        from lib.read.split import SplitRead

        split = SplitRead.start(in_path, out, wanted(rules) if project else None,
                               partial(mapped_columns, rules=rules) if project else None)
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        sheets = read_sheets(in_path, cast("FileKind", kind), rules, project, split)
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
