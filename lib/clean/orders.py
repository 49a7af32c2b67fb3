"""The single input boundary: a user's file in, canonical tables and a quality report out.

``load(source)`` does everything: vets the file, parses it in a resource-limited
child process, finds the orders (and spend) sheet, proposes a column mapping,
coerces types, turns line items into orders, separates refunds and counts
every dropped or changed row by reason. Any problem a person can fix raises
:class:`lib.errors.DataError` with one sentence for them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lib import coerce
from lib.errors import DataError
from lib.mapping import ORDER_ROLE_FIELDS, missing_fields_message, propose_mapping
from lib.mapping.profiles import STATUS_CLASSES, classify_status
from lib.mapping.synonyms import last_name_column
from lib.schema import (
    CONTACT_FIELDS,
    LINE_COLUMNS,
    LINE_FIELDS,
    NO_CHANNEL,
    ORDER_COLUMNS,
    REFUND_COLUMNS,
    Mapping,
    QualityReport,
    Workbook,
)

# --------------------------------------------------------------------------- reading


# --------------------------------------------------------------------------- mapping


# --------------------------------------------------------------------------- cleaning


def _blank_rows(df: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is empty or whitespace.

    Cheap checks first: a row with any number or date is not blank, and text
    columns are stripped only on the rows still in doubt (usually none after
    the first full column), so a million rows cost little.
    """
    cand = np.ones(len(df), dtype=bool)
    text_cols = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s):
            cand &= s.isna().to_numpy()
        else:
            text_cols.append(col)
    for col in sorted(text_cols, key=lambda c: int(df[c].isna().sum())):  # fullest column first
        if not cand.any():
            break
        s = df[col]
        check = cand & s.notna().to_numpy()
        if check.any():
            filled = s[check].astype("string").str.strip().fillna("").ne("").to_numpy()
            cand[np.flatnonzero(check)[filled]] = False
    return pd.Series(cand, index=df.index)


def _duplicate_rows(df: pd.DataFrame, ids_unique: bool) -> pd.Series:
    """Exact duplicate rows after the first (like ``df.duplicated()``).

    When the order ids are complete and unique (``ids_unique``), no two rows
    can be equal, and the costly full-row comparison is skipped.
    """
    if ids_unique:
        return pd.Series(False, index=df.index)
    return df.duplicated(keep="first")


def _unique_complete(ids: pd.Series) -> bool:
    if not ids.notna().all():
        return False
    return len(pd.factorize(ids)[1]) == len(ids)  # factorize: about half the time of is_unique on arrow strings


@dataclass
class Cleaned:
    """What :func:`clean_orders` gives: canonical orders, refunds and order lines (see :mod:`lib.schema`)."""

    orders: pd.DataFrame
    refunds: pd.DataFrame
    lines: pd.DataFrame | None
    customer_level: bool
    order_level: frozenset[str]
    contacts: pd.DataFrame | None = None


class _Groups:
    """Rows grouped by order id, in file order: codes, first row of each order, rows of multi-row orders."""

    def __init__(self, oid: pd.Series) -> None:
        self.codes = pd.factorize(oid)[0]
        sizes = np.bincount(self.codes)
        self.multi = sizes[self.codes] > 1
        first_pos = np.full(len(sizes), len(self.codes), dtype=np.int64)
        np.minimum.at(first_pos, self.codes, np.arange(len(self.codes)))
        self.first = np.zeros(len(self.codes), dtype=bool)
        self.first[first_pos] = True
        self.n_multi = int((sizes > 1).sum())


