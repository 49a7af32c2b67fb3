"""Overview numbers, the customer-value decomposition, the value ladder and RFM segments.

Money is in the shop's currency; "revenue" is order amounts (gross of
refunds) unless a name says ``net``. Refunds are subtracted only where a
name says so (``revenue_net``) and in LTV (see :mod:`lib.model.cohorts`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lib.model.customers import (
    acquired_between,
    customer_codes,
    customer_ids,
    customer_runs,
    customers_with_orders,
)
from lib.model.ltv import ltv_at, value_within
from lib.model.money import money_back
from lib.model.referrals import (
    ReferralForest,
    ReferralRates,
    referral_forest,
    referral_rates,
)
from lib.model.view import View
from lib.schema import DAYS_PER_MONTH  # noqa: F401  (re-exported: a month of LTV and cohorts)

DEFAULT_MARGIN = 0.6
REPEAT_WINDOWS: tuple[int, ...] = (30, 60, 90, 180)


def _safe_div(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def n_day_repurchase(first_dates: pd.Series, second_dates: pd.Series, as_of: pd.Timestamp, days: int) -> tuple[float, int]:
    """Share of customers whose 2nd order came within ``days`` of the 1st (right-censored), in calendar days.

    Only customers whose first order's day is at least ``days`` days before
    ``as_of``'s day are counted (the others have not had the chance yet): a
    first order on day end − N at 14:00 has had its N days by the end of the
    window's last day. The 2nd order counts when its day is at most ``days``
    days after the 1st order's day (the same day: 0 days). Returns (rate,
    customers counted); rate is NaN when no customer qualifies.
    """
    first = first_dates.to_numpy("datetime64[ns]").astype("datetime64[D]")  # numpy, not .dt: 4 windows x 400k customers
    last_eligible = np.datetime64(pd.Timestamp(as_of).normalize() - pd.Timedelta(days=days), "D")
    eligible = first <= last_eligible
    n = int(eligible.sum())
    if n == 0:
        return float("nan"), 0
    second = second_dates.to_numpy("datetime64[ns]").astype("datetime64[D]")  # NaT without a 2nd order
    gap = (second - first) / np.timedelta64(1, "D")  # NaN without a 2nd order
    hit = eligible & (gap <= days)
    return float(hit.sum()) / n, n


def window_rows(view: View) -> np.ndarray:
    """Per row of ``view.everyone`` (the rows of a forest built on it): a customer of the window.

    A customer of the window has an order in it (and so is of a selected channel).
    """
    return customers_with_orders(view.orders, view.everyone, view.order_rows_everyone)


def window_referrals(view: View, forest: ReferralForest | None = None) -> ReferralRates:
    """K-factor and sharing rate of the window's customers (:func:`lib.model.referrals.referral_rates`).

    What they brought in the window: the customers they referred whose first
    order falls in it (a January customer who brought someone in March is
    not credited with that in a window of April). ``forest`` must be built on
    ``view.everyone`` (every channel: a customer won by SMS may bring one who
    buys by referral link); it is built when not given.
    """
    forest = forest or referral_forest(view.everyone)
    return referral_rates(forest, window_rows(view), acquired_between(view.everyone, view.start, view.as_of))


@dataclass(frozen=True)
class PairedLtvCac:
    """LTV:CAC on the same customers: the acquisition months of the window that had spend and whose
    customers have all been customers for ``months`` months by the window's end.

    months: those months ("2024-01", ...); customers: acquired in them (selected channels); ltv: their
    mean net revenue in their first ``months`` months (currency); spend: the months' spend (currency, a
    month the window cuts in proportion); cac = spend / customers; margin: the gross margin used (0..1);
    ratio = ltv x margin / cac. NaN where no month qualifies (a window younger than ``months``).
    """

    months: tuple[str, ...]
    customers: int
    ltv: float
    spend: float
    margin: float

    @property
    def cac(self) -> float:
        return _safe_div(self.spend, self.customers) if self.months else float("nan")

    @property
    def ratio(self) -> float:
        cac = self.cac
        return _safe_div(self.ltv * self.margin, cac) if cac == cac and cac > 0 else float("nan")


def paired_ltv_cac(view: View, margin: float = DEFAULT_MARGIN, months: int = 12) -> PairedLtvCac:
    """:class:`PairedLtvCac` of the view: LTV and CAC of the same acquisition cohorts.

    A window's CAC is of the customers it acquired; their LTV is only known once they are
    ``months`` months old, so the pair is taken over the window's months with spend whose
    new customers (first order in the window, selected channels) are all that old by
    ``view.as_of`` (a month without new customers, once its last day is). Revenue and refunds
    as :func:`lib.model.ltv.value_within` counts them.
    """
    new = view.customers.loc[acquired_between(view.customers, view.start, view.as_of)]
    value = value_within(view.all_orders, view.all_refunds, new, view.as_of, months).to_numpy()
    return paired_cohorts(new, value, view.spend, view.as_of, margin, months)


def paired_cohorts(new: pd.DataFrame, value: np.ndarray, spend: pd.DataFrame | None, as_of: pd.Timestamp,
                   margin: float, months: int = 12) -> PairedLtvCac:
    """The pairing of :func:`paired_ltv_cac` on given rows: ``new`` customers (first_order_date), their
    ``months``-month values (currency, NaN while younger) and the spend rows (month, spend) they came with."""
    none = PairedLtvCac((), 0, float("nan"), float("nan"), margin)
    if spend is None or spend.empty:
        return none
    by_month = spend.groupby(spend["month"].dt.to_period("M"))["spend"].sum()
    by_month = by_month.loc[by_month > 0]
    cohort = new["first_order_date"].dt.to_period("M").to_numpy()
    horizon = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=months * DAYS_PER_MONTH)

    def old_enough(m: pd.Period) -> bool:
        mine = cohort == m
        return bool(~np.isnan(value[mine]).any()) if mine.any() else (m + 1).to_timestamp() <= horizon

    chosen = [m for m in by_month.index if old_enough(m)]
    if not chosen:
        return none
    inside = np.isin(cohort, chosen)
    return PairedLtvCac(tuple(str(m) for m in chosen), int(inside.sum()),
                        float(np.nanmean(value[inside])) if inside.any() else float("nan"),
                        float(by_month.loc[chosen].sum()), margin)


@dataclass(frozen=True)
class Overview:
    """The Overview figures of a filtered view. Money in the shop's currency, rates 0..1, NaN where not computable.

    customers: with an order in the window; new_customers: first order ever in
    the window; orders; revenue_gross (order amounts); refunds (dated in the
    window); revenue_net = gross - refunds; aov = gross / orders (before
    refunds); aov_net = net / orders. These five are order-level: they count
    guest orders (no customer; ``guest_orders`` of them, ``guest_revenue`` their
    amounts) and their refunds. Every other figure is of customers and leaves
    guests out: orders_per_customer (customers' orders / customers);
    repurchase_rate: share of the window's customers with 2+ orders in it;
    repeat_30d/60d/90d/180d: censored N-day repurchase of the new customers
    (:func:`n_day_repurchase`); sharing_rate and k_factor: of the window's
    customers (:class:`lib.model.referrals.ReferralRates`); ltv_3m/6m/12m:
    :func:`lib.model.ltv.ltv_at`; spend (window months); cac = spend / new customers;
    ltv_cac: :func:`paired_ltv_cac` (LTV and CAC of the same acquisition months; ``ltv_cac_months``
    names them, ``margin`` is the gross margin used); as_of, date_from, date_to (ISO dates).
    """

    customers: int
    new_customers: int
    orders: int
    revenue_gross: float
    refunds: float
    revenue_net: float
    aov: float
    aov_net: float
    orders_per_customer: float
    repurchase_rate: float
    repeat_30d: float
    repeat_60d: float
    repeat_90d: float
    repeat_180d: float
    sharing_rate: float
    k_factor: float
    ltv_3m: float
    ltv_6m: float
    ltv_12m: float
    spend: float
    cac: float
    ltv_cac: float
    ltv_cac_months: tuple[str, ...]
    margin: float
    as_of: str
    date_from: str
    date_to: str
    guest_orders: int = 0
    guest_revenue: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Field name -> value, in the order above (for JSON and the report; months as "2024-01, 2024-02")."""
        return {k: ", ".join(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


def overview(view: View, margin: float = DEFAULT_MARGIN, forest: ReferralForest | None = None,
             ltv: dict[int, float] | None = None) -> Overview:
    """The :class:`Overview` figures for a filtered view (``forest``: built on ``view.everyone``, when at hand;
    ``ltv``: :func:`lib.model.ltv.ltv_at` of the view for 3, 6 and 12 months, when at hand: it depends on the window's
    end and channels only, so a UI can keep it while the window's start moves)."""
    as_of = view.as_of
    o, cust = view.orders, view.customers
    per_cust = np.bincount(view.order_rows, minlength=len(cust)) if len(cust) else np.zeros(0, int)
    is_active = per_cust > 0
    n_cust = int(is_active.sum())
    n_guest = 0 if view.guests is None else int(len(view.guests))
    guest_rev = 0.0 if view.guests is None else float(view.guests["amount"].sum())
    n_orders = int(len(o)) + n_guest
    gross = float(o["amount"].sum()) + guest_rev
    refunds = float(money_back(view.refunds)["amount"].sum())
    is_new = is_active & acquired_between(cust, view.start, as_of)
    new = cust.loc[is_new]
    repeat = {d: n_day_repurchase(new["first_order_date"], new["second_order_date"], as_of, d)[0] for d in REPEAT_WINDOWS}
    rates = window_referrals(view, forest)
    ltv = ltv if ltv is not None else ltv_at(view, (3, 6, 12))
    spend = float(view.spend["spend"].sum()) if view.spend is not None and len(view.spend) else float("nan")
    cac = _safe_div(spend, len(new)) if not np.isnan(spend) else float("nan")
    paired = paired_ltv_cac(view, margin)
    return Overview(
        customers=n_cust, new_customers=int(is_new.sum()), orders=n_orders,
        revenue_gross=gross, refunds=refunds, revenue_net=gross - refunds,
        aov=_safe_div(gross, n_orders), aov_net=_safe_div(gross - refunds, n_orders),
        orders_per_customer=_safe_div(len(o), n_cust),
        repurchase_rate=float((per_cust[is_active] >= 2).mean()) if n_cust else float("nan"),
        repeat_30d=repeat[30], repeat_60d=repeat[60], repeat_90d=repeat[90], repeat_180d=repeat[180],
        sharing_rate=rates.sharing_rate, k_factor=rates.k_factor,
        ltv_3m=ltv[3], ltv_6m=ltv[6], ltv_12m=ltv[12], spend=spend, cac=cac,
        ltv_cac=paired.ratio, ltv_cac_months=paired.months, margin=margin,
        as_of=as_of.date().isoformat(), date_from=view.start.date().isoformat(), date_to=as_of.date().isoformat(),
        guest_orders=n_guest, guest_revenue=guest_rev,
    )


# ------------------------------------------------------------------ customer value decomposition


@dataclass(frozen=True)
class ValueDecomposition:
    """The users' formula: value = AOV x repurchase + sharing.

    direct_value = aov x orders_per_customer (revenue per customer);
    referral_value = referred_per_customer x referred_aov x referred_orders_per_customer
    (what the customers a customer brings spend); total = direct + referral.
    All money per customer, in the shop's currency.
    """

    aov: float
    orders_per_customer: float
    referred_per_customer: float
    referred_aov: float
    referred_orders_per_customer: float

    @property
    def direct_value(self) -> float:
        return self.aov * self.orders_per_customer

    @property
    def referred_value(self) -> float:
        """What one brought customer is worth: referred_aov x referred_orders_per_customer (NaN without any)."""
        return self.referred_aov * self.referred_orders_per_customer

    @property
    def referral_value(self) -> float:
        v = self.referred_per_customer * self.referred_aov * self.referred_orders_per_customer
        return 0.0 if np.isnan(v) else v

    @property
    def total(self) -> float:
        return self.direct_value + self.referral_value

    def as_dict(self) -> dict[str, float]:
        return {
            "aov": self.aov, "orders_per_customer": self.orders_per_customer,
            "referred_per_customer": self.referred_per_customer, "referred_aov": self.referred_aov,
            "referred_orders_per_customer": self.referred_orders_per_customer,
            "direct_value": self.direct_value, "referral_value": self.referral_value, "total": self.total,
        }


def value_decomposition(view: View, forest: ReferralForest | None = None) -> ValueDecomposition:
    """Decompose customer value for the window's customers (an order in ``view.orders``).

    aov and orders_per_customer over the window's orders;
    referred_per_customer = the K-factor (:func:`window_referrals`: customers
    they brought per customer); referred_aov and referred_orders_per_customer
    over the window's orders of the window's customers who were themselves
    referred (a valid link), standing for what a brought customer is worth.
    ``forest`` must be built on ``view.everyone``.
    """
    forest = forest or referral_forest(view.everyone)
    orders = view.orders
    pos = view.order_rows_everyone
    active = window_rows(view)  # the window's customers
    n = int(active.sum())
    referred = forest.nodes["referrer_id"].notna().to_numpy() & active
    ro_mask = (pos >= 0) & referred[np.maximum(pos, 0)]
    ro_amount = orders["amount"].to_numpy(float)[ro_mask]
    n_ref = int(referred.sum())
    return ValueDecomposition(
        aov=_safe_div(orders["amount"].sum(), len(orders)),
        orders_per_customer=_safe_div(len(orders), n),
        referred_per_customer=window_referrals(view, forest).k_factor,
        referred_aov=_safe_div(ro_amount.sum(), len(ro_amount)),
        referred_orders_per_customer=_safe_div(len(ro_amount), n_ref),
    )


LEVERS = ("aov", "orders_per_customer", "referred_per_customer")


def lever_changes(before: ValueDecomposition, after: ValueDecomposition) -> pd.DataFrame:
    """Change of each lever between two periods, biggest mover first.

    Columns: lever, before, after, change_pct ((after / before - 1) x 100).
    """
    rows = []
    for lever in LEVERS + ("direct_value", "referral_value", "total"):
        b, a = getattr(before, lever), getattr(after, lever)
        rows.append((lever, b, a, (a / b - 1) * 100 if b else float("nan")))
    df = pd.DataFrame(rows, columns=["lever", "before", "after", "change_pct"])
    levers = df.loc[df["lever"].isin(LEVERS)].copy()
    levers = levers.reindex(levers["change_pct"].abs().sort_values(ascending=False, na_position="last").index)
    return pd.concat([levers, df.loc[~df["lever"].isin(LEVERS)]], ignore_index=True)


# ------------------------------------------------------------------ value ladder

RUNGS = ("potential", "bought once", "repeat", "loyal")


def _rung_codes(customers: pd.DataFrame, loyal_orders: int, loyal_spend: float | None, use_member_flag: bool) -> np.ndarray:
    orders = customers["orders"].to_numpy()
    loyal = orders >= loyal_orders
    if use_member_flag:
        loyal |= customers["is_member"].to_numpy(bool)
    if loyal_spend is not None:
        loyal |= customers["revenue"].to_numpy(float) >= loyal_spend
    return np.where(loyal, 3, np.where(orders >= 2, 2, 1))  # index into RUNGS


def ladder_rungs(customers: pd.DataFrame, loyal_orders: int = 4, loyal_spend: float | None = None,
                 use_member_flag: bool = True) -> pd.Series:
    """Rung of each customer: bought once, repeat (2+ orders), loyal.

    Loyal = member flag (when ``use_member_flag``) or orders >= ``loyal_orders``
    or revenue >= ``loyal_spend`` (when given). Index: customer_id.
    """
    codes = _rung_codes(customers, loyal_orders, loyal_spend, use_member_flag)
    return pd.Series(np.asarray(RUNGS, dtype=object)[codes], index=customer_ids(customers), name="rung")


def value_ladder(customers: pd.DataFrame, loyal_orders: int = 4, loyal_spend: float | None = None,
                 use_member_flag: bool = True, forest: ReferralForest | None = None) -> pd.DataFrame:
    """Counts and revenue share per rung of the value ladder.

    ``potential`` = people named as referrers who never bought (the data's only
    trace of people with no order); pass the ``forest`` of the same customers
    to reuse what it found. Columns: rung, customers, revenue, revenue_share
    (0..1), avg_revenue.
    """
    codes = _rung_codes(customers, loyal_orders, loyal_spend, use_member_flag)
    count = np.bincount(codes, minlength=4)
    revenue = np.bincount(codes, weights=customers["revenue"].to_numpy(float), minlength=4)
    if forest is not None:
        iss = forest.issues
        count[0] = iss.loc[iss["issue"] == "referrer never bought", "referrer_id"].nunique()
    else:
        refs = customers["referrer_id"].dropna()
        # Index.get_indexer hashes once; Series.isin on arrow strings loops in Python in pandas 3
        count[0] = pd.unique(refs.loc[customer_ids(customers).get_indexer(refs) < 0].to_numpy()).size
    t = pd.DataFrame({"rung": list(RUNGS), "customers": count.astype(int), "revenue": revenue})
    total = revenue.sum()
    t["revenue_share"] = t["revenue"] / total if total else 0.0
    t["avg_revenue"] = t["revenue"] / t["customers"].replace(0, np.nan)
    return t


def ladder_movement(all_orders: pd.DataFrame, loyal_orders: int = 4, by_customer: np.ndarray | None = None) -> pd.DataFrame:
    """Month-by-month ladder: customers on each rung at each month end, and moves up.

    A customer is on "bought once" from their 1st order's month, "repeat" from
    their 2nd, "loyal" from their ``loyal_orders``-th (or the first order that
    carries the member flag). Columns: month, bought once, repeat, loyal,
    new (first orders), to_repeat (moved up to repeat), to_loyal (moved up to loyal).
    """
    codes = customer_codes(all_orders)
    dates = all_orders["order_date"].to_numpy("datetime64[ns]")
    order, starts = customer_runs(codes, dates, by_customer)  # by_customer: View.all_by_customer, when known
    ym = dates[order].astype("datetime64[M]").astype(np.int64)
    lengths = np.diff(np.r_[starts, len(order)])
    n = np.arange(len(order)) - np.repeat(starts, lengths) + 1  # order number within the customer
    member = all_orders["is_member"].to_numpy(bool)[order]
    reached_loyal = (n >= loyal_orders) | member
    # first loyal month per customer: minimum month among qualifying rows (rows are in date order)
    big = np.iinfo(np.int64).max
    loyal_month = np.full(len(starts), big)
    np.minimum.at(loyal_month, np.searchsorted(starts, np.flatnonzero(reached_loyal), side="right") - 1,
                  ym[reached_loyal])
    first_month = ym[starts]
    second_month = np.where(lengths >= 2, ym[np.minimum(starts + 1, len(order) - 1)], big)
    lo, hi = int(ym.min()), int(ym.max())
    span = hi - lo + 1

    def per_month(months: np.ndarray) -> np.ndarray:
        m = months[months != big] - lo
        return np.bincount(m, minlength=span)

    new = per_month(first_month)
    to_repeat = per_month(second_month)
    to_loyal = per_month(loyal_month)
    repeat_or_loyal = per_month(np.minimum(second_month, loyal_month))
    loyal = np.cumsum(to_loyal)
    t = pd.DataFrame({
        "month": (np.arange(lo, hi + 1)).astype("datetime64[M]").astype("datetime64[ns]"),
        "bought once": np.cumsum(new) - np.cumsum(repeat_or_loyal),
        "repeat": np.cumsum(repeat_or_loyal) - loyal,
        "loyal": loyal, "new": new, "to_repeat": to_repeat, "to_loyal": to_loyal,
    })
    return t





def by_platform(view: View) -> pd.DataFrame:
    """The window's orders, revenue (order amounts, guest orders included; currency) and new customers per
    platform of a several-file dataset (empty without platforms). Columns: platform, orders, revenue,
    new_customers (acquired on it in the window), customers (of the window, acquired on it)."""
    every = view.every_order()
    if "platform" not in every.columns:
        return pd.DataFrame(columns=["platform", "orders", "revenue", "new_customers", "customers"])
    g = every.groupby("platform", observed=True)["amount"].agg(["size", "sum"]).rename(columns={"size": "orders",
                                                                                               "sum": "revenue"})
    cust = view.customers
    active = cust.loc[view.in_window()]
    new = cust.loc[view.in_window() & view.acquired()]
    g["new_customers"] = new.groupby("platform", observed=True).size().reindex(g.index).fillna(0).astype(int)
    g["customers"] = active.groupby("platform", observed=True).size().reindex(g.index).fillna(0).astype(int)
    return g.reset_index()


def first_order_labels(all_orders: pd.DataFrame) -> np.ndarray:
    """Index labels of each customer's first order in ``all_orders`` (by date; the file's order breaks ties).

    Filtering by acquisition channel keeps or drops whole customers, so the
    labels found on a dataset's full orders serve every filtered view of it.
    """
    order, starts = customer_runs(customer_codes(all_orders), all_orders["order_date"].to_numpy("datetime64[ns]"))
    return all_orders.index.to_numpy()[order[starts]]


def revenue_new_vs_returning(all_orders: pd.DataFrame, orders: pd.DataFrame,
                             first_labels: np.ndarray | None = None, guests: pd.DataFrame | None = None) -> pd.DataFrame:
    """Revenue by month split into first orders (new), later orders (returning) and guest orders.

    Columns: month, new, returning, guests (currency; ``guests``: the window's guest orders, whose
    amounts are neither new nor returning: no customer; 0 without them). "First" is the customer's first
    order in the full history (``all_orders``, by date; the file's order breaks
    ties). ``orders`` must be rows of ``all_orders`` (same index labels).
    ``first_labels`` may pass :func:`first_order_labels` of ``all_orders`` (or
    of the unfiltered orders it was taken from) when already computed.
    """
    labels = first_order_labels(all_orders) if first_labels is None else first_labels
    index = orders.index
    if pd.api.types.is_integer_dtype(index) and len(labels) and len(index) and labels.min() >= 0 and index.min() >= 0:
        flag = np.zeros(int(max(labels.max(), index.max())) + 1, dtype=bool)  # a lookup table beats Index.isin
        flag[labels] = True
        is_first = flag[index.to_numpy()]
    else:
        is_first = index.isin(labels)
    g = guests if guests is not None else orders.iloc[:0]
    month = np.r_[orders["order_date"].to_numpy("datetime64[M]"), g["order_date"].to_numpy("datetime64[M]")]
    month = month.astype(np.int64)  # months since 1970
    amount = np.r_[orders["amount"].to_numpy(float), g["amount"].to_numpy(float)]
    kind = np.r_[np.where(is_first, 0, 1), np.full(len(g), 2)]  # new, returning, guest
    if not len(month):
        return pd.DataFrame({"month": pd.Series([], dtype="datetime64[ns]"), "new": [], "returning": [], "guests": []})
    lo = int(month.min())
    at = month - lo  # per month by counting, not by a groupby's sort
    new, returning, guest = (np.bincount(at, weights=np.where(kind == k, amount, 0.0)) for k in (0, 1, 2))
    seen = np.bincount(at) > 0
    months = (np.arange(len(seen)) + lo).astype("datetime64[M]").astype("datetime64[ns]")
    return pd.DataFrame({"month": months[seen], "new": new[seen], "returning": returning[seen], "guests": guest[seen]})
