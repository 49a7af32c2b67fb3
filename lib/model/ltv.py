"""Customer lifetime value: historical curves and predictions (MBG/NBD + Gamma-Gamma).

Historical LTV for a group k months after the first order = net revenue of
the group's customers in their first k months / number of those customers
who have been customers for at least k months (a month = 30.4375 days).

Predicted LTV: MBG/NBD (Batislam, Denizel & Filiztekin 2007, a variant of
the BG/NBD of Fader, Hardie & Lee 2005, "Counting Your Customers the Easy
Way", where a customer may drop out right after the first purchase) for the
number of future purchases and the probability that a customer is still
active (under BG/NBD every one-time buyer would be active with probability
1); BG/NBD stays available (:func:`fit_bgnbd`) and reproduces its published
CDNOW estimates, as MBG/NBD reproduces BTYDplus's. Gamma-Gamma (Fader & Hardie 2013) for the value of
a purchase; CLV over a horizon with an optional monthly discount rate. Both
are fitted by maximum likelihood with scipy on the unique (frequency,
recency, T) combinations, so 100k customers fit in about a second.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.model.money import money_by_month
from lib.model.view import View

# ------------------------------------------------------------------ historical


def ltv_curves(all_orders: pd.DataFrame, refunds: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp,
               by: str | None = "channel", max_months: int = 24, min_customers: int = 1) -> pd.DataFrame:
    """Cumulative net revenue per customer k months after the first order, per group.

    Parameters
    ----------
    by
        A column of ``customers`` ("channel", "cohort_month", ...) or None for all customers.
    max_months
        Longest horizon computed.
    min_customers
        Leave out a month that fewer customers of the group have reached (the
        tail of a curve rests on a handful of old customers and swings).

    Returns
    -------
    DataFrame
        group, month (1..max_months), customers (mature for that many months),
        ltv (currency per customer). Months no customer has reached are left out.
    """
    if by:
        gcodes, gnames = pd.factorize(customers[by].astype(str).to_numpy(), sort=True)
    else:  # one group: no factorizing of 400k equal labels
        gcodes, gnames = np.zeros(len(customers), dtype=np.int64), pd.Index(["All customers"])
    maturity, pos, amount, age = money_by_month(all_orders, refunds, customers, as_of)
    K = max_months
    G = len(gnames)
    # difference arrays: an event of age a for a customer of maturity m counts in months a+1 .. m
    lo = np.clip(age + 1, 1, K + 1)
    hi = np.clip(maturity[pos] + 1, 1, K + 1)
    ok = lo < hi
    eg = gcodes[pos]
    size = G * (K + 2)  # bincount over flat (group, month) cells: np.add.at is ten times slower
    num = (np.bincount(eg[ok] * (K + 2) + lo[ok], weights=amount[ok], minlength=size)
           - np.bincount(eg[ok] * (K + 2) + hi[ok], weights=amount[ok], minlength=size)).reshape(G, K + 2)
    num = np.cumsum(num, axis=1)
    den = np.bincount(gcodes * (K + 2) + np.clip(maturity, 0, K), minlength=size).reshape(G, K + 2).astype(float)
    den = np.cumsum(den[:, ::-1], axis=1)[:, ::-1]  # den[g, k] = customers of g with maturity >= k
    rows = []
    for g, name in enumerate(gnames):
        for k in range(1, K + 1):
            if den[g, k] >= max(min_customers, 1):
                rows.append((name, k, int(den[g, k]), num[g, k] / den[g, k]))
    return pd.DataFrame(rows, columns=["group", "month", "customers", "ltv"])


def value_within(all_orders: pd.DataFrame, refunds: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp,
                 months: int = 12) -> pd.Series:
    """Net revenue of each customer in the first ``months`` months after the first order (currency).

    The per-customer form of :func:`ltv_curves` at month ``months`` (same month
    length, same refunds, same maturity rule): the mean over customers who are
    not NaN equals the curve's value there. Indexed by customer_id (as in
    ``customers``); NaN for a customer not yet ``months`` months old at ``as_of``.
    """
    maturity, pos, amount, age = money_by_month(all_orders, refunds, customers, as_of)
    inside = age < months
    total = np.bincount(pos[inside], weights=amount[inside], minlength=len(customers)).astype(float)  # float when empty too
    total[maturity < months] = np.nan
    return pd.Series(total, index=pd.Index(customers["customer_id"].astype(str), name="customer_id"), name="value")


def ltv_at(view: View, months: tuple[int, ...] = (3, 6, 12)) -> dict[int, float]:
    """The LTV figure: net revenue per customer in the first ``months`` months after the first order.

    One definition for every page (Overview's 12-month LTV, the LTV and CAC
    pages' curves): :func:`ltv_curves` over ``view.customers`` (customers
    acquired by the window's end, selected channels), counting those who have
    been customers for at least that many 30.4375-day months by ``view.as_of``.
    NaN for a horizon no customer has reached.
    """
    c = ltv_curves(view.all_orders, view.all_refunds, view.customers, view.as_of, by=None, max_months=max(months))
    got = dict(zip(c["month"], c["ltv"]))
    return {m: float(got.get(m, float("nan"))) for m in months}


# ------------------------------------------------------------------ RFM summary


# ------------------------------------------------------------------ BG/NBD


# ------------------------------------------------------------------ Gamma-Gamma


# ------------------------------------------------------------------ CLV


