"""Amounts no order holds: not finite (``inf``, ``-inf``, "1e999", a float overflow) or beyond
:data:`lib.schema.MAX_AMOUNT` either way (1e308, a decimal(38) column's 10^35). A row with one is refused,
counted in the quality report as ``bad_amount``, so that revenue, AOV and every chart stay finite.

A blank amount (NaN: a missing cell, NaN in a float column, "NaN" text) is not one of them: it is missing,
filled from quantity × unit price where the file has them, else counted as ``amount_missing``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.schema import MAX_AMOUNT, NET_SALES_FIELDS, QualityReport

# the money a row carries until it is merged into orders: its amount, the refund amount (lib.clean.refunds), the net
# sales fields (lib.clean.basis)
ROW_MONEY = ("amount", "refund", *NET_SALES_FIELDS)


def absurd(values: pd.Series | np.ndarray) -> np.ndarray:
    """Per value (currency): True where it is a number no order holds, not finite or beyond ±``MAX_AMOUNT``;
    False for a blank (NaN) and every ordinary amount."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(v) & ~(np.abs(v) <= MAX_AMOUNT)


def within_bounds_sum(values: pd.Series | np.ndarray) -> float:
    """The sum of the values that are amounts (blanks and :func:`absurd` ones left out), for a report entry."""
    v = np.asarray(values, dtype=float)
    return float(v[~np.isnan(v) & ~absurd(v)].sum())


def drop_absurd_amounts(rows: pd.DataFrame, line_amount: pd.Series, report: QualityReport) -> pd.DataFrame:
    """The rows whose money (amount, refund amount, subtotal, tax, shipping and the line's quantity × unit price,
    on the rows' index) holds no :func:`absurd` value; the others counted in ``report`` as ``bad_amount`` with the
    money they hold that is an amount (an absurd one cannot be summed)."""
    bad = absurd(line_amount.reindex(rows.index))
    for col in ROW_MONEY:
        if col in rows.columns:
            bad |= absurd(rows[col])
    if not bad.any():
        return rows
    report.add("bad_amount", int(bad.sum()), "dropped", within_bounds_sum(rows.loc[bad, "amount"].abs()), bound=MAX_AMOUNT)
    return rows.loc[~bad]
