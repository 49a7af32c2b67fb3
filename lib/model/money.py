"""Money in and money back: the one place that says which rows are refunds and how a figure takes them."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.model.customers import order_positions
from lib.schema import DAYS_PER_MONTH, RefundKind


def money_back(refunds: pd.DataFrame) -> pd.DataFrame:
    """The rows of the refunds table that are money back for a figure: kind "refund".

    Parameters
    ----------
    refunds : pd.DataFrame
        A refunds table (see :mod:`lib.schema`: order_id, customer_id, refund_date, amount, kind).

    Returns
    -------
    pd.DataFrame
        Its rows of money returned (amount > 0, currency), in their order; orders kept apart as
        cancelled or free are not money back (they never counted as revenue).
    """
    return refunds.loc[refunds["kind"] == "refund"]


def count_kind(refunds: pd.DataFrame, kind: RefundKind) -> int:
    """How many rows of the refunds table are of ``kind`` (e.g. orders kept apart as "cancelled" or "free")."""
    return int((refunds["kind"] == kind).sum())


def money_by_month(all_orders: pd.DataFrame, refunds: pd.DataFrame, customers: pd.DataFrame,
                    as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The money events of LTV, shared by :func:`ltv_curves` and :func:`value_within`.

    Returns per customer the whole months (of ``DAYS_PER_MONTH`` days) they have been one at ``as_of``
    (maturity), and per event (orders, then refunds of kind "refund" as negative amounts) the customer's
    row, the amount (currency) and the whole months from the customer's first order (age, >= 0).
    """
    first = customers["first_order_date"].to_numpy("datetime64[ns]")
    day = np.timedelta64(1, "D")
    maturity = np.floor(((np.datetime64(pd.Timestamp(as_of)) + day - first) / day) / DAYS_PER_MONTH).astype(np.int64)
    ref = money_back(refunds)
    pos_o, pos_r = order_positions(all_orders, customers), order_positions(ref, customers)
    ok_o, ok_r = pos_o >= 0, pos_r >= 0
    pos = np.r_[pos_o[ok_o], pos_r[ok_r]]
    dates = np.r_[all_orders["order_date"].to_numpy("datetime64[ns]")[ok_o], ref["refund_date"].to_numpy("datetime64[ns]")[ok_r]]
    amount = np.r_[all_orders["amount"].to_numpy(float)[ok_o], -ref["amount"].to_numpy(float)[ok_r]]
    age = np.maximum(np.floor(((dates - first[pos]) / day) / DAYS_PER_MONTH).astype(np.int64), 0)
    return maturity, pos, amount, age
