"""Repurchase cohorts: customers grouped by the month (or week) of their first order.

period k = whole months (or weeks) between the cohort start and the order's
month (week): the first order's month is period 0. A cell exists only when
the period has started by ``as_of``; later cells are NaN (empty), never 0.
Revenue in cohorts is net: refunds are subtracted in the period they happen.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from lib.model.customers import customer_runs, order_positions
from lib.model.metrics import REPEAT_WINDOWS, n_day_repurchase
from lib.model.money import money_back

Freq = Literal["M", "W"]
COHORT_VALUES = ("active_pct", "revenue", "revenue_per_customer", "cum_ltv")


def _period_start(dates: pd.Series, freq: Freq) -> pd.Series:
    if freq == "W":
        return (dates.dt.normalize() - pd.to_timedelta(dates.dt.weekday, unit="D")).astype("datetime64[ns]")
    return dates.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")


def _period_index(start: pd.Series, cohort: pd.Series, freq: Freq) -> pd.Series:
    if freq == "W":
        return ((start - cohort).dt.days // 7).astype(int)
    return ((start.dt.year - cohort.dt.year) * 12 + (start.dt.month - cohort.dt.month)).astype(int)


def order_periods(all_orders: pd.DataFrame, customers: pd.DataFrame, freq: Freq = "M") -> pd.DataFrame:
    """Each order of a customer in ``customers``: pos (the customer's row), cohort (period start of their first
    order), start (the order's period start), amount (currency), period (periods since the cohort's start).
    The active customers of a cohort cell are its rows' distinct ``pos`` (:func:`cohort_table`, the drill-down)."""
    cohort_of = _period_start(customers["first_order_date"], freq).to_numpy("datetime64[ns]")
    pos = order_positions(all_orders, customers)
    ok = pos >= 0
    o = pd.DataFrame({"pos": pos[ok], "cohort": cohort_of[pos[ok]],
                      "start": _period_start(all_orders["order_date"], freq).to_numpy()[ok],
                      "amount": all_orders["amount"].to_numpy(float)[ok]})
    o["period"] = _period_index(o["start"], o["cohort"], freq)
    return o


def cohort_table(all_orders: pd.DataFrame, refunds: pd.DataFrame, customers: pd.DataFrame,
                 as_of: pd.Timestamp, freq: Freq = "M") -> pd.DataFrame:
    """Long cohort table, one row per (cohort, period) that has started by ``as_of``.

    Parameters
    ----------
    all_orders, refunds
        Canonical tables (every order of the customers in ``customers``).
    customers
        :func:`lib.model.customers.customers_table` rows; their first order defines the cohort.
    as_of
        Analysis date; periods starting after it are absent (NaN in a matrix).
    freq
        "M" for calendar months, "W" for weeks starting Monday.

    Returns
    -------
    DataFrame
        cohort (period start), period (0, 1, ...), cohort_size (customers),
        active (customers with an order in the period), active_pct (active /
        cohort_size, 0..1), revenue (net, currency), revenue_per_customer
        (revenue / cohort_size), cum_ltv (cumulative revenue_per_customer).
    """
    cohort_of = _period_start(customers["first_order_date"], freq).to_numpy("datetime64[ns]")
    size = pd.Series(cohort_of).value_counts().rename("cohort_size")
    size.index = pd.DatetimeIndex(size.index).astype("datetime64[ns]")
    o = order_periods(all_orders, customers, freq)
    rev = o.groupby(["cohort", "period"])["amount"].sum()
    active = o.drop_duplicates(["pos", "period"]).groupby(["cohort", "period"]).size().rename("active")
    refund_rows = money_back(refunds)
    rpos = order_positions(refund_rows, customers)
    rok = rpos >= 0
    if rok.any():
        r = pd.DataFrame({"cohort": cohort_of[rpos[rok]], "amount": refund_rows["amount"].to_numpy(float)[rok],
                          "start": _period_start(refund_rows["refund_date"], freq).to_numpy()[rok]})
        # a refund dated before its customer's first order (of an order before the data) counts in period 0,
        # as in LTV: it would otherwise fall outside every cell and the cohorts would lose its money
        r["period"] = _period_index(r["start"], r["cohort"], freq).clip(lower=0)
        rev = rev.sub(r.groupby(["cohort", "period"])["amount"].sum(), fill_value=0)
    size = size.sort_index()
    as_of_start = _period_start(pd.Series([pd.Timestamp(as_of)]), freq).iloc[0]
    grid = []
    for cohort in size.index:
        last = _period_index(pd.Series([as_of_start]), pd.Series([cohort]), freq).iloc[0]
        grid.append(pd.DataFrame({"cohort": cohort, "period": np.arange(max(last, 0) + 1)}))
    t = pd.concat(grid, ignore_index=True) if grid else pd.DataFrame(  # no cohort (no new customer): typed, joinable
        {"cohort": pd.Series([], dtype="datetime64[ns]"), "period": pd.Series([], dtype=np.int64)})
    t = t.join(size, on="cohort").join(active, on=["cohort", "period"]).join(rev.rename("revenue"), on=["cohort", "period"])
    t["active"] = t["active"].fillna(0).astype(int)
    t["revenue"] = t["revenue"].fillna(0.0).astype(float)
    t["active_pct"] = t["active"] / t["cohort_size"]
    t["revenue_per_customer"] = t["revenue"] / t["cohort_size"]
    t["cum_ltv"] = t.groupby("cohort")["revenue_per_customer"].cumsum()
    return t[["cohort", "period", "cohort_size", "active", "active_pct", "revenue", "revenue_per_customer", "cum_ltv"]]