def _carry_down(df: pd.DataFrame, groups: _Groups, mapping: Mapping, order_level: set[str],
                report: QualityReport) -> tuple[pd.DataFrame, set[str]]:
    """Order fields written only on an order's first row (Shopify), copied to its other rows.

    A field is carried when it is declared order-level by the export's profile,
    or when its column is blank on (nearly) every later row of multi-row orders
    and filled on (nearly) every first row. Returns the frame and the fields carried.
    """
    later = ~groups.first
    firsts = groups.first & groups.multi
    if not later.any():
        return df, set()
    new_cols: dict[str, pd.Series] = {}
    carried: set[str] = set()
    touched = np.zeros(len(df), dtype=bool)
    for f, col in mapping.items():
        if f == "order_id" or f in LINE_FIELDS or col in new_cols:
            continue
        s = df[col]
        blank = coerce.is_blank(s).to_numpy()
        if not blank[later].any():
            continue
        first_only = blank[later].mean() >= 0.95 and (~blank[firsts]).mean() >= 0.95
        if not (first_only or f in order_level):
            continue
        filled = s.mask(blank).groupby(groups.codes, sort=False).ffill()
        got = blank & filled.notna().to_numpy()
        if got.any():
            new_cols[col] = filled
            carried.add(f)
            touched |= got
    if not new_cols:
        return df, set()
    report.add("order fields written only on an order's first row, copied to its other lines", int(touched.sum()), "changed")
    report.notes.append("Copied from each order's first row to its other lines: "
                        + ", ".join(f for f in ORDER_ROLE_FIELDS if f in carried) + ".")
    df = df.copy()
    for col, s in new_cols.items():
        df[col] = s
    return df, carried


def _constant_in_orders(values: pd.Series, groups: _Groups) -> bool:
    """True when a money column repeats one value on every line of every multi-row order (3 or more such
    orders; zero lines, such as free gifts, ignored): it is the order's total, not a line's amount."""
    if groups.n_multi < 3:
        return False
    v = values.to_numpy(dtype=float, na_value=np.nan)
    keep = groups.multi & np.isfinite(v) & (v != 0)
    if not keep.any():
        return False
    s = pd.Series(v[keep])
    per = s.groupby(groups.codes[keep], sort=False).nunique()
    return bool(len(per) >= 3 and (per <= 1).all())


_MASK_RE = r"\*{3,}|密文|^#{2}|^\${2}|^\*+$"


def _masked(ids: pd.Series) -> pd.Series:
    """Ids a shop system masked for privacy: 186******05, ##密文, $$…, ***.

    Literal checks first (one pass each over the Arrow strings), the pattern only where one of them hit.
    """
    arr = pa.chunked_array([pa.array([], pa.string())]) if ids.empty else pa.array(ids.array, from_pandas=True)
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    hit = pc.or_(pc.or_(pc.match_substring(arr, "*"), pc.match_substring(arr, "密文")),
                 pc.or_(pc.starts_with(arr, "##"), pc.starts_with(arr, "$$")))
    hit = np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
    out = pd.Series(hit, index=ids.index)
    if hit.any():
        out &= ids.str.contains(_MASK_RE, regex=True).fillna(False).astype(bool)
    return out


def _contact_values(df: pd.DataFrame, column: str, field: str) -> tuple[pd.Series, int]:
    """A contact column as text, and how many of its values were masked: phones read as numbers lose their ".0"
    (and Taobao's leading apostrophe goes), a first-name column is completed with the file's matching last-name
    column; blanks ("", "——") and masked values (186******05, 王*, ##密文: no use to reach anyone) are <NA>."""
    text = coerce.to_text_id(df[column]).values if field == "phone" else coerce.unwrap_text(df[column]).astype("string")
    text = text.mask(coerce.is_blank(text, text), pd.NA)
    if field == "customer_name":
        last = last_name_column(column, [str(c) for c in df.columns])
        if last is not None:
            family = coerce.unwrap_text(df[last]).astype("string")
            family = family.mask(coerce.is_blank(family, family), pd.NA).fillna("")
            text = (text.fillna("") + " " + family).str.strip()
            text = text.mask(text == "", pd.NA)
    masked = _masked(text) | text.str.contains("*", regex=False).fillna(False)  # 王*, a***@x.com
    return text.mask(masked, pd.NA), int(masked.sum())


