"""Find the header row of a sheet whose first lines may be titles or blank."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

HEADER_SCAN_ROWS = 30
PEEK_ROWS = 5_000  # rows a mapping is proposed from before a big file is read for its columns (ingest._first_filled)
_NUMERIC_RE = re.compile(r"^[\s$€£¥￥%+\-.,:/0-9]*$")


def _is_label(value: object) -> bool:
    if value is None:
        return False
    text = str(value).strip()
    if not text or text.lower() in {"nan", "none", "nat"}:
        return False
    return not _NUMERIC_RE.match(text)


def _filled(value: object) -> bool:
    return value is not None and str(value).strip().lower() not in {"", "nan", "none", "nat"}


def find_header_row(rows: Sequence[Sequence[object]], names_field: Callable[[str], bool]) -> int:
    """Index of the header among the first rows of a sheet.

    Parameters
    ----------
    rows
        The first rows (up to ``HEADER_SCAN_ROWS``), cells as read.
    names_field
        Whether a cell's text names a field (:meth:`lib.schema.ColumnRules.names_field`).

    Returns
    -------
    int
        0-based index of the row whose cells name the columns: the row with the
        most cells that match a known field name (any language); if none match,
        the first row where at least two cells are filled, all filled cells are
        text labels and they cover at least 60% of the widest row.
    """
    rows = list(rows)[:HEADER_SCAN_ROWS]
    if not rows:
        return 0
    widest = max(sum(_filled(v) for v in r) for r in rows)
    best, best_hits = -1, 0
    for i, row in enumerate(rows):
        hits = sum(1 for v in row if _is_label(v) and names_field(str(v)))
        if hits > best_hits:
            best, best_hits = i, hits
    if best >= 0 and best_hits >= 2:
        return best
    for i, row in enumerate(rows):
        filled = [v for v in row if _filled(v)]
        if len(filled) >= 2 and all(_is_label(v) for v in filled) and len(filled) >= 0.6 * widest:
            return i
    return max(best, 0)


def unique_names(names: list[str]) -> list[str]:
    """Column names with no two alike, in time linear in their number.

    Each name is stripped; a blank one or a reader's placeholder ("Unnamed: 3", "__UNNAMED__3") becomes
    "column N" (N: its position from 1). The first of equal names keeps it; each later one gets the next
    " (2)", " (3)" ... that no other name has, so ``["x", "x", "x (2)"]`` gives ``["x", "x (3)", "x (2)"]``.
    """
    plain = []
    for i, n in enumerate(names):
        n = n.strip()
        if not n or n.startswith("Unnamed: ") or n.startswith("__UNNAMED__"):
            n = f"column {i + 1}"
        plain.append(n)
    taken = set(plain)  # every name as written: a suffix never takes one of them
    first: set[str] = set()
    suffix: dict[str, int] = {}  # the next suffix to try for each repeated name: only grows, so the work is linear
    out = []
    for n in plain:
        if n not in first:
            first.add(n)
            out.append(n)
            continue
        k = suffix.get(n, 2)
        while f"{n} ({k})" in taken:
            k += 1
        suffix[n] = k + 1
        taken.add(f"{n} ({k})")
        out.append(f"{n} ({k})")
    return out
