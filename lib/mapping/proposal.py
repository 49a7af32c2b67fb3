"""Which column of a sheet is which field: the proposal for a workbook, a sheet's mapping, the recognised export.

Importing it costs no pandas: the parse child asks it about column names (:data:`RULES`), and a big sheet's
first rows are mapped from Arrow (:func:`columns_for_mapping`) before the sheet is read.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from lib.i18n import translate
from lib.mapping.profiles import Profile, detect_profile, profile_by_key, profile_mapping
from lib.mapping.synonyms import last_name_column, match_contact, match_field
from lib.schema import NUMERIC_FIELDS, ORDER_FIELDS, Mapping, Proposal, SheetProposal, Workbook, says_currency

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

ORDER_ROLE_FIELDS = ORDER_FIELDS


SPEND_ROLE_FIELDS = ("channel", "month", "spend", "touches", "adds", "cost_per_touch")


def _first_filled(s: pd.Series, n: int = 200) -> pd.Series:
    """The first ``n`` filled cells of a column; a million-row column is scanned only as far as needed."""
    head = s.head(25 * n).dropna()
    return (head if len(head) >= n else s.dropna()).head(n)


def _numeric_ok(s: pd.Series) -> bool:
    """Whether a column holds numbers (or money text) in at least half of its first 200 filled cells."""
    import pandas as pd

    from lib import coerce

    if pd.api.types.is_bool_dtype(s):
        return False
    if pd.api.types.is_numeric_dtype(s):
        return True
    vals = _first_filled(s)
    if vals.empty:
        return True
    return bool(coerce.to_money(vals.astype("string")).values.notna().mean() >= 0.5)


def _date_ok(s: pd.Series) -> bool:
    """Whether a column holds dates in at least half of its first 200 filled cells."""
    import pandas as pd

    from lib import coerce

    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return True
    vals = _first_filled(s)
    if vals.empty:
        return True
    return bool(coerce.to_datetime(vals.astype("string")).values.notna().mean() >= 0.5)


class _Columns(Protocol):
    """A sheet's columns as :func:`propose_mapping` asks about them: their names, and what their first cells hold."""

    names: list[str]

    def numeric_ok(self, i: int) -> bool:
        """Whether column ``i`` holds numbers (or money text) in at least half of its first 200 filled cells."""
        ...

    def date_ok(self, i: int) -> bool:
        """Whether column ``i`` holds dates in at least half of its first 200 filled cells."""
        ...


class _FrameColumns:
    """The columns of a sheet as read (a DataFrame)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.names = [str(c) for c in frame.columns]
        self._frame = frame

    def numeric_ok(self, i: int) -> bool:
        return _numeric_ok(self._frame.iloc[:, i])

    def date_ok(self, i: int) -> bool:
        return _date_ok(self._frame.iloc[:, i])


class _TableColumns:
    """The columns of a big sheet's first rows (an Arrow table), asked without pandas where the type answers:
    numbers, timestamps, booleans without blanks, empty columns. Any other column (text: money or dates
    written out) is read as :class:`_FrameColumns` reads it, with pandas."""

    def __init__(self, table: pa.Table) -> None:
        self.names = [str(c) for c in table.column_names]
        self._table = table

    def _by_type(self, i: int) -> tuple[bool, bool] | None:
        import pyarrow as pa

        column = self._table.column(i)
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_null(kind):
            return True, True
        if pa.types.is_timestamp(kind):
            return False, True  # no date's text reads as money
        if pa.types.is_boolean(kind) and column.null_count == 0:
            return False, True  # pandas counts a bool column as numbers, which may be Excel dates
        return None

    def numeric_ok(self, i: int) -> bool:
        known = self._by_type(i)
        return known[0] if known is not None else _numeric_ok(self._table.column(i).to_pandas())

    def date_ok(self, i: int) -> bool:
        known = self._by_type(i)
        return known[1] if known is not None else _date_ok(self._table.column(i).to_pandas())


def recognise(frame: pd.DataFrame) -> Profile | None:
    """The shop-system export (see :mod:`lib.mapping.profiles`) a sheet's header belongs to, if any."""
    return detect_profile([str(c) for c in frame.columns])


