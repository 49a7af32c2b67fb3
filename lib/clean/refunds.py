"""Money back: the one home of the rules that say which rows are refunds, cancellations or free orders.

A row of the orders sheet is one of:

- a refund row (negative amount, or an invoice "C" + number): kind "refund";
- a row whose status says cancelled, closed, failed or not paid: kept apart as kind "cancelled"
  (not an order, not revenue);
- a sale. Of the sales merged into orders, a refund-amount column (or a status "refunded" without
  one) adds one refund per order, kind "refund": on every platform a paid order refunded in full is
  an order and a refund of its paid amount (Douyin's 售后状态 退款成功 as Shopify's "refunded"); an
  order of zero amount (a gift) is kept apart as kind "free".

Status words are read by :func:`lib.mapping.profiles.classify_status`. How a figure takes these rows
is :mod:`lib.model.money`'s business.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import coerce
from lib.clean.groups import OrderGroups, constant_in_orders
from lib.mapping.profiles import STATUS_CLASSES, classify_status
from lib.schema import REFUND_COLUMNS, Mapping, QualityReport, RefundKind


@dataclass(frozen=True)
class RowStatus:
    """What each row of the sheet says about money back (boolean Series on the sheet's index).

    ``refund`` is the file's refund amount per row (currency, >= 0; NaN without a refund-amount
    column); ``refund_once`` says it is the order's refund written on each of its lines.
    """

    cancelled: pd.Series
    unpaid: pd.Series
    refunded: pd.Series
    partial: pd.Series
    refund: pd.Series
    has_refund_col: bool
    refund_once: bool

    @property
    def money_back(self) -> bool:
        """Whether the file can hold a per-order refund (a refund-amount column, or a refunded status)."""
        return self.has_refund_col or bool(self.refunded.any()) or bool(self.partial.any())

    def helper_columns(self) -> dict[str, pd.Series]:
        """Columns the rows carry until they are merged into orders (only when :attr:`money_back`)."""
        if not self.money_back:
            return {}
        return {"refund": self.refund, "refunded": pd.Series(self.refunded.to_numpy(dtype=bool), index=self.refund.index),
                "partial": pd.Series(self.partial.to_numpy(dtype=bool), index=self.refund.index)}


def read_status(df: pd.DataFrame, mapping: Mapping, groups: OrderGroups | None, level: set[str],
                report: QualityReport) -> RowStatus:
    """Each row's status from its status words, after-sales status, cancellation column and refund amount.

    Parameters
    ----------
    df : pd.DataFrame
        The sheet's rows (columns as in the file).
    mapping : Mapping
        Field -> column; reads ``status``, ``refund_status``, ``cancelled_at``, ``refund_amount``.
    groups : OrderGroups or None
        The rows grouped by order id (None when every id is unique).
    level : set of str
        Money fields already known to be order-level (``refund_amount`` among them or not).
    report : QualityReport
        Counts refund amounts written as text.
    """
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
    once = "refund_amount" in level
    if has_refund_col:
        ref = coerce.to_money(df[mapping["refund_amount"]])
        report.add("refund_amount_as_text", ref.changed, "changed")
        refund = ref.values.abs()
        once = once or (groups is not None and constant_in_orders(refund, groups))
    else:
        refund = pd.Series(np.nan, index=df.index)
    return RowStatus(cancelled, unpaid, refunded, partial, refund, has_refund_col, once)


@dataclass(frozen=True)
class RefundSplit:
    """Which kept rows are refund rows, and which are kept apart as cancelled (boolean Series on the rows' index)."""

    refund_rows: pd.Series
    apart: pd.Series

    @property
    def sales(self) -> pd.Series:
        return ~(self.refund_rows | self.apart)


def _money(rows: pd.DataFrame, amount_once: bool) -> float:
    """The money on ``rows`` (currency, absolute): each order's amount once when it is the order's, written on
    each of its lines (``amount_once``), else every row's."""
    amounts = rows.drop_duplicates("order_id")["amount"] if amount_once else rows["amount"]
    return float(amounts.abs().sum())


def split_refunds(rows: pd.DataFrame, status: RowStatus, report: QualityReport, amount_once: bool = False) -> RefundSplit:
    """Refund rows and cancelled rows apart from the sales, each counted in ``report`` with its money (an
    order-level amount, ``amount_once``, once per order).

    Parameters
    ----------
    rows : pd.DataFrame
        Kept canonical rows (``order_id`` text, ``amount`` currency), index a subset of the sheet's.
    status : RowStatus
        From :func:`read_status` on the sheet.

    Returns
    -------
    RefundSplit
        ``refund_rows``: a negative amount, or an invoice "C" + number where most ids are numbers,
        unless cancelled or unpaid; ``apart``: cancelled or unpaid, unless a refund row (an order
        refunded in full by its status is an order and, by :func:`refunds_from_column`, a refund).
    """
    keep = rows.index
    numeric_ids = rows["order_id"].str.fullmatch(r"\d+").mean() >= 0.5 if len(rows) else False
    c_invoice = rows["order_id"].str.fullmatch(r"[Cc]\d+") if numeric_ids else pd.Series(False, index=rows.index)
    c_invoice = c_invoice.fillna(False).astype(bool)
    negative = rows["amount"] < 0
    cancelled, unpaid = status.cancelled.loc[keep], status.unpaid.loc[keep]
    refund_rows = (negative | c_invoice) & ~cancelled & ~unpaid
    apart = (cancelled | unpaid) & ~refund_rows
    report.add("refund_row", int(refund_rows.sum()), "kept as refund", float(rows.loc[refund_rows, "amount"].abs().sum()))
    for mask, code in ((cancelled & ~refund_rows, "cancelled_by_status"), (unpaid & ~refund_rows, "unpaid_by_status")):
        report.add(code, int(mask.sum()), "kept as cancelled", _money(rows.loc[mask], amount_once))
    return RefundSplit(refund_rows, apart)


def refunds_from_column(orders: pd.DataFrame, money_back: bool, report: QualityReport) -> pd.Series:
    """One refund per order from the file's refund amount, counted once; NaN where an order has none.

    A status "refunded" without an amount refunds the whole order; "partially refunded" without an
    amount is counted in ``report`` (and the order in full). ``orders`` carries the helper columns of
    :meth:`RowStatus.helper_columns` when ``money_back``.
    """
    if not money_back:
        return pd.Series(np.nan, index=orders.index)
    refund_amt = orders["refund"].where(orders["refund"] > 0)
    full = orders["refunded"] & refund_amt.isna()
    refund_amt = refund_amt.where(~full, orders["amount"])
    from_col = refund_amt.notna() & (refund_amt > 0)
    report.add("refund_from_column", int(from_col.sum()), "refund added", float(refund_amt[from_col].sum()))
    unknown_partial = orders["partial"] & ~from_col
    report.add("partial_refund_unknown", int(unknown_partial.sum()), "changed")
    return refund_amt.where(from_col)


def free_orders(orders: pd.DataFrame, report: QualityReport) -> pd.Series:
    """Orders of zero amount (a gift, a free sample), counted in ``report``: kept apart, never an order."""
    free = orders["amount"] == 0
    report.add("zero_amount_order", int(free.sum()), "kept apart")
    return free


def _kind_rows(rows: pd.DataFrame, amount: pd.Series | float, kind: RefundKind) -> pd.DataFrame:
    return pd.DataFrame({"order_id": rows["order_id"], "customer_id": rows["customer_id"], "refund_date": rows["order_date"],
                         "amount": amount, "kind": kind, "channel": rows["channel"]})


def refunds_table(refund_rows: pd.DataFrame, orders: pd.DataFrame, refund_amt: pd.Series, cancelled: pd.DataFrame,
                  free: pd.Series) -> pd.DataFrame:
    """The canonical refunds table (see :mod:`lib.schema`), by date.

    Parameters
    ----------
    refund_rows : pd.DataFrame
        Canonical rows that are refunds (amount negative or positive; the absolute value is refunded).
    orders : pd.DataFrame
        The orders, free ones included; ``refund_amt`` (currency, NaN = none) on the same index.
    cancelled : pd.DataFrame
        Orders kept apart as cancelled (their amount, absolute).
    free : pd.Series
        Boolean on ``orders``' index: orders of zero amount.
    """
    from_col = refund_amt.notna()
    refunds = pd.concat([
        _kind_rows(refund_rows, refund_rows["amount"].abs(), "refund"),
        _kind_rows(orders.loc[from_col], refund_amt[from_col], "refund"),
        _kind_rows(cancelled, cancelled["amount"].abs(), "cancelled"),
        _kind_rows(orders.loc[free], 0.0, "free"),
    ], ignore_index=True)
    refunds = refunds[list(REFUND_COLUMNS)].sort_values("refund_date", kind="stable").reset_index(drop=True)
    for col in ("order_id", "customer_id", "kind", "channel"):
        refunds[col] = refunds[col].astype("string")
    refunds["refund_date"] = refunds["refund_date"].astype("datetime64[ns]")
    refunds["amount"] = refunds["amount"].astype("float64")
    return refunds
