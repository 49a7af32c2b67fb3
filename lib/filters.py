"""Global filters (date range, channels) and the per-customer table every metric starts from.

Semantics (as Lifetimely and Peel do):

* A customer's **cohort** (first-order month) and **acquisition channel**
  (the channel of their first order) come from the full history, never from
  the filtered window: filtering to March does not make a January customer
  "new".
* The **channel filter** keeps customers by acquisition channel, with all of
  their orders (a customer won by parcel card stays in the parcel-card view
  when a later order says "SMS").
* The **date filter** keeps orders (and refunds) dated in
  ``[date_from, date_to]`` (whole days) and spend of the months touching it.
* ``as_of`` (the analysis date) is the end of the window or the last order
  in the data, whichever is earlier; it is never the wall clock.
* A view sees **history up to the window's end** only: orders, refunds and
  customers after ``as_of`` do not exist for it, and the per-customer table
  (orders, revenue, 2nd and last order) is recomputed as of that day. So a
  cohort cell, a ladder rung or a model fit of a window ending in June reads
  the same as on data exported that June.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from lib.errors import DataError
from lib.ingest import Dataset


@dataclass(frozen=True)
class Filters:
    """Date range (inclusive, whole days) and acquisition channels; ``None`` means all."""

    date_from: pd.Timestamp | None = None
    date_to: pd.Timestamp | None = None
    channels: tuple[str, ...] | None = None


@dataclass
class View:
    """A filtered dataset plus full-history customer attributes.

    ``orders``/``refunds``/``spend`` are restricted by the filters;
    ``customers`` has one row per customer acquired by ``as_of`` (see
    :func:`customers_table`, computed on the history up to ``as_of``)
    restricted to the selected channels; ``all_orders`` and ``all_refunds``
    hold every order and refund of those customers up to ``as_of`` (for
    "first order" and LTV questions, which look before the window);
    ``everyone`` is ``customers`` before the channel filter (referrals cross
    channels); ``start``/``as_of`` bound the window.
    """

    orders: pd.DataFrame
    refunds: pd.DataFrame
    spend: pd.DataFrame | None
    customers: pd.DataFrame
    all_orders: pd.DataFrame
    start: pd.Timestamp
    as_of: pd.Timestamp
    all_refunds: pd.DataFrame
    everyone: pd.DataFrame
    all_by_customer: np.ndarray | None = None  # permutation of all_orders by customer, then date, when known

    @cached_property
    def order_rows(self) -> np.ndarray:
        """Per row of ``orders``: its customer's row in ``customers`` (:func:`order_positions`, computed once)."""
        return order_positions(self.orders, self.customers)

    @cached_property
    def order_rows_everyone(self) -> np.ndarray:
        """Per row of ``orders``: its customer's row in ``everyone`` (computed once)."""
        return order_positions(self.orders, self.everyone)

    def in_window(self) -> np.ndarray:
        """Per row of ``customers``: has an order in the window (the window's customers)."""
        return customers_with_orders(self.orders, self.customers, self.order_rows)

    def acquired(self) -> np.ndarray:
        """Per row of ``customers``: first order in the window (the window's new customers)."""
        return acquired_between(self.customers, self.start, self.as_of)


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
    (flag on any order), orders (count), revenue (Σ amount, currency).
    Orders on the same day keep the file's order. Vectorised with numpy.
    """
    codes, uniq = pd.factorize(orders["customer_id"])
    return _customers_from_codes(orders, codes, uniq)


def _customers_from_codes(orders: pd.DataFrame, codes: np.ndarray, uniq: pd.Index,
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
    return cust


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


@dataclass
class Prepared:
    """A dataset with one categorical dtype for customer ids across orders, refunds and customers.

    Independent of the filters, so a UI can build it once per dataset and
    filter it many times. Groupby, sort and joins on the ids then work on
    integer codes.
    """

    orders: pd.DataFrame
    refunds: pd.DataFrame
    customers: pd.DataFrame
    spend: pd.DataFrame | None
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    by_customer: np.ndarray | None = None  # permutation of ``orders`` by customer code, then date (stable)


def prepare(ds: Dataset, customers: pd.DataFrame | None = None) -> Prepared:
    """Build :class:`Prepared` (``customers`` = :func:`customers_table` of ``ds.orders`` when given)."""
    # customers_table lists customers in factorize order, so the factorize codes are the rows
    codes, uniq = pd.factorize(ds.orders["customer_id"])
    by_customer = by_customer_then_date(codes, ds.orders["order_date"].to_numpy("datetime64[ns]"))
    cust = customers if customers is not None else _customers_from_codes(ds.orders, codes, uniq, by_customer)
    cat = pd.CategoricalDtype(customer_ids(cust))
    return Prepared(
        orders=ds.orders.assign(customer_id=pd.Categorical.from_codes(codes, dtype=cat)),
        refunds=ds.refunds.assign(customer_id=pd.Categorical(ds.refunds["customer_id"], dtype=cat)),
        customers=cust.assign(customer_id=pd.Categorical.from_codes(np.arange(len(cust)), dtype=cat)),
        spend=ds.spend,
        data_start=ds.orders["order_date"].min().normalize(),
        data_end=ds.orders["order_date"].max().normalize(),
        by_customer=by_customer,
    )


def apply_filters(ds: Dataset | Prepared, f: Filters | None = None, customers: pd.DataFrame | None = None) -> View:
    """Restrict a dataset by date range and acquisition channel (semantics in the module docstring).

    ``ds`` may be a :class:`Prepared` dataset (fast path for repeated
    filtering); ``customers`` may be passed when already computed (it depends
    only on ``ds.orders``). Raises :class:`DataError` when nothing is left.
    """
    f = f or Filters()
    p = ds if isinstance(ds, Prepared) else prepare(ds, customers)
    start = max(pd.Timestamp(f.date_from).normalize(), p.data_start) if f.date_from is not None else p.data_start
    end_day = min(pd.Timestamp(f.date_to).normalize(), p.data_end) if f.date_to is not None else p.data_end
    stop = end_day + pd.Timedelta(days=1)
    ds_orders, r, everyone, by_customer = history_until(p, stop)
    cust = everyone
    if f.channels is not None:
        keep_rows = everyone["channel"].isin(list(f.channels)).to_numpy()
        cust = everyone.loc[keep_rows]
        keep_code = np.zeros(len(p.customers) + 1, dtype=bool)  # by category code; code -1 hits the last slot
        keep_code[cust["customer_id"].cat.codes.to_numpy()] = True
        all_orders = ds_orders.loc[keep_code[ds_orders["customer_id"].cat.codes.to_numpy()]]
        r = r.loc[keep_code[r["customer_id"].cat.codes.to_numpy()]]
    else:
        all_orders = ds_orders
    orders = all_orders if start <= p.data_start else _dated_rows(all_orders, "order_date", start=start)
    refunds = _dated_rows(r, "refund_date", start=start)
    spend = None
    if p.spend is not None:
        s = p.spend
        m = (s["month"] >= start.to_period("M").to_timestamp()) & (s["month"] <= end_day)
        if f.channels is not None:
            m &= s["channel"].isin(list(f.channels))
        spend = s.loc[m]
    if orders.empty:
        raise DataError("No orders match these filters. Widen the date range or choose more channels.")
    return View(orders, refunds, spend, cust, all_orders, start, end_day, all_refunds=r, everyone=everyone,
                all_by_customer=by_customer if f.channels is None else None)


def _dated_rows(df: pd.DataFrame, col: str, start: pd.Timestamp | None = None,
                stop: pd.Timestamp | None = None) -> pd.DataFrame:
    """Rows of ``df`` with ``start`` <= ``col`` < ``stop`` (either bound optional). Canonical tables are sorted by
    date, so this is a slice (no copy of a million rows' text), found by binary search; any other table is masked."""
    dates = df[col]
    if dates.is_monotonic_increasing:
        lo = int(dates.searchsorted(start, side="left")) if start is not None else 0
        hi = int(dates.searchsorted(stop, side="left")) if stop is not None else len(df)
        return df.iloc[lo:hi]
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= dates >= start
    if stop is not None:
        keep &= dates < stop
    return df.loc[keep]


def history_until(p: Prepared, stop: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray | None]:
    """(orders, refunds, customers, the orders' permutation by customer then date when known) of ``p`` dated before
    ``stop``; customers recomputed on those orders.

    Customers first buying on or after ``stop`` are left out; the others keep
    their row order and categorical id. Returns ``p``'s own orders and
    customers when no order is dated after ``stop``.
    """
    refunds = _dated_rows(p.refunds, "refund_date", stop=stop)
    if stop > p.data_end:
        return p.orders, refunds, p.customers, p.by_customer
    o = _dated_rows(p.orders, "order_date", stop=stop)
    codes = o["customer_id"].cat.codes.to_numpy()
    by_customer = None
    if p.by_customer is not None and len(o) and o.index[0] == p.orders.index[0] and o.index[-1] == p.orders.index[len(o) - 1]:
        # the first len(o) rows: codes number customers by first appearance, so the customers in them are codes
        # 0..max, the rows' customer order is the dataset's with the later rows left out (no sort, no unique)
        present, dense = np.arange(int(codes.max()) + 1), codes
        by_customer = p.by_customer[p.by_customer < len(o)]
    else:
        present, dense = np.unique(codes, return_inverse=True)  # sorted codes = p.customers' row order
    ids = p.customers["customer_id"]
    cust = _customers_from_codes(o, dense, pd.Index(ids.cat.categories.take(present)), by_customer)
    cust["customer_id"] = pd.Categorical.from_codes(present, dtype=ids.dtype)
    return o, refunds, cust, by_customer


def previous_view(p: Prepared, view: View, channels: tuple[str, ...] | None = None) -> View | None:
    """The window of the same length just before ``view``'s, for "vs. the previous period" deltas.

    None when that window starts before the data does (a period the file only
    partly covers would show growth that is not there) or holds no order.
    """
    prev_to = view.start - pd.Timedelta(days=1)
    prev_from = prev_to - (view.as_of - view.start)
    if prev_from < p.data_start:
        return None
    try:
        return apply_filters(p, Filters(prev_from, prev_to, channels))
    except DataError:
        return None


def restrict(view: View, customer_ids: pd.Index) -> View:
    """The same view for only the customers in ``customer_ids`` (their orders and refunds; spend and the forest's
    ``everyone`` unchanged). Cohorts of one first product or one discount code are views of this kind."""
    from lib.coerce import ids_in

    ids = pd.Series(pd.Index(customer_ids).astype("string"))

    def keep(df: pd.DataFrame) -> pd.DataFrame:
        return df.loc[ids_in(df["customer_id"], ids)]

    return View(keep(view.orders), keep(view.refunds), view.spend, keep(view.customers).reset_index(drop=True),
                keep(view.all_orders), view.start, view.as_of, keep(view.all_refunds), view.everyone)
