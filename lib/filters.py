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
"""
from __future__ import annotations

from dataclasses import dataclass

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
    ``customers`` has one row per customer in the full history (see
    :func:`customers_table`) restricted to the selected channels;
    ``all_orders`` holds every order of those customers (for "first order"
    questions); ``start``/``as_of`` bound the window.
    """

    orders: pd.DataFrame
    refunds: pd.DataFrame
    spend: pd.DataFrame | None
    customers: pd.DataFrame
    all_orders: pd.DataFrame
    start: pd.Timestamp
    as_of: pd.Timestamp


def customers_table(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per customer from canonical orders (full history).

    Columns: customer_id, first_order_date, last_order_date, cohort_month
    (first day of the first order's month), channel (acquisition channel =
    channel of the first order), referrer_id (first non-blank on any of their
    orders), is_member (flag on any order), orders (count), revenue (Σ amount).
    """
    o = orders.sort_values(["order_date", "order_id"], kind="stable")
    g = o.groupby("customer_id", sort=True, observed=True)
    cust = g.agg(
        first_order_date=("order_date", "first"), last_order_date=("order_date", "last"),
        channel=("channel", "first"), referrer_id=("referrer_id", "first"),
        is_member=("is_member", "max"), orders=("order_id", "size"), revenue=("amount", "sum"),
    ).reset_index()
    cust["cohort_month"] = cust["first_order_date"].dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    cust["customer_id"] = cust["customer_id"].astype("string")
    cust["channel"] = cust["channel"].astype("string")
    cust["referrer_id"] = cust["referrer_id"].astype("string")
    cust["is_member"] = cust["is_member"].astype(bool)
    return cust


def apply_filters(ds: Dataset, f: Filters | None = None, customers: pd.DataFrame | None = None) -> View:
    """Restrict a dataset by date range and acquisition channel (semantics in the module docstring).

    ``customers`` may be passed when already computed (it depends only on ``ds.orders``).
    Raises :class:`DataError` when nothing is left.
    """
    f = f or Filters()
    cust = customers if customers is not None else customers_table(ds.orders)
    data_end = ds.orders["order_date"].max().normalize()
    data_start = ds.orders["order_date"].min().normalize()
    start = max(pd.Timestamp(f.date_from).normalize(), data_start) if f.date_from is not None else data_start
    end_day = min(pd.Timestamp(f.date_to).normalize(), data_end) if f.date_to is not None else data_end
    if f.channels is not None:
        cust = cust.loc[cust["channel"].isin(list(f.channels))]
    keep = ds.orders["customer_id"].isin(cust["customer_id"])
    all_orders = ds.orders.loc[keep]
    stop = end_day + pd.Timedelta(days=1)
    in_window = (all_orders["order_date"] >= start) & (all_orders["order_date"] < stop)
    orders = all_orders.loc[in_window]
    r = ds.refunds
    refunds = r.loc[r["customer_id"].isin(cust["customer_id"]) & (r["refund_date"] >= start) & (r["refund_date"] < stop)]
    spend = None
    if ds.spend is not None:
        s = ds.spend
        m = (s["month"] >= start.to_period("M").to_timestamp()) & (s["month"] <= end_day)
        if f.channels is not None:
            m &= s["channel"].isin(list(f.channels))
        spend = s.loc[m]
    if orders.empty:
        raise DataError("No orders match these filters. Widen the date range or choose more channels.")
    return View(orders, refunds, spend, cust, all_orders, start, end_day)
