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
  ``[date_from, date_to]`` (whole days) and spend of the months touching it,
  a month the window cuts in proportion to its days inside (:func:`window_spend`).
* ``as_of`` (the analysis date) is the end of the window or the data's last
  day (its last order or refund), whichever is earlier; never the wall clock.
* Choosing every channel is no channel filter (refunds of customers without
  a kept order, who have no acquisition channel, count in both).
* **Guest orders** (no customer) count in the order totals of the window;
  under a channel filter, those written with a chosen channel, and the guest
  refunds written with one. A channel only guests bought by is no acquisition
  channel: it is not offered, and its guest orders count without a filter.
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

from lib.coerce import ids_in
from lib.errors import DataError
from lib.model.customers import (
    acquired_between,
    by_customer_then_date,
    customer_ids,
    customers_from_codes,
    customers_with_orders,
    order_positions,
)
from lib.model.money import money_back
from lib.schema import Dataset, with_guests


@dataclass(frozen=True)
class Filters:
    """Date range (inclusive, whole days), acquisition channels and acquisition platforms (several files); ``None``
    means all."""

    date_from: pd.Timestamp | None = None
    date_to: pd.Timestamp | None = None
    channels: tuple[str, ...] | None = None
    platforms: tuple[str, ...] | None = None


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
    channels); ``start``/``as_of`` bound the window. ``guests``: the window's
    guest orders (``Dataset.guests``), for order-level totals only; their
    refunds are rows of ``refunds`` with customer <NA>.
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
    guests: pd.DataFrame | None = None  # guest orders of the window (selected channels by the order's), when any

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

    def every_order(self) -> pd.DataFrame:
        """The window's orders and guest orders (customer <NA>), by date: the orders the window's totals count."""
        return with_guests(self.orders, self.guests)

    def acquired(self) -> np.ndarray:
        """Per row of ``customers``: first order in the window (the window's new customers)."""
        return acquired_between(self.customers, self.start, self.as_of)


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
    guests: pd.DataFrame | None = None  # ``Dataset.guests``, by date


def prepare(ds: Dataset, customers: pd.DataFrame | None = None) -> Prepared:
    """Build :class:`Prepared` (``customers`` = :func:`customers_table` of ``ds.orders`` when given)."""
    # customers_table lists customers in factorize order, so the factorize codes are the rows
    codes, uniq = pd.factorize(ds.orders["customer_id"])
    by_customer = by_customer_then_date(codes, ds.orders["order_date"].to_numpy("datetime64[ns]"))
    cust = customers if customers is not None else customers_from_codes(ds.orders, codes, uniq, by_customer)
    cat = pd.CategoricalDtype(customer_ids(cust))
    return Prepared(
        orders=ds.orders.assign(customer_id=pd.Categorical.from_codes(codes, dtype=cat)),
        refunds=ds.refunds.assign(customer_id=pd.Categorical(ds.refunds["customer_id"], dtype=cat)),
        customers=cust.assign(customer_id=pd.Categorical.from_codes(np.arange(len(cust)), dtype=cat)),
        spend=ds.spend,
        data_start=min(ds.orders["order_date"].min(), _dates(ds.guests).min()).normalize(),
        data_end=_last_day(pd.concat([ds.orders["order_date"], _dates(ds.guests)]), money_back(ds.refunds)["refund_date"]),
        by_customer=by_customer,
        guests=ds.guests,
    )


def _dates(guests: pd.DataFrame | None) -> pd.Series:
    """The guest orders' dates (none without guests)."""
    return guests["order_date"] if guests is not None else pd.Series([], dtype="datetime64[ns]")


def _last_day(order_dates: pd.Series, refund_dates: pd.Series) -> pd.Timestamp:
    """The data's last day: its last order or refund (money back after the last order is in the data;
    a cancelled order is not an event)."""
    last = order_dates.max()
    if len(refund_dates) and pd.notna(refund_dates.max()):
        last = max(last, refund_dates.max())
    return pd.Timestamp(last).normalize()


def window_spend(spend: pd.DataFrame, date_from: pd.Timestamp | None, date_to: pd.Timestamp | None) -> pd.DataFrame:
    """Monthly spend rows (channel, month, spend, touches, adds) as much of them as the window covers.

    A month the window cuts counts in proportion to its days inside [``date_from``, ``date_to``]
    (whole days; a bound not given cuts nothing): a window of 1–15 June takes 15/30 of June's spend,
    touches and adds. Money in the shop's currency; a new frame, ``spend`` is not changed.
    """
    if spend.empty or (date_from is None and date_to is None):
        return spend
    month = spend["month"].dt.to_period("M").dt.to_timestamp()
    nxt = month + pd.offsets.MonthBegin(1)
    lo = month if date_from is None else month.clip(lower=pd.Timestamp(date_from).normalize())
    hi = nxt if date_to is None else nxt.clip(upper=pd.Timestamp(date_to).normalize() + pd.Timedelta(days=1))
    share = ((hi - lo) / (nxt - month)).clip(lower=0.0, upper=1.0).to_numpy(float)
    out = spend.copy()
    for col in ("spend", "touches", "adds"):
        if col in out:
            out[col] = out[col].to_numpy(float) * share
    return out