def propose_mapping(frame: pd.DataFrame, fields: tuple[str, ...] = ORDER_ROLE_FIELDS) -> Mapping:
    """Field -> source column, from the recognised export's profile, then column-name synonyms.

    A recognised export (Shopify, Taobao …) maps the fields its profile names;
    other fields, and every field of an unrecognised file, come from synonyms
    (English, 中文, 日本語): the first matching column wins, each column serves
    one field, and a column of text is never proposed for a numeric field
    (amount, quantity, unit price, refund amount) nor text that is not dates for
    the order date.
    """
    return _propose(_FrameColumns(frame), fields)


def _propose(columns: _Columns, fields: tuple[str, ...]) -> Mapping:
    mapping: Mapping = {}
    used: set[str] = set()
    named: set[str] = set()
    unreadable_dates: str | None = None
    names = columns.names
    profile = detect_profile(names) if fields == ORDER_ROLE_FIELDS else None
    if profile is not None:
        named = set(profile.columns)
        for pf, col in profile_mapping(profile, names).items():
            mapping[pf] = col
            used.add(col)
    # a phone or email column is the customer id only when no other column names the customer
    contact_ids = [c for c in names if match_field(c) == "customer_id" and match_contact(c)]
    id_elsewhere = any(match_field(c) == "customer_id" and not match_contact(c) for c in names)
    for i, col in enumerate(names):
        f = match_field(col)
        if f is None or f not in fields or f in mapping or f in named or col in used:
            continue
        if f == "customer_id" and id_elsewhere and col in contact_ids:
            continue
        if f in NUMERIC_FIELDS and not columns.numeric_ok(i):
            continue
        if f == "order_date" and not columns.date_ok(i):
            unreadable_dates = unreadable_dates or col
            continue
        mapping[f] = col
        used.add(col)
    if "amount" in fields and "amount" not in mapping and "subtotal" in mapping and "amount" not in named:
        # a subtotal is the only money (it was the amount before the subtotal was a field): it is the amount, and
        # nothing is taken off it for net sales
        mapping["amount"] = mapping.pop("subtotal")
        for f in ("tax", "shipping"):
            mapping.pop(f, None)
    if "order_date" in fields and "order_date" not in mapping and unreadable_dates and unreadable_dates not in used:
        mapping["order_date"] = unreadable_dates  # the only date column: its rows will say why they are unreadable
    for col in names:  # how to reach the customer; the id's own column may also be the phone or email
        f = match_contact(col)
        if (f is None or f not in fields or f in mapping or f in named
                or (col in used and mapping.get("customer_id") != col)):
            continue
        mapping[f] = col
        used.add(col)
    return mapping


def _is_orders(m: Mapping) -> bool:
    return "order_date" in m and ("amount" in m or {"quantity", "unit_price"} <= m.keys())


def _is_spend(m: Mapping, order_mapping: Mapping) -> bool:
    return "channel" in m and ("spend" in m or "cost_per_touch" in m) and "customer_id" not in order_mapping


def propose_sheet(frame: pd.DataFrame) -> SheetProposal:
    """One sheet's proposal: its columns as orders and as spend (:func:`propose_mapping`), and the export it is."""
    profile, columns = recognise(frame), _FrameColumns(frame)
    return SheetProposal(_propose(columns, ORDER_ROLE_FIELDS), _propose(columns, SPEND_ROLE_FIELDS),
                         profile.key if profile is not None else None)


