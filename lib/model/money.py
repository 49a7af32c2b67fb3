"""Money in and money back: the one place that says which rows are refunds and how a figure takes them."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.model.customers import order_positions
from lib.schema import DAYS_PER_MONTH


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
    ref = refunds.loc[refunds["kind"] == "refund"]
    pos_o, pos_r = order_positions(all_orders, customers), order_positions(ref, customers)
    ok_o, ok_r = pos_o >= 0, pos_r >= 0
    pos = np.r_[pos_o[ok_o], pos_r[ok_r]]
    dates = np.r_[all_orders["order_date"].to_numpy("datetime64[ns]")[ok_o], ref["refund_date"].to_numpy("datetime64[ns]")[ok_r]]
    amount = np.r_[all_orders["amount"].to_numpy(float)[ok_o], -ref["amount"].to_numpy(float)[ok_r]]
    age = np.maximum(np.floor(((dates - first[pos]) / day) / DAYS_PER_MONTH).astype(np.int64), 0)
    return maturity, pos, amount, age