def apply_filters(ds: Dataset | Prepared, f: Filters | None = None, customers: pd.DataFrame | None = None) -> View:
    """Restrict a dataset by date range and acquisition channel (semantics in the module docstring).

    ``ds`` may be a :class:`Prepared` dataset (fast path for repeated
    filtering); ``customers`` may be passed when already computed (it depends
    only on ``ds.orders``). Raises :class:`DataError` when nothing is left.
    """
    f = f or Filters()
    p = ds if isinstance(ds, Prepared) else prepare(ds, customers)
    f = _no_filter_for_all(f, p.customers)
    start = max(pd.Timestamp(f.date_from).normalize(), p.data_start) if f.date_from is not None else p.data_start
    end_day = min(pd.Timestamp(f.date_to).normalize(), p.data_end) if f.date_to is not None else p.data_end
    stop = end_day + pd.Timedelta(days=1)
    ds_orders, r, everyone, by_customer = history_until(p, stop)
    cust = everyone
    if f.channels is not None or f.platforms is not None:
        keep_rows = _chosen(everyone, f)
        cust = everyone.loc[keep_rows]
        keep_code = np.zeros(len(p.customers) + 1, dtype=bool)  # by category code; code -1 hits the last slot
        keep_code[cust["customer_id"].cat.codes.to_numpy()] = True
        all_orders = ds_orders.loc[keep_code[ds_orders["customer_id"].cat.codes.to_numpy()]]
        r = r.loc[keep_code[r["customer_id"].cat.codes.to_numpy()] | _guest_refunds_of(r, p.guests, f)]
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
        if f.platforms is not None and "platform" in s.columns:  # spend entered per platform: its platform's only
            m &= s["platform"].isin(list(f.platforms))
        spend = window_spend(s.loc[m], pd.Timestamp(f.date_from) if f.date_from is not None else None,
                             pd.Timestamp(f.date_to) if f.date_to is not None else None)
    guests = _window_guests(p.guests, start, stop, f)
    if orders.empty:  # guest orders alone make no view: every customer figure would be empty
        if guests is None:
            raise DataError("No orders match these filters. Widen the date range or choose more channels.")
        raise DataError(f"No customer's order matches these filters, only {len(guests):,} guest orders without a customer "
                        "do. Widen the date range or choose more channels.")
    return View(orders, refunds, spend, cust, all_orders, start, end_day, all_refunds=r, everyone=everyone,
                all_by_customer=by_customer if f.channels is None and f.platforms is None else None, guests=guests)


def _no_filter_for_all(f: Filters, customers: pd.DataFrame) -> Filters:
    """``f`` with every channel (platform) chosen made no channel (platform) filter: the same view."""
    if f.channels is not None and set(f.channels) >= set(customers["channel"].unique()):
        f = Filters(f.date_from, f.date_to, None, f.platforms)
    if f.platforms is not None and ("platform" not in customers.columns
                                    or set(f.platforms) >= set(customers["platform"].unique())):
        f = Filters(f.date_from, f.date_to, f.channels, None)
    return f


def _chosen(frame: pd.DataFrame, f: Filters) -> np.ndarray:
    """Per row of ``frame`` (customers, guest orders, refunds): of a chosen channel and a chosen platform."""
    keep = np.ones(len(frame), dtype=bool)
    if f.channels is not None:
        keep &= frame["channel"].isin(list(f.channels)).to_numpy() if "channel" in frame.columns else False
    if f.platforms is not None:
        keep &= frame["platform"].isin(list(f.platforms)).to_numpy() if "platform" in frame.columns else False
    return keep


def _window_guests(guests: pd.DataFrame | None, start: pd.Timestamp, stop: pd.Timestamp, f: Filters) -> pd.DataFrame | None:
    """The guest orders dated in [start, stop) of the chosen channels and platforms, or None when there are none."""
    if guests is None:
        return None
    g = _dated_rows(guests, "order_date", start=start, stop=stop)
    if f.channels is not None or f.platforms is not None:
        g = g.loc[_chosen(g, f)]
    return g if len(g) else None


def _guest_refunds_of(refunds: pd.DataFrame, guests: pd.DataFrame | None, f: Filters) -> np.ndarray:
    """Per row of ``refunds``: a guest's refund (no customer) written with a chosen channel and platform (stored by
    earlier code without a channel: of a guest order of those channels)."""
    no_customer = (refunds["customer_id"].cat.codes == -1).to_numpy()
    if not no_customer.any():
        return no_customer
    if "channel" in refunds.columns:
        return no_customer & _chosen(refunds, f)
    if guests is None:
        return np.zeros(len(refunds), dtype=bool)
    return no_customer & ids_in(refunds["order_id"], guests.loc[_chosen(guests, f), "order_id"])


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
    cust = customers_from_codes(o, dense, pd.Index(ids.cat.categories.take(present)), by_customer)
    cust["customer_id"] = pd.Categorical.from_codes(present, dtype=ids.dtype)
    return o, refunds, cust, by_customer


def previous_view(p: Prepared, view: View, channels: tuple[str, ...] | None = None,
                  platforms: tuple[str, ...] | None = None) -> View | None:
    """The window of the same length just before ``view``'s, for "vs. the previous period" deltas.

    None when that window starts before the data does (a period the file only
    partly covers would show growth that is not there) or holds no order.
    """
    prev_to = view.start - pd.Timedelta(days=1)
    prev_from = prev_to - (view.as_of - view.start)
    if prev_from < p.data_start:
        return None
    try:
        return apply_filters(p, Filters(prev_from, prev_to, channels, platforms))
    except DataError:
        return None


def restrict(view: View, customer_ids: pd.Index) -> View:
    """The same view for only the customers in ``customer_ids`` (their orders and refunds; spend and the forest's
    ``everyone`` unchanged; no guest orders). Cohorts of one first product or one discount code are views of this
    kind."""
    ids = pd.Series(pd.Index(customer_ids).astype("string"))

    def keep(df: pd.DataFrame) -> pd.DataFrame:
        return df.loc[ids_in(df["customer_id"], ids)]

    return View(keep(view.orders), keep(view.refunds), view.spend, keep(view.customers).reset_index(drop=True),
                keep(view.all_orders), view.start, view.as_of, keep(view.all_refunds), view.everyone)
