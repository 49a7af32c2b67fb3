"""Rows grouped by order id: which rows are an order's first, which belong to multi-row orders."""
from __future__ import annotations

import numpy as np
import pandas as pd


class OrderGroups:
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


def constant_in_orders(values: pd.Series, groups: OrderGroups) -> bool:
    """Whether a money column is the order's total, not a line's amount.

    Parameters
    ----------
    values : pd.Series
        A money column (currency), one value per row, in the rows' order of ``groups``.
    groups : OrderGroups
        The rows grouped by order id.

    Returns
    -------
    bool
        True when the column repeats one value on every line of every multi-row order (3 or more such
        orders; zero lines, such as free gifts, ignored).
    """
    if groups.n_multi < 3:
        return False
    v = values.to_numpy(dtype=float, na_value=np.nan)
    keep = groups.multi & np.isfinite(v) & (v != 0)
    if not keep.any():
        return False
    s = pd.Series(v[keep])
    per = s.groupby(groups.codes[keep], sort=False).nunique()
    return bool(len(per) >= 3 and (per <= 1).all())