def _lines_frame(df: pd.DataFrame, mapping: Mapping, order_ids: pd.Series, amount: pd.Series) -> pd.DataFrame:
    """Order lines (see :data:`lib.schema.LINE_COLUMNS`) from line rows of a sheet."""
    idx = df.index
    product = coerce.unwrap_text(df[mapping["product"]]) if "product" in mapping else pd.Series(pd.NA, index=idx, dtype="string")
    lines = pd.DataFrame({
        "order_id": order_ids.astype("string"),
        "product": product.mask(coerce.is_blank(product, product), pd.NA).astype("string"),
        "sku": (coerce.to_text_id(df[mapping["sku"]]).values if "sku" in mapping
                else pd.Series(pd.NA, index=idx, dtype="string")),
        "quantity": coerce.to_money(df[mapping["quantity"]]).values if "quantity" in mapping else pd.Series(np.nan, index=idx),
        "amount": amount.astype("float64"),
    })
    return lines[list(LINE_COLUMNS)].reset_index(drop=True)


def lines_from_other_sheet(wb: Workbook, used: list[str], orders: pd.DataFrame, report: QualityReport) -> pd.DataFrame | None:
    """Order lines from another sheet of the workbook whose order ids are the orders' (Taobao 千牛: 订单报表 +
    销售明细): lines of kept orders only."""
    for s in wb.sheets:
        if s.name in used:
            continue
        m = propose_mapping(s.frame)
        if "order_id" not in m or not ({"product", "sku"} & m.keys()):
            continue
        oid = coerce.to_text_id(s.frame[m["order_id"]]).values
        hit = coerce.ids_in(oid, orders["order_id"])
        if not hit.any() or hit.mean() < 0.5:
            continue
        rows = s.frame.loc[hit]
        amount = pd.Series(np.nan, index=rows.index)
        if {"quantity", "unit_price"} <= m.keys():
            amount = coerce.to_money(rows[m["quantity"]]).values * coerce.to_money(rows[m["unit_price"]]).values
        lines = _lines_frame(rows, m, oid[hit], amount)
        note = f"Products read from sheet '{s.name}': {len(lines):,} lines of {lines['order_id'].nunique():,} orders."
        if (~hit).sum():
            note += (f" Left out: {int((~hit).sum()):,} of its lines, whose orders are not kept (cancelled, unpaid "
                     "or not in the orders sheet).")
        report.notes.append(note)
        return lines
    return None


def _to_orders(rows: pd.DataFrame, level: frozenset[str], unique: bool, report: QualityReport | None = None) -> pd.DataFrame:
    """One row per order id from line rows: money summed, or taken once when it is order-level.

    With a ``report``, rows of orders whose lines name several customers are counted (the first customer is kept).
    """
    if unique or rows["order_id"].is_unique:
        return rows.reset_index(drop=True)
    g = rows.groupby("order_id", sort=False, observed=True)
    if report is not None:
        multi_customer = g["customer_id"].nunique() > 1
        if multi_customer.any():
            report.add("order id used by several customers (first customer kept)",
                       int(coerce.ids_in(rows["order_id"], multi_customer[multi_customer].index).sum()), "changed")
    aggs = dict(
        customer_id=("customer_id", "first"), order_date=("order_date", "min"),
        amount=("amount", "first" if "amount" in level else "sum"),
        channel=("channel", "first"), referrer_id=("referrer_id", "first"), is_member=("is_member", "max"),
    )
    for col in ("discount_code",) + CONTACT_FIELDS:
        if col in rows.columns:
            aggs[col] = (col, "first")  # the first code, name … written on the order's lines
    if "refund" in rows.columns:
        aggs.update(refund=("refund", "first" if "refund_amount" in level else "sum"), refunded=("refunded", "max"),
                    partial=("partial", "max"))
    out = g.agg(**aggs).reset_index()
    for col in ("order_id", "customer_id", "channel", "referrer_id", "discount_code") + CONTACT_FIELDS:
        if col in out.columns:
            out[col] = out[col].astype("string")
    out["is_member"] = out["is_member"].astype(bool)
    return out