def propose(wb: Workbook) -> Proposal:
    """Which sheet(s) hold the orders, which the spend, and which column is which field (:class:`lib.schema.Proposal`).

    Every sheet is proposed once (:func:`propose_sheet`). A sheet looks like
    orders when its mapping has an order date and an amount (or quantity and
    unit price) and its export can be used on its own; of those, sheets with a
    customer column come first, then the largest, and the sheets with the same
    columns as that one (one sheet a year) are all used, in workbook order. No
    such sheet: the first. The spend sheet is the first whose spend mapping has
    a channel and spend (or cost per touch) and that has no customer column.
    """
    sheets = {s.name: propose_sheet(s.frame) for s in wb.sheets}
    orders = [s for s in wb.sheets
              if _is_orders(sheets[s.name].orders) and not _needs_more(sheets[s.name].profile)]
    spend = next((n for n, p in sheets.items() if _is_spend(p.spend, p.orders)), None)
    if orders:
        main = max(orders, key=lambda s: ("customer_id" in sheets[s.name].orders, len(s.frame)))
        cols = [str(c).strip().lower() for c in main.frame.columns]
        names = tuple(s.name for s in orders if [str(c).strip().lower() for c in s.frame.columns] == cols)
    else:
        names = (wb.sheets[0].name,)
    mapping = sheets[names[0]].orders if len(names) == 1 else propose_mapping(combined(wb, list(names)))
    return Proposal(names, mapping, spend, sheets)


def proposed_order_mapping(proposal: Proposal, wb: Workbook, names: list[str]) -> Mapping:
    """The mapping proposed for the orders of sheet(s) ``names`` (combined): the proposal's, else proposed for them."""
    if tuple(names) == proposal.orders_sheets:
        return dict(proposal.order_mapping)
    if len(names) == 1:
        return dict(proposal.sheets[names[0]].orders)
    return propose_mapping(combined(wb, names))


def combined(wb: Workbook, names: list[str]) -> pd.DataFrame:
    """Sheets ``names`` as one table, in that order, under the first one's column names."""
    frames = [wb.sheet(n).frame for n in names]
    if len(frames) == 1:
        return frames[0]
    import pandas as pd

    base = list(frames[0].columns)
    return pd.concat([f.set_axis(base, axis=1) for f in frames], ignore_index=True)


def _needs_more(profile_key: str | None) -> bool:
    return profile_key is not None and profile_by_key(profile_key).needs is not None


def columns_for_mapping(table: pa.Table) -> dict[str, Any] | None:
    """The columns a mapping proposed from a sheet's first rows (``table``: Arrow, unique column names) reads.

    ``{"keep": [positions in table]}``: the proposed mapping's columns, the
    currency's, the last name that completes a first name, and the recognised
    export's signature (so it is recognised again). None (read every column a
    mapping may use) when the sheet does not look like orders, nearly every
    column would be read, or some of the first rows differ only in columns the
    mapping leaves out; ``{"keep": every position, "every": True}`` (read every
    column) when some differ only in columns no rule maps: leaving those out
    would make them exact duplicates. The mapping is the one :func:`propose_mapping`
    proposes from the same rows; pandas is imported only to read text as money or dates.
    """
    from lib.mapping.profiles import may_map
    from lib.mapping.synonyms import normalise_name

    unique = [str(c) for c in table.column_names]
    mapping = _propose(_TableColumns(table), ORDER_ROLE_FIELDS)
    if not _is_orders(mapping):
        return None
    use = set(mapping.values()) | {c for c in unique if says_currency(c)}
    if "customer_name" in mapping:
        last = last_name_column(mapping["customer_name"], unique)
        if last:
            use.add(last)
    profile = detect_profile(unique)
    if profile is not None:
        have = {normalise_name(c): c for c in reversed(unique)}
        use |= {have[normalise_name(s)] for s in profile.signature if normalise_name(s) in have}
    keep = sorted(unique.index(c) for c in use)
    if len(keep) < 2:
        return None
    rows = _Rows(table)
    if rows.more_duplicates([i for i, c in enumerate(unique) if may_map(c)]):
        # rows told apart only by columns no rule maps would count as exact duplicates of each other
        return {"keep": list(range(len(unique))), "every": True}
    if len(keep) > 0.75 * len(unique) or rows.more_duplicates(keep):
        return None  # little to leave out, or rows told apart by columns the mapping leaves out
    return {"keep": keep}


