"""CSV text: its encoding, its separator, and its rows read into Arrow tables (in the parse child)."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lib import config
from lib.errors import UserFacing
from lib.read.header import unique_names

if TYPE_CHECKING:
    from lib.schema import ColumnRules

ENCODINGS = ("gb18030", "shift_jis", "cp1252")


CSV_CHOOSE_MIN_BYTES = int(config.value("LTV_CSV_CHOOSE_MIN_BYTES"))  # smaller CSVs are read whole: it costs little


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


def read_csv(path: str, rules: ColumnRules, project: bool = False) -> list[dict[str, Any]]:
    """The CSV as one sheet. ``project``: a file of at least ``CSV_CHOOSE_MIN_BYTES`` is read for only the
    columns a mapping proposed from its first ``PEEK_ROWS`` rows uses (:meth:`ColumnRules.choose_columns`)."""
    import pandas as pd
    import pyarrow as pa

    from lib.read.header import HEADER_SCAN_ROWS, PEEK_ROWS, find_header_row

    data = Path(path).read_bytes()
    size = len(data)
    text, encoding = decode_text(data)
    del data
    head_lines = [ln for ln in text[:200_000].splitlines()[: HEADER_SCAN_ROWS * 3]]
    sep = _sniff_sep([ln for ln in head_lines if ln.strip()])
    scan = list(csv.reader(head_lines[:HEADER_SCAN_ROWS], delimiter=sep))
    nonblank = [i for i, r in enumerate(scan) if any(c.strip() for c in r)]
    rows = [scan[i] for i in nonblank]
    h = nonblank[find_header_row(rows, rules.names_field)] if rows else 0
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
            names = unique_names([str(c) for c in head.columns])
            got = rules.choose_columns(pa.Table.from_pandas(head.set_axis(names, axis=1), preserve_index=False))
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
        df.columns = unique_names([str(c) for c in df.columns])
    table = pa.Table.from_pandas(df, preserve_index=False)
    return [{"name": "CSV", "table": table, "header_row": h, "encoding": encoding, "separator": sep, "unread": unread}]
