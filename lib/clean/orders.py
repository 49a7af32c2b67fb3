"""The orders sheet cleaned, in named stages: raw rows and a mapping in, canonical orders, refunds and lines out.

:func:`clean_orders` composes the stages (blank and duplicate rows dropped, order fields carried
down, types coerced, refunds split off, lines merged into orders, orders sorted); each counts what
it drops or changes in the quality report. Which rows are money back is :mod:`lib.clean.refunds`'.
Any problem a person can fix raises :class:`lib.errors.DataError` with one sentence for them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import coerce
from lib.clean.amounts import drop_absurd_amounts, within_bounds_sum
from lib.clean.basis import net_sales_fields_per_order, read_net_sales_fields, with_net_sales
from lib.clean.contacts import latest_contacts, masked_ids, read_contact_fields
from lib.clean.groups import OrderGroups, constant_in_orders
from lib.clean.lines import sale_lines
from lib.clean.refunds import RefundSplit, free_orders, read_status, refunds_from_column, refunds_table, split_refunds
from lib.errors import DataError
from lib.mapping import ORDER_ROLE_FIELDS, missing_fields_message
from lib.schema import (
    CONTACT_FIELDS,
    LINE_FIELDS,
    NET_SALES_FIELDS,
    NO_CHANNEL,
    ORDER_COLUMNS,
    Mapping,
    QualityReport,
)


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


def duplicate_rows(df: pd.DataFrame, mapping: Mapping, ids_unique: bool, sheet_of: pd.Series | None = None) -> pd.Series:
    """Rows the export says are the same as an earlier one.

    * The same row in an earlier sheet (one order exported in two sheets or parts): a row is a repeat
      when an earlier sheet holds at least as many rows equal to it as come before it in its own sheet.
    * Within one sheet, an identical row where the file has one row per order (no product, SKU,
      quantity or unit price mapped): the order written twice. In a file of item lines two identical
      lines of one order are two sales (two of the same item), kept.

    ``sheet_of``: the combined sheet each row came from (0, 1, …; on the rows' index), None for one sheet.
    When the order ids are complete and unique (``ids_unique``), no two rows can be equal and nothing
    is compared.
    """
    if ids_unique or df.empty:
        return pd.Series(False, index=df.index)
    if not any(f in mapping for f in LINE_FIELDS):  # one row per order
        return df.duplicated(keep="first")
    if sheet_of is None or sheet_of.nunique() < 2:
        return pd.Series(False, index=df.index)
    key = pd.util.hash_pandas_object(df, index=False).to_numpy()
    rows = pd.DataFrame({"key": key, "sheet": sheet_of.loc[df.index].to_numpy()})
    nth = rows.groupby(["key", "sheet"]).cumcount().to_numpy()  # 0 for the first such row of its sheet
    count = rows.groupby(["key", "sheet"]).size().rename("n").reset_index()
    count["earlier"] = count.groupby("key")["n"].transform(lambda n: n.cummax().shift(fill_value=0))
    earlier = rows.merge(count[["key", "sheet", "earlier"]], on=["key", "sheet"], how="left")["earlier"].to_numpy()
    return pd.Series(nth < earlier, index=df.index)


def _row_money(df: pd.DataFrame, mapping: Mapping) -> float:
    """The money of raw rows (their amount, or quantity x unit price), for a report entry."""
    if "amount" in mapping:
        return within_bounds_sum(coerce.to_money(df[mapping["amount"]].astype("string")).values)
    if {"quantity", "unit_price"} <= mapping.keys():
        q = coerce.to_money(df[mapping["quantity"]].astype("string")).values.to_numpy(float)
        p = coerce.to_money(df[mapping["unit_price"]].astype("string")).values.to_numpy(float)
        return within_bounds_sum(q * p)
    return 0.0


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
    guests: pd.DataFrame | None = None  # orders without a customer (orders' columns, customer_id <NA>), or None


def carry_order_fields_down(df: pd.DataFrame, groups: OrderGroups, mapping: Mapping, order_level: set[str],
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
    report.add("order_fields_carried_down", int(touched.sum()), "changed")
    report.notes.append("Copied from each order's first row to its other lines: "
                        + ", ".join(f for f in ORDER_ROLE_FIELDS if f in carried) + ".")
    df = df.copy()
    for col, s in new_cols.items():
        df[col] = s
    return df, carried


def lines_to_orders(rows: pd.DataFrame, level: frozenset[str], unique: bool, report: QualityReport | None = None) -> pd.DataFrame:
    """One row per order id from line rows: money summed, or taken once when it is order-level.

    With a ``report``, rows of orders whose lines name several customers are counted (the first customer is kept).
    """
    if unique or rows["order_id"].is_unique:
        return rows.reset_index(drop=True)
    g = rows.groupby("order_id", sort=False, observed=True)
    if report is not None:
        multi_customer = g["customer_id"].nunique() > 1
        if multi_customer.any():
            several = coerce.ids_in(rows["order_id"], multi_customer[multi_customer].index)
            report.add("order_id_several_customers", int(several.sum()), "changed")
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
    out = g.agg(**aggs)
    for col, values in net_sales_fields_per_order(g, level).items():
        out[col] = values
    out = out.reset_index()
    for col in ("order_id", "customer_id", "channel", "referrer_id", "discount_code") + CONTACT_FIELDS:
        if col in out.columns:
            out[col] = out[col].astype("string")
    out["is_member"] = out["is_member"].astype(bool)
    return out


def check_mapping(raw: pd.DataFrame, mapping: Mapping) -> None:
    """Raise :class:`DataError` when the mapping lacks a field the cleaning needs or names a column the sheet lacks."""
    msg = missing_fields_message(mapping, raw)
    if msg:
        raise DataError(msg)
    for f, col in mapping.items():
        if col not in raw.columns:
            raise DataError(f"The mapping points {f} to a column '{col}' that the sheet does not have.")


def drop_blank_rows(df: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    """The rows with at least one filled cell; blank rows are counted in ``report``."""
    blank = _blank_rows(df)
    report.add("blank_row", int(blank.sum()), "dropped")
    return df.loc[~blank]


def drop_duplicate_rows(df: pd.DataFrame, mapping: Mapping, ids_unique: bool, report: QualityReport,
                        sheet_of: pd.Series | None = None) -> pd.DataFrame:
    """The rows without repeats of an earlier row (:func:`duplicate_rows`), counted in ``report`` with their money."""
    dup = duplicate_rows(df, mapping, ids_unique, sheet_of)
    if dup.any():
        report.add("duplicate_row", int(dup.sum()), "dropped", _row_money(df.loc[dup], mapping))
    return df.loc[~dup]


@dataclass(frozen=True)
class OrderIds:
    """Each row's order id as text (``row-N`` for a row without one), and whether no two rows share one."""

    values: pd.Series
    unique: bool


def read_order_ids(df: pd.DataFrame, mapping: Mapping, raw_unique: bool, report: QualityReport) -> OrderIds:
    """Order ids as text (12417.0 → 12417), counted in ``report``; a row without an id is its own order.

    ``raw_unique``: the sheet's id column is complete and unique. The ids are unique orders when it
    is and no id was rewritten.
    """
    order_id = coerce.to_text_id(df[mapping["order_id"]]) if "order_id" in mapping else None
    if order_id is not None:
        report.add("order_id_read_as_number", order_id.changed, "changed")
        report.add("order_id_scientific", coerce.scientific_ids(order_id.values), "changed")
        oid = order_id.values
    else:
        oid = pd.Series(pd.NA, index=df.index, dtype="string")
    missing_oid = oid.isna()
    if missing_oid.any():
        oid = oid.copy()
        oid[missing_oid] = ("row-" + pd.Series(np.arange(len(df)), index=df.index).astype("string"))[missing_oid]
        if "order_id" in mapping:
            report.add("order_id_missing", int(missing_oid.sum()), "changed")
    return OrderIds(oid, order_id is not None and order_id.changed == 0 and raw_unique)


def read_customers(df: pd.DataFrame, mapping: Mapping, report: QualityReport) -> tuple[pd.Series | None, bool]:
    """Customer ids as text (masked ones <NA>), or None without a customer column; and whether customers are known.

    Buyers masked on half the rows or more (``***``, ``##密文``) make the data order-level only.
    """
    if "customer_id" not in mapping:
        report.notes.append("The file has no customer column: customers, repurchase, cohorts, LTV, CAC and referrals "
                            "cannot be computed from it. Order-level figures only. Choose the customer column in "
                            "the mapping if the file has one.")
        return None, False
    cust = coerce.to_text_id(df[mapping["customer_id"]])
    report.add("customer_id_read_as_number", cust.changed, "changed")
    cid = cust.values
    if len(cid) and cid.isna().all():  # every order a guest's: as good as no customer column
        report.notes.append(f"The customer column '{mapping['customer_id']}' is empty on every row: customers, "
                            "repurchase, cohorts, LTV, CAC and referrals cannot be computed from it. Order-level "
                            "figures only.")
        return None, False
    masked = masked_ids(cid)
    if not masked.any():
        return cid, True
    if masked.sum() >= 0.5 * cid.notna().sum():
        report.notes.append(
            f"Buyers are masked in this file ({int(masked.sum()):,} of {int(cid.notna().sum()):,} customer ids, "
            f"e.g. {cid[masked].iloc[0]}): customers, repurchase, cohorts, LTV, CAC and referrals cannot be "
            "computed from it. Order-level figures only.")
        return cid, False
    report.add("customer_id_masked", int(masked.sum()), "changed")
    return cid.mask(masked, pd.NA), True


def read_amounts(df: pd.DataFrame, mapping: Mapping, groups: OrderGroups | None, level: set[str],
                 report: QualityReport) -> tuple[pd.Series, pd.Series, set[str]]:
    """Each row's amount and line amount (currency), and the money fields taken once per order.

    The amount is the file's, or quantity × unit price where it is blank (or without an amount
    column). The line amount is quantity × unit price, else the amount unless it is the order's
    total (NaN then). An amount that repeats on every line of multi-row orders is order-level.
    """
    level = set(level)
    line_amount = None
    if {"quantity", "unit_price"} <= mapping.keys():
        line_amount = coerce.to_money(df[mapping["quantity"]]).values * coerce.to_money(df[mapping["unit_price"]]).values
    if "amount" in mapping:
        money = coerce.to_money(df[mapping["amount"]])
        report.add("amount_as_text", money.changed, "changed")
        amount = money.values
        if groups is not None and "amount" not in level and constant_in_orders(amount, groups):
            level.add("amount")
            report.notes.append("The amount repeats on every line of an order: it is the order's total and is "
                                "counted once per order.")
        if line_amount is not None and "amount" not in level:
            filled = amount.isna() & line_amount.notna()
            report.add("amount_from_quantity_price", int(filled.sum()), "changed")
            amount = amount.where(~filled, line_amount)
    else:
        assert line_amount is not None
        report.add("amount_from_quantity_price", int(line_amount.notna().sum()), "changed")
        amount = line_amount
    if line_amount is None:
        line_amount = amount if "amount" not in level else pd.Series(np.nan, index=df.index)
    return amount, line_amount, level


def read_order_fields(df: pd.DataFrame, mapping: Mapping, report: QualityReport) -> dict[str, pd.Series]:
    """The channel ("(none)" when blank), referrer id, member flag and discount code of each row, typed."""
    idx = df.index
    out: dict[str, pd.Series] = {}
    if "channel" in mapping:
        ch = coerce.unwrap_text(df[mapping["channel"]])
        names = pd.Series(ch.dropna().unique(), dtype="string")  # a handful of channels: check the names, not the rows
        blank_names = names[coerce.is_blank(names, names).to_numpy()]
        if len(blank_names):
            ch = ch.mask(ch.isin(blank_names), pd.NA)
        report.add("channel_missing", int(ch.isna().sum()), "changed")
        out["channel"] = ch.fillna(NO_CHANNEL).astype("string")
    else:
        out["channel"] = pd.Series(NO_CHANNEL, index=idx, dtype="string")
    out["referrer_id"] = (coerce.to_text_id(df[mapping["referrer_id"]]).values if "referrer_id" in mapping
                          else pd.Series(pd.NA, index=idx, dtype="string"))
    if "is_member" in mapping:
        flag = coerce.to_flag(df[mapping["is_member"]])
        report.add("member_flag_unrecognised", flag.changed, "changed")
        out["is_member"] = flag.values
    else:
        out["is_member"] = pd.Series(False, index=idx)
    if "discount_code" in mapping:  # kept per order: cohorts by the code of the first order
        code = coerce.unwrap_text(df[mapping["discount_code"]]).astype("string").str.strip()
        out["discount_code"] = code.mask(code == "", pd.NA)
    return out


@dataclass(frozen=True)
class Typed:
    """The sheet's rows in canonical columns (see :func:`coerce_types`)."""

    rows: pd.DataFrame
    line_amount: pd.Series
    level: set[str]
    customer_level: bool


def coerce_types(df: pd.DataFrame, mapping: Mapping, ids: OrderIds, groups: OrderGroups | None, level: set[str],
                 report: QualityReport) -> Typed:
    """Canonical rows: order_id, customer_id (when mapped), order_date, amount, channel, referrer_id, is_member,
    and discount_code, the contact fields, subtotal, tax and shipping when mapped; each change counted in ``report``."""
    out = pd.DataFrame(index=df.index)
    out["order_id"] = ids.values
    cid, customer_level = read_customers(df, mapping, report)
    if cid is not None:
        out["customer_id"] = cid
    dates = coerce.to_datetime(df[mapping["order_date"]])
    report.add("date_excel_serial", dates.changed, "changed")
    out["order_date"] = dates.values
    amount, line_amount, level = read_amounts(df, mapping, groups, level, report)
    out["amount"] = amount
    net_fields, once = read_net_sales_fields(df, mapping, groups, level, report)
    for col, values in (read_order_fields(df, mapping, report) | read_contact_fields(df, mapping, report)
                        | net_fields).items():
        out[col] = values
    return Typed(out, line_amount, level | once, customer_level)


def drop_unusable_rows(rows: pd.DataFrame, customer_level: bool, report: QualityReport) -> pd.DataFrame:
    """The rows with a date and an amount; the others counted in ``report`` with their amount.

    Rows without a customer (a guest checkout) are kept, customer <NA>: their orders become guest orders
    (:func:`split_guests`, counted by :func:`report_guests`). Without known customers each order stands for
    its own customer (``#`` + order id), so that order figures still work.
    """
    bad_date = rows["order_date"].isna()
    report.add("date_missing", int(bad_date.sum()), "dropped", float(rows.loc[bad_date, "amount"].abs().sum()))
    bad_amount = ~bad_date & rows["amount"].isna()
    report.add("amount_missing", int(bad_amount.sum()), "dropped")
    drop = bad_date | bad_amount
    if not customer_level:
        rows = rows.assign(customer_id=("#" + rows["order_id"]).astype("string"))  # each order its own customer
    return rows.loc[~drop]


def merge_lines_into_orders(rows: pd.DataFrame, split: RefundSplit, level: frozenset[str], unique: bool,
                            report: QualityReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sales and the cancelled rows, each merged into one row per order id (merged lines counted in ``report``);
    the sales with their net sales when the rows carry a subtotal, tax or shipping (:func:`lib.clean.basis.with_net_sales`)."""
    apart_rows = rows.loc[split.apart]
    cancelled = lines_to_orders(apart_rows, level, False)
    sale_rows = rows.loc[split.sales]
    orders = with_net_sales(lines_to_orders(sale_rows, level, unique, report), report)
    merged = len(sale_rows) - len(orders) + len(apart_rows) - len(cancelled)
    report.add("lines_merged", int(merged), "merged")
    return orders, cancelled


def sort_orders_by_date(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders in canonical columns (discount_code, net_sales and contact fields kept when there), by date, keeping the
    file's order within a day (a stable sort; ids are not sorted, that is slow)."""
    reach = [c for c in CONTACT_FIELDS if c in orders.columns]
    optional = [c for c in ("discount_code", "net_sales") if c in orders.columns]
    orders = orders[list(ORDER_COLUMNS) + optional + reach]
    if not orders["order_date"].is_monotonic_increasing:
        orders = orders.sort_values("order_date", kind="stable")
    return orders.reset_index(drop=True)


def split_guests(orders: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(orders of customers, guest orders or None): a guest order names no customer on any of its lines.

    Both keep the date order and get a fresh index; guest orders count in order totals (orders,
    revenue, AOV), never as customers.
    """
    guest = orders["customer_id"].isna().to_numpy()
    if not guest.any():
        return orders, None
    return orders.loc[~guest].reset_index(drop=True), orders.loc[guest].reset_index(drop=True)


def report_guests(rows: pd.DataFrame, split: RefundSplit, guests: pd.DataFrame | None, report: QualityReport) -> None:
    """Count in ``report`` the rows that became guest orders (the sale lines of orders naming no customer) or guest
    refunds (refund rows naming none), with their money: the guest orders' amounts and the refunds'."""
    sales, back = rows.loc[split.sales], rows.loc[split.refund_rows]
    of_guests = coerce.ids_in(sales["order_id"], guests["order_id"]) if guests is not None else np.zeros(len(sales), bool)
    refunds = back["customer_id"].isna().to_numpy()
    amount = (float(guests["amount"].sum()) if guests is not None else 0.0) + float(back.loc[refunds, "amount"].abs().sum())
    report.add("guest_row", int(of_guests.sum() + refunds.sum()), "kept as guests", amount)


def typed_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """The canonical orders table (see :mod:`lib.schema`): contact fields left out, text and flag columns typed."""
    orders = orders.drop(columns=[c for c in CONTACT_FIELDS if c in orders.columns])
    for col in ("order_id", "customer_id", "channel", "referrer_id"):
        orders[col] = orders[col].astype("string")
    orders["is_member"] = orders["is_member"].astype(bool)
    return orders


def clean_orders(raw: pd.DataFrame, mapping: Mapping, report: QualityReport,
                 order_level: tuple[str, ...] = (), sheet_of: np.ndarray | None = None) -> Cleaned:
    """Canonical orders, refunds and order lines from a raw orders sheet and a field mapping.

    Stages, each counting what it drops or changes in ``report``: blank rows and rows the export
    says are repeats (:func:`duplicate_rows`; ``sheet_of``: the combined sheet of each raw row, by position) dropped; order ids read; order fields written only on an order's first line copied to its
    other lines; types coerced; each row's status read; rows without a readable date or amount
    dropped, rows without a customer kept as guests; refunds and cancelled rows split from the sales
    (:mod:`lib.clean.refunds`: every money-back rule); line rows merged per order id (money summed,
    or taken once per order when it is order-level: ``order_level`` from the export's profile,
    carried down, or the same on every line of every multi-row order); refunds from a refund-amount
    column and free orders set apart; orders sorted by date; guest orders (no customer on any line)
    set apart (:func:`split_guests`).

    Customer ids that are masked (``***``, ``##密文``) on most rows, or no customer column, make the
    data order-level only (``customer_level`` False; each order stands for its own customer so that
    order figures still work).
    """
    check_mapping(raw, mapping)
    raw_unique = "order_id" in mapping and _unique_complete(raw[mapping["order_id"]])
    sheets = None if sheet_of is None else pd.Series(sheet_of, index=raw.index)
    df = drop_duplicate_rows(drop_blank_rows(raw, report), mapping, raw_unique, report, sheets)
    ids = read_order_ids(df, mapping, raw_unique, report)
    level = set(order_level)
    groups = None if ids.unique else OrderGroups(ids.values)
    if groups is not None and "order_id" in mapping:
        df, carried = carry_order_fields_down(df, groups, mapping, level, report)
        level |= carried & {"amount", "refund_amount", *NET_SALES_FIELDS}
    typed = coerce_types(df, mapping, ids, groups, level, report)
    status = read_status(df, mapping, groups, typed.level, report)
    level = typed.level | ({"refund_amount"} if status.refund_once else set())
    rows = drop_absurd_amounts(typed.rows.assign(**status.helper_columns()), typed.line_amount, report)
    rows = drop_unusable_rows(rows, typed.customer_level, report)
    split = split_refunds(rows, status, report, amount_once="amount" in level)
    orders, cancelled = merge_lines_into_orders(rows, split, frozenset(level), ids.unique, report)
    lines = sale_lines(df, mapping, rows.loc[split.sales], typed.line_amount)
    refund_amt = refunds_from_column(orders, status.money_back, report)
    free = free_orders(orders, report)
    refunds = refunds_table(rows.loc[split.refund_rows], orders, refund_amt, cancelled, free)
    orders, guests = split_guests(sort_orders_by_date(orders.loc[~free]))
    report_guests(rows, split, guests, report)
    if lines is not None:
        lines = lines.loc[coerce.ids_in(lines["order_id"], orders["order_id"])].reset_index(drop=True)
    contacts = latest_contacts(orders, typed.customer_level)
    orders = typed_orders(orders)
    if orders.empty:
        raise DataError("No orders are left after cleaning: every row was blank, a refund, cancelled, or lacked a date or "
                        "amount. See the mapping and the data quality report.")
    return Cleaned(orders, refunds, lines, typed.customer_level, frozenset(level), contacts,
                   None if guests is None else typed_orders(guests))
