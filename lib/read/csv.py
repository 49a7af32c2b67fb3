"""CSV text: its encoding, its separator, and its rows read into Arrow tables (in the parse child)."""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lib import config
from lib.errors import UserFacing
from lib.read.header import unique_names
from lib.read.limits import MAX_CELL_CHARS, MAX_COLUMNS

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


SEPARATORS = ",\t;|"  # the separators a CSV may use, in the order preferred when two fit its lines equally well
SNIFF_LINES = 50  # non-blank lines the separator is guessed from
HEAD_CHARS = 200_000  # characters of the file the header row is looked for in
_LINE_END = re.compile(r"\r\n|\r|\n")  # line ends as pandas' reader knows them (str.splitlines knows more)


def sniff_separator(lines: list[str]) -> str:
    """The separator of CSV text, from its first non-blank ``lines`` (at most ``SNIFF_LINES`` are looked at).

    Of ``SEPARATORS``, the one that occurs outside double quotes the same number of times on the most lines
    (then: the most times a line; then the earlier in ``SEPARATORS``); "," when none occurs. Linear in the
    characters looked at: :class:`csv.Sniffer`'s regular expressions backtrack, and 200 KB of ``,"`` took
    them minutes.
    """
    best, best_fit = ",", (0, 0)
    sample = lines[:SNIFF_LINES]
    for sep in SEPARATORS:
        counts = [n for n in (_outside_quotes(line, sep) for line in sample) if n]
        if not counts:
            continue
        tally = Counter(counts)
        usual = max(tally, key=lambda n: (tally[n], n))
        fit = (tally[usual], usual)
        if fit > best_fit:
            best, best_fit = sep, fit
    return best


def _outside_quotes(line: str, sep: str) -> int:
    return sum(part.count(sep) for part in line.split('"')[::2])  # even pieces lie outside quotes ("" toggles twice)


def count_fields(text: str, start: int, sep: str, limit: int) -> int:
    """Fields of the CSV record that begins at ``text[start]``, counted as far as ``limit + 1``.

    A quoted field may hold separators, doubled quotes and line breaks (a quote that is never closed takes
    the rest of the text). The work is bounded by ``limit`` fields, however long the record.
    """
    q_sep = re.escape(sep)
    field = re.compile(f'"[^"]*(?:""[^"]*)*"?[^{q_sep}\r\n]*|[^{q_sep}\r\n]*')
    pos, n = start, 0
    while n <= limit:
        match = field.match(text, pos)
        pos = match.end() if match else pos
        n += 1
        if pos >= len(text) or text[pos] != sep:
            break
        pos += 1
    return n


