"""Growth planner: the referral fission projection and "what doubles revenue".

Revenue = customers x orders per customer x AOV. The three levers:

* AOV +a (fraction, 0.1 = +10%): every order is worth (1 + a) times as much;
* repurchase +r: customers order (1 + r) times as often;
* sharing +s: the K-factor K (new customers brought per customer, see
  :class:`lib.model.referrals.ReferralRates`) becomes K(1 + s): the customers bring
  K x s more customers each, so the customer base grows by 1 + K s (one
  generation: the newly brought are not assumed to bring more).

Revenue multiplier M = (1 + a)(1 + r)(1 + K s). The 12-month projection
ramps each lever linearly from 0 to its full value at month 12 (habits change
gradually), against the baseline (the recent monthly revenue held flat) and
the 2x target line; over the year it earns :func:`projection_ratio` x the
baseline, less than M, which is the rate reached in month 12.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from lib.model.referrals import ReferralRates
from lib.schema import DAYS_PER_MONTH


def fission_projection(start_customers: float, share_referring: float, referrals_each: float, periods: int,
                       keep_referring: bool = True) -> pd.DataFrame:
    """Customers per generation and in total after each period of referral fission.

    Each period, ``share_referring`` of the customers who can refer bring
    ``referrals_each`` new customers each. With ``keep_referring`` every
    customer so far can refer again (the compounding cycle); otherwise only the
    newest generation refers. The seeds' example: 1,000 customers, 10% refer
    2 each -> 200 new in period 1.

    Returns
    -------
    DataFrame
        period (0 = start), generation (0 = the starting customers),
        customers (that generation's size after the period), new (customers
        gained in the period, all generations), total (all customers).
    """
    if start_customers < 0 or not 0 <= share_referring <= 1 or referrals_each < 0 or periods < 0:
        raise ValueError("Start customers, referrals and periods must be >= 0 and the share between 0% and 100%.")
    gens = np.zeros(periods + 2)
    gens[0] = start_customers
    rows = [(0, 0, float(start_customers), 0.0, float(start_customers))]
    latest = 0
    for t in range(1, periods + 1):
        rate = share_referring * referrals_each
        new_gens = gens.copy()
        if keep_referring:
            new_gens[1 : latest + 2] += gens[: latest + 1] * rate  # generation g begets generation g + 1
        else:
            new_gens[latest + 1] += gens[latest] * rate  # only the newest generation refers
        new = float(new_gens.sum() - gens.sum())
        gens = new_gens
        latest = min(latest + 1, periods)
        for g in range(latest + 1):
            rows.append((t, g, float(gens[g]), new, float(gens.sum())))
    return pd.DataFrame(rows, columns=["period", "generation", "customers", "new", "total"])


@dataclass(frozen=True)
class FissionStart:
    """The fission projection's starting values from the data's window (the planner's defaults).

    customers: the window's customers (at least 1); months: the window's length in months (at least 1);
    share_pct: % of the customers who brought someone, spread over the window's months (a period is a month;
    2 decimals); per_referrer: customers each of those brought (1 decimal), 2.0 when nobody brought anyone.
    """

    customers: int
    months: float
    share_pct: float
    per_referrer: float


def fission_start(rates: ReferralRates, start: pd.Timestamp, as_of: pd.Timestamp) -> FissionStart:
    """:class:`FissionStart` of the window [start, as_of] whose customers' word of mouth is ``rates``
    (:func:`lib.model.metrics.window_referrals`): per referrer, the customers they brought in the window."""
    months = max(1.0, (as_of - start).days / DAYS_PER_MONTH)
    return FissionStart(max(1, int(rates.customers)), months,
                        round(float(np.nan_to_num(rates.sharing_rate) * 100 / months), 2),
                        round(rates.brought / rates.referrers, 1) if rates.referrers else 2.0)


def fission_totals(projection: pd.DataFrame) -> pd.DataFrame:
    """One row per period: period, new, total."""
    return projection.groupby("period", as_index=False).agg(new=("new", "first"), total=("total", "first"))


def revenue_multiplier(aov_lift: float, repurchase_lift: float, sharing_lift: float, k: float) -> float:
    """M = (1 + a)(1 + r)(1 + K s), the monthly revenue once the levers are in full effect; see the module docstring."""
    k = max(float(k), 0.0) if np.isfinite(k) else 0.0
    return (1 + aov_lift) * (1 + repurchase_lift) * (1 + k * sharing_lift)


def projection_ratio(projection: pd.DataFrame) -> float:
    """The year's projected revenue / the year's baseline revenue (of :func:`project_revenue`)."""
    base = float(projection["baseline"].sum())
    return float(projection["projected"].sum()) / base if base else float("nan")


def baseline_months(as_of: pd.Timestamp, months: int = 3) -> tuple[pd.Period, pd.Period]:
    """(first, last) of the last ``months`` whole calendar months up to ``as_of``: the baseline's period."""
    end = pd.Timestamp(as_of).to_period("M")
    last_full = end if pd.Timestamp(as_of).is_month_end else end - 1
    return last_full - (months - 1), last_full