def clean_orders(raw: pd.DataFrame, mapping: Mapping, report: QualityReport,
                 order_level: tuple[str, ...] = ()) -> Cleaned:
    """Canonical orders, refunds and order lines from a raw orders sheet and a field mapping.

    Steps, each counted in ``report``: blank rows and exact duplicate rows
    dropped; order fields written only on an order's first line copied to its
    other lines; ids, dates and amounts coerced; rows without a readable date
    or amount, or without a customer, dropped. Then every row is one of:

    - a refund row (negative amount, or an invoice "C" + number): a refund;
    - a row whose status says cancelled, closed, failed or not paid, or
      refunded in full when the file has no refund-amount column: kept apart
      as "cancelled" (not an order, not revenue);
    - a sale: line rows are merged per order id; money is summed, or taken
      once per order when it is order-level (``order_level`` from the export's
      profile, carried down, or the same on every line of every multi-row
      order). A refund-amount column adds one refund per order; an order of
      zero amount (a gift) is kept apart as "free".

    Customer ids that are masked (``***``, ``##密文``) on most rows, or no
    customer column, make the data order-level only (``customer_level`` False;
    each order stands for its own customer so that order figures still work).
    """
    msg = missing_fields_message(mapping, raw)
    if msg:
        raise DataError(msg)
    for f, col in mapping.items():
        if col not in raw.columns:
            raise DataError(f"The mapping points {f} to a column '{col}' that the sheet does not have.")
    df = raw
    blank = _blank_rows(df)
    report.add("blank row", int(blank.sum()), "dropped")
    df = df.loc[~blank]
    raw_ids_unique = "order_id" in mapping and _unique_complete(raw[mapping["order_id"]])
    dup = _duplicate_rows(df, raw_ids_unique)
    report.add("exact duplicate row", int(dup.sum()), "dropped")
    df = df.loc[~dup]

    order_id = coerce.to_text_id(df[mapping["order_id"]]) if "order_id" in mapping else None
    if order_id is not None:
        report.add("order id read as a number (12417.0 → 12417)", order_id.changed, "changed")
        report.add("order id written in scientific notation by Excel (its digits are lost; such orders may merge)",
                   coerce.scientific_ids(order_id.values), "changed")
        oid = order_id.values
    else:
        oid = pd.Series(pd.NA, index=df.index, dtype="string")
    missing_oid = oid.isna()
    if missing_oid.any():
        oid = oid.copy()
        oid[missing_oid] = ("row-" + pd.Series(np.arange(len(df)), index=df.index).astype("string"))[missing_oid]
        if "order_id" in mapping:
            report.add("order id missing (each such row is its own order)", int(missing_oid.sum()), "changed")
    # ids unique and complete in the sheet, and not rewritten (12417.0 -> 12417), are unique orders
    ids_unique = order_id is not None and order_id.changed == 0 and raw_ids_unique
    level = set(order_level)
    groups = None if ids_unique else _Groups(oid)
    if groups is not None and "order_id" in mapping:
        df, carried = _carry_down(df, groups, mapping, level, report)
        level |= carried & {"amount", "refund_amount"}

    out = pd.DataFrame(index=df.index)
    out["order_id"] = oid
    customer_level = "customer_id" in mapping
    if customer_level:
        cust = coerce.to_text_id(df[mapping["customer_id"]])
        report.add("customer id read as a number (12417.0 → 12417)", cust.changed, "changed")
        cid = cust.values
        masked = _masked(cid)
        if masked.any():
            if masked.sum() >= 0.5 * cid.notna().sum():
                customer_level = False
                report.notes.append(
                    f"Buyers are masked in this file ({int(masked.sum()):,} of {int(cid.notna().sum()):,} customer ids, "
                    f"e.g. {cid[masked].iloc[0]}): customers, repurchase, cohorts, LTV, CAC and referrals cannot be "
                    "computed from it. Order-level figures only.")
            else:
                report.add("customer id masked (***): treated as missing", int(masked.sum()), "changed")
                cid = cid.mask(masked, pd.NA)
        out["customer_id"] = cid
    else:
        report.notes.append("The file has no customer column: customers, repurchase, cohorts, LTV, CAC and referrals "
                            "cannot be computed from it. Order-level figures only. Choose the customer column in "
                            "the mapping if the file has one.")
    dates = coerce.to_datetime(df[mapping["order_date"]])
    report.add("date given as an Excel serial number", dates.changed, "changed")
    out["order_date"] = dates.values

    line_amount = None
    if {"quantity", "unit_price"} <= mapping.keys():
        qty_c = coerce.to_money(df[mapping["quantity"]])
        price = coerce.to_money(df[mapping["unit_price"]])
        line_amount = qty_c.values * price.values
    if "amount" in mapping:
        money = coerce.to_money(df[mapping["amount"]])
        report.add("amount written as text with symbols or separators", money.changed, "changed")
        amount = money.values
        if groups is not None and "amount" not in level and _constant_in_orders(amount, groups):
            level.add("amount")
            report.notes.append("The amount repeats on every line of an order: it is the order's total and is "
                                "counted once per order.")
        if line_amount is not None and "amount" not in level:
            filled = amount.isna() & line_amount.notna()
            report.add("amount computed as quantity × unit price", int(filled.sum()), "changed")
            amount = amount.where(~filled, line_amount)
    else:
        assert line_amount is not None
        report.add("amount computed as quantity × unit price", int(line_amount.notna().sum()), "changed")
        amount = line_amount
    out["amount"] = amount
    if line_amount is None and "amount" not in level:
        line_amount = amount
    if "channel" in mapping:
        ch = coerce.unwrap_text(df[mapping["channel"]])
        names = pd.Series(ch.dropna().unique(), dtype="string")  # a handful of channels: check the names, not the rows
        blank_names = names[coerce.is_blank(names, names).to_numpy()]
        if len(blank_names):
            ch = ch.mask(ch.isin(blank_names), pd.NA)
        report.add("channel missing (shown as “(none)”)", int(ch.isna().sum()), "changed")
        out["channel"] = ch.fillna(NO_CHANNEL)
    else:
        out["channel"] = NO_CHANNEL
    out["channel"] = out["channel"].astype("string")
    if "referrer_id" in mapping:
        out["referrer_id"] = coerce.to_text_id(df[mapping["referrer_id"]]).values
    else:
        out["referrer_id"] = pd.Series(pd.NA, index=df.index, dtype="string")
    if "is_member" in mapping:
        flag = coerce.to_flag(df[mapping["is_member"]])
        report.add("member flag not recognised (read as no)", flag.changed, "changed")
        out["is_member"] = flag.values
    else:
        out["is_member"] = False
    if "discount_code" in mapping:  # kept per order: cohorts by the code of the first order
        code = coerce.unwrap_text(df[mapping["discount_code"]]).astype("string").str.strip()
        out["discount_code"] = code.mask(code == "", pd.NA)
    for f in CONTACT_FIELDS:  # carried per order until orders are merged, then one row per customer (Dataset.contacts)
        if f in mapping:
            out[f], masked = _contact_values(df, mapping[f], f)
            if f == "phone":
                report.add("phone masked by the platform (no use to reach anyone): left empty", masked, "changed")
            elif f == "email":
                report.add("email masked by the platform (no use to reach anyone): left empty", masked, "changed")
            else:
                report.add("name masked by the platform (no use to reach anyone): left empty", masked, "changed")

    # what each row is: status words (lib.mapping.profiles.STATUS_WORDS), after-sales status, a cancellation column
    none = pd.Series(pd.Categorical.from_codes(np.full(len(df), STATUS_CLASSES.index("none"), dtype=np.int8),
                                               categories=list(STATUS_CLASSES)), index=df.index)
    status = classify_status(df[mapping["status"]]) if "status" in mapping else none
    after = classify_status(df[mapping["refund_status"]]) if "refund_status" in mapping else none
    cancelled = (status == "cancelled") | (after == "cancelled")
    if "cancelled_at" in mapping:
        cancelled |= ~coerce.is_blank(df[mapping["cancelled_at"]])
    unpaid = (status == "unpaid") & ~cancelled
    refunded = ((status == "refunded") | (after == "refunded")) & ~cancelled & ~unpaid
    partial = ((status == "partially_refunded") | (after == "partially_refunded")) & ~cancelled & ~unpaid & ~refunded
    has_refund_col = "refund_amount" in mapping
    if has_refund_col:
        ref = coerce.to_money(df[mapping["refund_amount"]])
        report.add("refund amount written as text with symbols or separators", ref.changed, "changed")
        refund_col = ref.values.abs()
        if groups is not None and "refund_amount" not in level and _constant_in_orders(refund_col, groups):
            level.add("refund_amount")
    else:
        refund_col = pd.Series(np.nan, index=df.index)
    money_back = has_refund_col or bool(refunded.any()) or bool(partial.any())
    if money_back:  # helper columns for the per-order refund, only when the file can have one
        out["refund"] = refund_col
        out["refunded"] = refunded.to_numpy(dtype=bool)
        out["partial"] = partial.to_numpy(dtype=bool)
    line_amount = line_amount if line_amount is not None else pd.Series(np.nan, index=df.index)

    bad_date = out["order_date"].isna()
    report.add("date missing or unreadable", int(bad_date.sum()), "dropped", float(out.loc[bad_date, "amount"].abs().sum()))
    bad_amount = ~bad_date & out["amount"].isna()
    report.add("amount missing or unreadable", int(bad_amount.sum()), "dropped")
    drop = bad_date | bad_amount
    if customer_level:
        no_cust = ~drop & out["customer_id"].isna()
        report.add("customer id missing", int(no_cust.sum()), "dropped", float(out.loc[no_cust, "amount"].abs().sum()))
        drop |= no_cust
    else:
        out["customer_id"] = ("#" + out["order_id"]).astype("string")  # each order its own customer
    out = out.loc[~drop]
    keep = out.index

    numeric_ids = out["order_id"].str.fullmatch(r"\d+").mean() >= 0.5 if len(out) else False
    c_invoice = out["order_id"].str.fullmatch(r"[Cc]\d+") if numeric_ids else pd.Series(False, index=out.index)
    c_invoice = c_invoice.fillna(False).astype(bool)
    negative = out["amount"] < 0
    cancelled, unpaid, refunded = cancelled.loc[keep], unpaid.loc[keep], refunded.loc[keep]
    refund_rows = (negative | c_invoice) & ~cancelled & ~unpaid
    apart_refunded = refunded & ~refund_rows & (not has_refund_col)
    apart = (cancelled | unpaid | apart_refunded) & ~refund_rows
    report.add("refund (negative amount or cancelled invoice)", int(refund_rows.sum()), "kept as refund",
               float(out.loc[refund_rows, "amount"].abs().sum()))
    apart_rows = out.loc[apart]
    for mask, reason in ((cancelled & ~refund_rows, "cancelled, closed or failed order (status)"),
                         (unpaid & ~refund_rows, "order not paid (status: pending, awaiting payment)"),
                         (apart_refunded, "order refunded in full (status; the file has no refund amount)")):
        report.add(reason, int(mask.sum()), "kept as cancelled", float(out.loc[mask, "amount"].abs().sum()))
    apart_orders = _to_orders(apart_rows, frozenset(level), False)

    sale_mask = ~(refund_rows | apart)
    sale_rows = out.loc[sale_mask]
    lines = None
    if "product" in mapping or "sku" in mapping:
        idx = sale_rows.index
        lines = _lines_frame(df.loc[idx], mapping, sale_rows["order_id"], line_amount.loc[idx])
        if lines[["product", "sku"]].isna().all().all():
            lines = None  # a product column that is empty throughout (Stripe's Description) names no product
    orders = _to_orders(sale_rows, frozenset(level), ids_unique, report)
    merged = len(sale_rows) - len(orders) + len(apart_rows) - len(apart_orders)
    report.add("line items merged into their orders", int(merged), "merged")

    # a refund-amount column: one refund per order, counted once (a full refund when the status says so and no
    # amount is given)
    if money_back:
        refund_amt = orders["refund"].where(orders["refund"] > 0)
        full = orders["refunded"] & refund_amt.isna()
        refund_amt = refund_amt.where(~full, orders["amount"])
        from_col = refund_amt.notna() & (refund_amt > 0)
        report.add("refund from the file's refund amount (the order is kept; the refund is subtracted once)",
                   int(from_col.sum()), "refund added", float(refund_amt[from_col].sum()))
        unknown_partial = orders["partial"] & ~from_col
        report.add("partially refunded, refund amount not in the file (counted in full)", int(unknown_partial.sum()),
                   "changed")
    else:
        refund_amt = pd.Series(np.nan, index=orders.index)
        from_col = pd.Series(False, index=orders.index)
    free = orders["amount"] == 0
    report.add("order of zero amount (gift or free sample): not counted as an order", int(free.sum()), "kept apart")

    refund_part = out.loc[refund_rows]
    refunds = pd.concat([
        pd.DataFrame({"order_id": refund_part["order_id"], "customer_id": refund_part["customer_id"],
                      "refund_date": refund_part["order_date"], "amount": refund_part["amount"].abs(), "kind": "refund"}),
        pd.DataFrame({"order_id": orders.loc[from_col, "order_id"], "customer_id": orders.loc[from_col, "customer_id"],
                      "refund_date": orders.loc[from_col, "order_date"], "amount": refund_amt[from_col], "kind": "refund"}),
        pd.DataFrame({"order_id": apart_orders["order_id"], "customer_id": apart_orders["customer_id"],
                      "refund_date": apart_orders["order_date"], "amount": apart_orders["amount"].abs(),
                      "kind": "cancelled"}),
        pd.DataFrame({"order_id": orders.loc[free, "order_id"], "customer_id": orders.loc[free, "customer_id"],
                      "refund_date": orders.loc[free, "order_date"], "amount": 0.0, "kind": "free"}),
    ], ignore_index=True)
    orders = orders.loc[~free]
    if lines is not None:
        lines = lines.loc[coerce.ids_in(lines["order_id"], orders["order_id"])].reset_index(drop=True)

    # by date, keeping the file's order within a day (a stable sort; ids are not sorted, that is slow)
    reach = [c for c in CONTACT_FIELDS if c in orders.columns]
    orders = orders[list(ORDER_COLUMNS) + (["discount_code"] if "discount_code" in orders.columns else []) + reach]
    if not orders["order_date"].is_monotonic_increasing:
        orders = orders.sort_values("order_date", kind="stable")
    orders = orders.reset_index(drop=True)
    contacts = None
    if reach and customer_level:  # the latest name, phone, email written on each customer's kept orders
        contacts = orders.groupby("customer_id", sort=False)[reach].last().reset_index()
        contacts = contacts.loc[contacts[reach].notna().any(axis=1)].reset_index(drop=True)
        for col in contacts.columns:
            contacts[col] = contacts[col].astype("string")
    orders = orders.drop(columns=reach)
    for col in ("order_id", "customer_id", "channel", "referrer_id"):
        orders[col] = orders[col].astype("string")
    orders["is_member"] = orders["is_member"].astype(bool)
    refunds = refunds[list(REFUND_COLUMNS)].sort_values("refund_date", kind="stable").reset_index(drop=True)
    for col in ("order_id", "customer_id", "kind"):
        refunds[col] = refunds[col].astype("string")
    refunds["refund_date"] = refunds["refund_date"].astype("datetime64[ns]")
    refunds["amount"] = refunds["amount"].astype("float64")
    if orders.empty:
        raise DataError("No orders are left after cleaning: every row was blank, a refund, cancelled, or lacked a date, "
                        "amount or customer. See the mapping and the data quality report.")
    return Cleaned(orders, refunds, lines, customer_level, frozenset(level), contacts)


# --------------------------------------------------------------------------- the whole pipeline


