"""Which column of a sheet is which field: the proposal for a workbook, a sheet's mapping, the recognised export."""
from __future__ import annotations

from typing import Any

import pandas as pd

from lib import coerce
from lib.i18n import translate
from lib.mapping.profiles import Profile, detect_profile, profile_by_key, profile_mapping
from lib.mapping.synonyms import last_name_column, match_contact, match_field
from lib.schema import NUMERIC_FIELDS, ORDER_FIELDS, Mapping, Proposal, SheetProposal, Workbook

ORDER_ROLE_FIELDS = ORDER_FIELDS


SPEND_ROLE_FIELDS = ("channel", "month", "spend", "touches", "adds", "cost_per_touch")


def _first_filled(s: pd.Series, n: int = 200) -> pd.Series:
    """The first ``n`` filled cells of a column; a million-row column is scanned only as far as needed."""
    head = s.head(25 * n).dropna()
    return (head if len(head) >= n else s.dropna()).head(n)


def _numeric_ok(s: pd.Series) -> bool:
    """Whether a column holds numbers (or money text) in at least half of its first 200 filled cells."""
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
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return True
    vals = _first_filled(s)
    if vals.empty:
        return True
    return bool(coerce.to_datetime(vals.astype("string")).values.notna().mean() >= 0.5)


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
    return _proposed(frame, fields, recognise(frame) if fields == ORDER_ROLE_FIELDS else None)


# a sheet's column names, the field each names (match_field) and the contact field each names (match_contact)
_Names = tuple[list[str], list[str | None], list[str | None]]


def _names(frame: pd.DataFrame) -> _Names:
    cols = [str(c) for c in frame.columns]
    return cols, [match_field(c) for c in cols], [match_contact(c) for c in cols]


def _proposed(frame: pd.DataFrame, fields: tuple[str, ...], profile: Profile | None,
              names: _Names | None = None) -> Mapping:
    cols, field_of, contact_of = names or _names(frame)
    mapping: Mapping = {}
    used: set[str] = set()
    named: set[str] = set()
    unreadable_dates: str | None = None
    if profile is not None:
        named = set(profile.columns)
        for pf, col in profile_mapping(profile, cols).items():
            mapping[pf] = col
            used.add(col)
    # a phone or email column is the customer id only when no other column names the customer
    contact_ids = {c for c, f, k in zip(cols, field_of, contact_of) if f == "customer_id" and k}
    id_elsewhere = any(f == "customer_id" and not k for f, k in zip(field_of, contact_of))
    for col, c, f in zip(frame.columns, cols, field_of):
        if f is None or f not in fields or f in mapping or f in named or c in used:
            continue
        if f == "customer_id" and id_elsewhere and c in contact_ids:
            continue
        if f in NUMERIC_FIELDS and not _numeric_ok(frame[col]):
            continue
        if f == "order_date" and not _date_ok(frame[col]):
            unreadable_dates = unreadable_dates or c
            continue
        mapping[f] = c
        used.add(c)
    if "order_date" in fields and "order_date" not in mapping and unreadable_dates and unreadable_dates not in used:
        mapping["order_date"] = unreadable_dates  # the only date column: its rows will say why they are unreadable
    for c, k in zip(cols, contact_of):  # how to reach the customer; the id's own column may also be the phone or email
        if (k is None or k not in fields or k in mapping or k in named
                or (c in used and mapping.get("customer_id") != c)):
            continue
        mapping[k] = c
        used.add(c)
    return mapping


def _is_orders(m: Mapping) -> bool:
    return "order_date" in m and ("amount" in m or {"quantity", "unit_price"} <= m.keys())


def _is_spend(m: Mapping, order_mapping: Mapping) -> bool:
    return "channel" in m and ("spend" in m or "cost_per_touch" in m) and "customer_id" not in order_mapping


def propose_sheet(frame: pd.DataFrame) -> SheetProposal:
    """One sheet's proposal: its columns as orders and as spend (:func:`propose_mapping`), and the export it is."""
    profile, names = recognise(frame), _names(frame)
    return SheetProposal(_proposed(frame, ORDER_ROLE_FIELDS, profile, names), _proposed(frame, SPEND_ROLE_FIELDS, None, names),
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
    base = list(frames[0].columns)
    return pd.concat([f.set_axis(base, axis=1) for f in frames], ignore_index=True)


def _needs_more(profile_key: str | None) -> bool:
    return profile_key is not None and profile_by_key(profile_key).needs is not None


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
    from lib.mapping.profiles import may_map
    from lib.mapping.synonyms import normalise_name

    unique = [str(c) for c in frame.columns]
    profile = recognise(frame)
    mapping = _proposed(frame, ORDER_ROLE_FIELDS, profile)
    if not _is_orders(mapping):
        return None
    use = set(mapping.values()) | {c for c in unique if is_currency_column(c)}
    if "customer_name" in mapping:
        last = last_name_column(mapping["customer_name"], unique)
        if last:
            use.add(last)
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


_MONEY_FIELDS = ("amount", "quantity", "unit_price", "refund_amount")
_ID_FIELDS = ("customer_id", "order_id", "referrer_id")


def implausible(frame: pd.DataFrame, mapping: Mapping) -> list[tuple[str, str, str]]:
    """Fields mapped to a column whose cells cannot be that field: (field, column, why).

    A money or quantity field needs numbers in at least half of its first 200 filled cells; the
    order date needs dates; a customer, order or referrer id mapped to a column of dates ("Order
    date" as the customer: every second a customer) is named too. Columns not in ``frame`` are skipped.
    """
    out = []
    for field, col in mapping.items():
        if col not in frame.columns:
            continue
        s = frame[col]
        if field in _MONEY_FIELDS and not _numeric_ok(s):
            out.append((field, col, "holds no numbers"))
        elif field == "order_date" and not _date_ok(s):
            out.append((field, col, "holds no dates"))
        elif field in _ID_FIELDS and _looks_like_dates(s):
            out.append((field, col, "holds dates"))
    return out


def _looks_like_dates(s: pd.Series) -> bool:
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