def head_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of the first ``HEADER_SCAN_ROWS * 3`` lines within the first ``HEAD_CHARS`` characters."""
    from lib.read.header import HEADER_SCAN_ROWS

    head = text[:HEAD_CHARS]
    out, pos = [], 0
    for m in _LINE_END.finditer(head):
        out.append((pos, head[pos:m.start()]))
        pos = m.end()
        if len(out) == HEADER_SCAN_ROWS * 3:
            return out
    if pos < len(head):
        out.append((pos, head[pos:]))
    return out


def without_nul(text: str) -> tuple[str, dict[str, Any]]:
    """The text with its NUL characters removed (no text has them: a broken export pads with them), and
    ``{"nul_removed": how many, "nul_lines": the first five lines (from 1) that had one}`` (empty: none)."""
    if "\x00" not in text:
        return text, {}
    first: list[int] = []
    line, at = 1, 0  # the line that begins at ``at``
    pos = text.find("\x00")
    while pos != -1 and len(first) < 5:
        line += _line_breaks(text, at, pos)
        first.append(line)
        end = _LINE_END.search(text, pos)
        if end is None:
            break
        line, at = line + 1, end.end()
        pos = text.find("\x00", at)
    return text.replace("\x00", ""), {"nul_removed": text.count("\x00"), "nul_lines": first}


def _line_breaks(text: str, start: int, end: int) -> int:
    return text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)


def _scan(lines: list[tuple[int, str]], sep: str) -> tuple[list[list[str]], list[int]]:
    """The first rows of the file as CSV records, and the offset in the text where each begins."""
    from lib.read.header import HEADER_SCAN_ROWS

    reader = csv.reader([ln for _, ln in lines[:HEADER_SCAN_ROWS]], delimiter=sep)
    rows: list[list[str]] = []
    starts: list[int] = []
    while True:
        at = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return rows, starts
        except csv.Error as exc:  # a field longer than the csv module allows (128 KB)
            record = "\n".join(ln for _, ln in lines[at:reader.line_num])
            raise UserFacing(_long_cell(record, sep, at + 1)) from exc
        rows.append(row)
        starts.append(lines[at][0])


def _long_cell(record: str, sep: str, line: int) -> str:
    parts = [""]
    for i, piece in enumerate(record.split('"')):
        if i % 2:  # inside quotes
            parts[-1] += piece
        else:
            first, *rest = piece.split(sep)
            parts[-1] += first
            parts += rest
    column = max(range(len(parts)), key=lambda i: len(parts[i]))
    return (f"Column {column + 1} of the CSV file's line {line:,} has a cell longer than the {MAX_CELL_CHARS:,} "
            "characters Excel allows in a cell. The file was not read; check its quotes, or export it again.")


def _header(text: str, sep: str, rules: ColumnRules) -> tuple[int, int]:
    """The header row: its index among the first records (pandas' ``skiprows``), after checking that it has at
    most :data:`lib.read.limits.MAX_COLUMNS` fields (a wider one is refused: renaming and reading that many
    columns is the whole cost of such a file)."""
    from lib.read.header import find_header_row

    lines = head_lines(text)
    scan, starts = _scan(lines, sep)
    nonblank = [i for i, r in enumerate(scan) if any(c.strip() for c in r)]
    rows = [scan[i] for i in nonblank]
    h = nonblank[find_header_row(rows, rules.names_field)] if rows else 0
    start = starts[h] if h < len(starts) else 0
    if count_fields(text, start, sep, MAX_COLUMNS) > MAX_COLUMNS:
        line = _line_breaks(text, 0, start) + 1
        raise UserFacing(f"The CSV file's header row (line {line:,}) has more than {MAX_COLUMNS:,} columns, more "
                         "than Excel allows. Check the separator, or export only the columns you need.")
    return h, start


def _names(frame: Any) -> list[str]:
    """The header (the frame's first row, read as data) as column names, made unique."""
    import pandas as pd

    return unique_names(["" if pd.isna(v) else str(v) for v in frame.iloc[0]]) if len(frame) else []


def read_csv(path: str, rules: ColumnRules, project: bool = False) -> list[dict[str, Any]]:
    """The CSV as one sheet. ``project``: a file of at least ``CSV_CHOOSE_MIN_BYTES`` is read for only the
    columns a mapping proposed from its first ``PEEK_ROWS`` rows uses (:meth:`ColumnRules.choose_columns`).

    The header row is read as data and named here (:func:`unique_names`): pandas' own renaming of repeated
    names scans the whole header for each one (minutes for 100,000 repeats). NUL characters are removed
    (the sheet's ``nul_removed`` and ``nul_lines`` say so).
    """
    import pandas as pd
    import pyarrow as pa

    from lib.read.header import PEEK_ROWS

    data = Path(path).read_bytes()
    size = len(data)
    text, encoding = decode_text(data)
    del data
    text, nul = without_nul(text)
    sep = sniff_separator([ln for _, ln in head_lines(text) if ln.strip()])
    h, _ = _header(text, sep, rules)
    options: dict[str, Any] = dict(sep=sep, header=None, skiprows=h, dtype=str, keep_default_na=False, na_values=[""],
                                   skip_blank_lines=True, engine="c", index_col=False, on_bad_lines="error")
    keep: list[int] | None = None
    names: list[str] = []
    if project and size >= CSV_CHOOSE_MIN_BYTES:
        try:
            head = pd.read_csv(io.StringIO(text), nrows=PEEK_ROWS + 1, **options)
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            head = None  # the whole read below says what is wrong
        if head is not None and len(head) > 1:
            names = _names(head)
            rows = head.iloc[1:].set_axis(names, axis=1)
            got = rules.choose_columns(pa.Table.from_pandas(rows, preserve_index=False))
            keep = got["keep"] if got is not None and not got.get("every") else None
    df = _read(text, keep, options)
    unread: list[str] = []
    if keep is not None:
        read = set(keep)
        unread = [n for i, n in enumerate(names) if i not in read]
        names = [names[i] for i in keep]
    else:
        names = _names(df)
    table = pa.Table.from_pandas(df.iloc[1:].set_axis(names, axis=1), preserve_index=False)
    return [{"name": "CSV", "table": table, "header_row": h, "encoding": encoding, "separator": sep, "unread": unread,
             **nul}]


def _read(text: str, keep: list[int] | None, options: dict[str, Any]) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(io.StringIO(text), usecols=keep, **options)
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            raise UserFacing('The CSV file has a quotation mark (") that is never closed, so the rest of the file '
                             "would be one cell. Check the quotes and export again.") from exc
        raise UserFacing(f"The CSV file has rows with more fields than its header ({str(exc).splitlines()[-1]}). "
                         "Check the separator or quotes and export again.") from exc
    except pd.errors.EmptyDataError as exc:
        raise UserFacing("The CSV file has no rows.") from exc