def cohort_matrix(table: pd.DataFrame, value: str = "active_pct") -> pd.DataFrame:
    """Cohorts x periods matrix of one value column; cells after ``as_of`` are NaN."""
    return table.pivot(index="cohort", columns="period", values=value)


def repurchase_by_cohort(all_orders: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp,
                         windows: tuple[int, ...] = REPEAT_WINDOWS) -> pd.DataFrame:
    """N-day repurchase rate per monthly cohort (right-censored).

    A cohort gets a rate for window N only when all its customers have had N
    days (the cohort's last day + N <= ``as_of``); a partly eligible cohort
    would rest on its first few days' customers and mislead. Columns: cohort,
    customers, then ``repeat_{N}d`` (0..1, NaN when the cohort is too young).
    """
    sec = customers[["first_order_date", "second_order_date"]].assign(
        cohort=_period_start(customers["first_order_date"], "M"))
    rows = []
    for cohort, g in sec.groupby("cohort"):
        row: dict[str, object] = {"cohort": cohort, "customers": len(g)}
        cohort_end = pd.Timestamp(cohort) + pd.offsets.MonthEnd(0)
        for d in windows:
            whole = cohort_end + pd.Timedelta(days=d) <= pd.Timestamp(as_of)
            rate, _ = n_day_repurchase(g["first_order_date"], g["second_order_date"], as_of, d)
            row[f"repeat_{d}d"] = rate if whole else float("nan")
        rows.append(row)
    return pd.DataFrame(rows, columns=["cohort", "customers"] + [f"repeat_{d}d" for d in windows])  # columns: also with no cohort


def days_between_orders(all_orders: pd.DataFrame, customers: pd.DataFrame,
                        since: pd.Timestamp | None = None) -> pd.DataFrame:
    """Every gap between a customer's consecutive orders (only those whose later order is on or after ``since``).

    Columns: customer_id, channel (acquisition), order_number (2 = gap between
    1st and 2nd order ..., counted over the whole history), days (float, >= 0;
    same-day repeats give 0).
    """
    pos = order_positions(all_orders, customers)
    ok = pos >= 0
    p = pos[ok]
    d = all_orders["order_date"].to_numpy("datetime64[ns]")[ok]
    order, starts = customer_runs(p, d)
    p, d = p[order], d[order]
    same = np.ones(len(p), dtype=bool)  # the order has an earlier one of the same customer
    same[starts] = False
    if since is not None:
        same &= d >= np.datetime64(pd.Timestamp(since))
    number = np.arange(len(p)) - np.repeat(starts, np.diff(np.r_[starts, len(p)])) + 1
    prev = np.r_[d[:1], d[:-1]]
    gaps = pd.DataFrame({
        "customer_id": customers["customer_id"].array.take(p[same]),  # take keeps the (categorical) dtype: fast
        "channel": customers["channel"].array.take(p[same]),
        "order_number": number[same],
        "days": (d[same] - prev[same]) / np.timedelta64(1, "D"),
    })
    return gaps[["customer_id", "channel", "order_number", "days"]].reset_index(drop=True)


def contact_rhythm(gaps: pd.DataFrame) -> pd.DataFrame:
    """Median days between consecutive orders per acquisition channel (the natural contact rhythm).

    Columns: channel, gaps (count), median_days, p25_days, p75_days; plus an
    "All channels" row first.
    """
    def summ(g: pd.DataFrame) -> pd.Series:
        return pd.Series({"gaps": len(g), "median_days": g["days"].median(),
                          "p25_days": g["days"].quantile(0.25), "p75_days": g["days"].quantile(0.75)})

    if gaps.empty:
        return pd.DataFrame(columns=["channel", "gaps", "median_days", "p25_days", "p75_days"])
    per = gaps.groupby("channel", observed=True)[["days"]].apply(summ).reset_index()
    allrow = summ(gaps).to_frame().T.assign(channel="All channels")
    out = pd.concat([allrow, per.sort_values("median_days")], ignore_index=True)
    out["gaps"] = out["gaps"].astype(int)
    return out[["channel", "gaps", "median_days", "p25_days", "p75_days"]]


def order_funnel(all_orders: pd.DataFrame, customers: pd.DataFrame, gaps: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 1st -> 2nd -> 3rd -> 4th+ order funnel.

    Columns: step ("1st", "2nd", "3rd", "4th+"), customers (who reached it),
    of_previous (share of the previous step, 0..1), of_first (0..1),
    median_days_from_previous (median gap from the previous order; for 4th+
    the gap from 3rd to 4th). ``gaps`` may pass :func:`days_between_orders`' result.
    """
    counts = customers["orders"]
    gaps = days_between_orders(all_orders, customers) if gaps is None else gaps
    steps = [("1st", 1), ("2nd", 2), ("3rd", 3), ("4th+", 4)]
    rows = []
    for label, k in steps:
        reached = int((counts >= k).sum())
        med = float(gaps.loc[gaps["order_number"] == k, "days"].median()) if k > 1 else float("nan")
        rows.append({"step": label, "customers": reached, "median_days_from_previous": med})
    t = pd.DataFrame(rows)
    first = t["customers"].iloc[0]
    t["of_previous"] = t["customers"] / t["customers"].shift().fillna(first)
    t["of_first"] = t["customers"] / first if first else np.nan
    return t[["step", "customers", "of_previous", "of_first", "median_days_from_previous"]]
