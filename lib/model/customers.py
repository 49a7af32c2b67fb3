"""The per-customer table: first order, acquisition channel, orders, spend, referrer; and customer codes."""
from __future__ import annotations

import numpy as np
import pandas as pd


def acquired_between(customers: pd.DataFrame, start: pd.Timestamp, as_of: pd.Timestamp) -> np.ndarray:
    """Per customer row: the first order falls on a day in [start, as_of] (the window's new customers)."""
    first = customers["first_order_date"]
    return ((first >= pd.Timestamp(start)) & (first < pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1))).to_numpy()


def by_customer_then_date(codes: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Permutation sorting orders by customer code, then date, ties in the given order (stable).

    Canonical orders come sorted by date, and then a stable sort on the codes
    alone gives the same order at half the cost of a two-key sort.
    """
    if len(dates) < 2 or bool((dates[1:] >= dates[:-1]).all()):
        return np.argsort(codes, kind="stable")
    return np.lexsort((dates, codes))


def customer_runs(codes: np.ndarray, dates: np.ndarray, order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Orders grouped per customer: (permutation by customer then date, start of each customer's run in it).

    ``order[starts]`` are the customers' first orders; run lengths are
    ``np.diff(np.r_[starts, len(order)])``. Ties on a date keep the given order.
    ``order``: that permutation (:func:`by_customer_then_date`), when already known.
    """
    order = by_customer_then_date(codes, dates) if order is None else order
    sc = codes[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]]) if len(sc) else np.array([], dtype=np.int64)
    return order, starts


def customers_table(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per customer from canonical orders (full history), in order of first appearance.

    Columns: customer_id, first_order_date, second_order_date (NaT for one-time
    buyers), last_order_date, cohort_month (first day of the first order's
    month), channel (acquisition channel = channel of the first order),
    referrer_id (first non-blank on any of their orders, by date), is_member
    (flag on any order), orders (count), revenue (Σ amount, currency); platform
    (the first order's) when the orders come from several files.
    Orders on the same day keep the file's order. Vectorised with numpy.
    """
    codes, uniq = pd.factorize(orders["customer_id"])
    return customers_from_codes(orders, codes, uniq)


def customers_from_codes(orders: pd.DataFrame, codes: np.ndarray, uniq: pd.Index,
                          by_customer: np.ndarray | None = None) -> pd.DataFrame:
    n = len(uniq)
    dates = orders["order_date"].to_numpy("datetime64[ns]")
    order, starts = customer_runs(codes, dates, by_customer)  # stable: ties keep the file's order
    sc = codes[order]
    counts = np.diff(np.r_[starts, len(sc)])
    first_idx = order[starts]
    last_idx = order[starts + counts - 1]
    has_second = counts >= 2
    second_idx = order[np.minimum(starts + 1, max(len(order) - 1, 0))]
    second = dates[second_idx].copy()
    second[~has_second] = np.datetime64("NaT")
    ref = orders["referrer_id"].astype("string").reset_index(drop=True)
    ref_sorted_mask = ref.notna().to_numpy()[order]
    ref_row = np.full(n, -1, dtype=np.int64)  # the order row holding each customer's first referrer
    if ref_sorted_mask.any():
        rows = np.flatnonzero(ref_sorted_mask)
        firsts, at = np.unique(sc[rows], return_index=True)
        ref_row[firsts] = order[rows[at]]
    referrer = ref.take(np.maximum(ref_row, 0)).reset_index(drop=True).mask(pd.Series(ref_row < 0), pd.NA)
    channel = orders["channel"].astype("string").reset_index(drop=True)
    cust = pd.DataFrame({
        "customer_id": pd.Series(uniq, dtype="string").reset_index(drop=True),
        "first_order_date": dates[first_idx],
        "second_order_date": second,
        "last_order_date": dates[last_idx],
        "channel": channel.take(first_idx).reset_index(drop=True),
        "referrer_id": referrer,
        "is_member": np.bincount(codes, weights=orders["is_member"].to_numpy(dtype=float), minlength=n) > 0,
        "orders": counts.astype(np.int64),
        "revenue": np.bincount(codes, weights=orders["amount"].to_numpy(dtype=float), minlength=n),
    })
    cust["cohort_month"] = cust["first_order_date"].dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    if "platform" in orders.columns:  # several files: the platform the customer was acquired on (first order's)
        cust["platform"] = orders["platform"].astype("string").reset_index(drop=True).take(first_idx).reset_index(drop=True)
    return cust


def customer_count(orders: pd.DataFrame) -> int:
    """Distinct customers (customer_id) among ``orders``."""
    return int(orders["customer_id"].nunique())


def customer_ids(customers: pd.DataFrame) -> pd.Index:
    """The customer_id column as a string Index (cheap for the categorical ids of a :class:`View`)."""
    col = customers["customer_id"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Index(col.cat.categories.astype("string").take(col.cat.codes.to_numpy()), name="customer_id")
    return pd.Index(col.astype("string"), name="customer_id")


def customer_codes(orders: pd.DataFrame) -> np.ndarray:
    """Integer code per order's customer: the categorical codes in a :class:`View`, else factorize codes."""
    col = orders["customer_id"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy()
    return pd.factorize(col)[0]


def order_positions(orders: pd.DataFrame, customers: pd.DataFrame) -> np.ndarray:
    """Row number in ``customers`` of each order's customer (-1 when absent).

    Fast path (no hashing) when both customer_id columns share one categorical
    dtype, as in a :class:`View`.
    """
    oc, cc = orders["customer_id"], customers["customer_id"]
    if isinstance(oc.dtype, pd.CategoricalDtype) and oc.dtype == cc.dtype:
        lookup = np.full(len(cc.cat.categories) + 1, -1, dtype=np.int64)
        lookup[cc.cat.codes.to_numpy()] = np.arange(len(cc))
        return lookup[oc.cat.codes.to_numpy()]  # code -1 (missing) hits the last slot: -1
    return pd.Index(cc.astype("string")).get_indexer(oc.astype("string"))


def customers_with_orders(orders: pd.DataFrame, customers: pd.DataFrame, positions: np.ndarray | None = None) -> np.ndarray:
    """Per row of ``customers``: at least one row of ``orders`` is theirs (``positions``: :func:`order_positions`, if at hand)."""
    pos = order_positions(orders, customers) if positions is None else positions
    mask = np.zeros(len(customers), dtype=bool)
    mask[pos[pos >= 0]] = True
    return mask