class _Rows:
    """A table's rows as codes (each column's distinct values numbered, blank -1), to count exact duplicates
    without pandas."""

    def __init__(self, table: pa.Table) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        self._codes = np.full((table.num_rows, table.num_columns), -1, np.int64)
        for i, column in enumerate(table.columns):
            if pa.types.is_null(column.type) or column.null_count == len(column):
                continue
            codes = pc.dictionary_encode(column.combine_chunks()).indices  # int32, blank cells null
            # read from its buffers (to_numpy would import pandas)
            self._codes[:, i] = np.frombuffer(codes.buffers()[1], np.int32, len(codes), codes.offset * 4)
            if codes.null_count:
                bits = np.unpackbits(np.frombuffer(codes.buffers()[0], np.uint8), bitorder="little")
                self._codes[bits[codes.offset:codes.offset + len(codes)] == 0, i] = -1

    def more_duplicates(self, columns: list[int]) -> bool:
        """Whether the rows cut to ``columns`` hold more exact duplicates than the whole rows (rows blank in
        ``columns`` left out of both counts: they are dropped as blank, not as duplicates)."""
        read = self._codes[:, columns]
        filled = (read >= 0).any(axis=1)
        return len(set(map(bytes, read[filled]))) < len(set(map(bytes, self._codes[filled])))  # distinct rows


def missing_fields_message(mapping: Mapping, frame: pd.DataFrame) -> str | None:
    need = []
    if "order_date" not in mapping:
        need.append("order date")
    if "amount" not in mapping and not {"quantity", "unit_price"} <= mapping.keys():
        need.append("amount (or quantity and unit price)")
    if not need:
        return None
    cols = ", ".join(str(c) for c in list(frame.columns)[:20])
    return f"No {' / '.join(need)} column found. Columns in the file: {cols}. Choose the right columns in the mapping."


_ID_FIELDS = ("customer_id", "order_id", "referrer_id")


def implausible(frame: pd.DataFrame, mapping: Mapping) -> list[tuple[str, str, str]]:
    """Fields mapped to a column whose cells cannot be that field: (field, column, why).

    A money or quantity field needs numbers in at least half of its first 200 filled cells (a column
    whose cells all say blank, as Youzan's ``——``, is only empty); the order date needs dates; a
    customer, order or referrer id mapped to a column of dates ("Order date" as the customer: every
    second a customer) is named too. Columns not in ``frame`` are skipped.
    """
    out = []
    for field, col in mapping.items():
        if col not in frame.columns:
            continue
        s = frame[col]
        if field in NUMERIC_FIELDS and not _numeric_ok(s) and not _blank_words_only(s):
            out.append((field, col, "holds no numbers"))
        elif field == "order_date" and not _date_ok(s):
            out.append((field, col, "holds no dates"))
        elif field in _ID_FIELDS and _looks_like_dates(s):
            out.append((field, col, "holds dates"))
    return out


def _blank_words_only(s: pd.Series) -> bool:
    from lib import coerce

    vals = _first_filled(s)
    return bool(len(vals)) and bool(coerce.is_blank(vals).all())


def _looks_like_dates(s: pd.Series) -> bool:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    vals = _first_filled(s)
    if vals.empty or pd.api.types.is_numeric_dtype(vals):
        return False
    text = vals.astype("string")
    looks = text.str.fullmatch(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}.*|\d{1,2}/\d{1,2}/\d{2,4}.*")
    return bool(looks.fillna(False).mean() >= 0.5)


_WHY_ZH = {"holds no numbers": "其中没有数字", "holds no dates": "其中没有日期", "holds dates": "其中是日期"}


def implausible_message(problems: list[tuple[str, str, str]], lang: str = "en") -> str:
    """One sentence naming each implausible mapping (:func:`implausible`), for a person, in ``lang``."""
    if lang == "zh":
        parts = [f"列「{col}」被映射为“{translate(field, 'zh')}”，但{_WHY_ZH[why]}" for field, col, why in problems]
        return "请检查列映射：" + "；".join(parts) + "。"
    parts = [f"column '{col}' is mapped as the {field.replace('_', ' ')} but {why}" for field, col, why in problems]
    return "Check the mapping: " + "; ".join(parts) + "."