def baseline_monthly_revenue(orders: pd.DataFrame, as_of: pd.Timestamp, months: int = 3) -> float:
    """Average monthly revenue (order amounts, before refunds) over :func:`baseline_months`."""
    first, last_full = baseline_months(as_of, months)
    m = orders["order_date"].dt.to_period("M")
    sel = (m >= first) & (m <= last_full)
    return float(orders.loc[sel, "amount"].sum()) / months


def project_revenue(baseline_monthly: float, aov_lift: float, repurchase_lift: float, sharing_lift: float,
                    k: float, months: int = 12, target: float = 2.0) -> pd.DataFrame:
    """Monthly projection: month (1..months), baseline, projected, target (currency).

    projected(m) = baseline x (1 + (M - 1) x m / months), M from
    :func:`revenue_multiplier`; target = ``target`` x baseline.
    """
    mult = revenue_multiplier(aov_lift, repurchase_lift, sharing_lift, k)
    m = np.arange(1, months + 1)
    return pd.DataFrame({
        "month": m, "baseline": baseline_monthly, "projected": baseline_monthly * (1 + (mult - 1) * m / months),
        "target": baseline_monthly * target,
    })


def solve_lever(target: float, k: float, aov_lift: float = 0.0, repurchase_lift: float = 0.0,
                sharing_lift: float = 0.0, solve_for: str = "all") -> dict[str, float]:
    """Lever values that reach ``target`` x revenue (the multiplier M = target).

    ``solve_for`` = "aov", "repurchase" or "sharing" solves that lever with the
    others fixed; "all" finds one equal lift x for all three. Returns the
    three lifts (fractions); a lever that cannot reach the target (sharing
    when nobody refers) is NaN.
    """
    lifts = {"aov": aov_lift, "repurchase": repurchase_lift, "sharing": sharing_lift}
    k = max(float(k), 0.0) if np.isfinite(k) else 0.0
    if solve_for == "aov":
        lifts["aov"] = target / revenue_multiplier(0, repurchase_lift, sharing_lift, k) - 1
    elif solve_for == "repurchase":
        lifts["repurchase"] = target / revenue_multiplier(aov_lift, 0, sharing_lift, k) - 1
    elif solve_for == "sharing":
        if k <= 0:
            lifts["sharing"] = float("nan")
        else:
            c = target / ((1 + aov_lift) * (1 + repurchase_lift))
            lifts["sharing"] = (c - 1) / k
    elif solve_for == "all":
        x = optimize.brentq(lambda x: revenue_multiplier(x, x, x, k) - target, -0.99, 100.0)
        lifts = {"aov": x, "repurchase": x, "sharing": x}
    else:
        raise ValueError(f"Unknown lever {solve_for!r}")
    return lifts
