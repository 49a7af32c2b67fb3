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

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

from lib.errors import ModelError
from lib.filters import order_positions
from lib.filters import View
from lib.schema import DAYS_PER_MONTH

TimeUnit = Literal["D", "W", "M"]
_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": DAYS_PER_MONTH}


# ------------------------------------------------------------------ historical


def _money_by_month(all_orders: pd.DataFrame, refunds: pd.DataFrame, customers: pd.DataFrame,
                    as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The money events of LTV, shared by :func:`ltv_curves` and :func:`value_within`.

    Returns per customer the whole months (of ``DAYS_PER_MONTH`` days) they have been one at ``as_of``
    (maturity), and per event (orders, then refunds of kind "refund" as negative amounts) the customer's
    row, the amount (currency) and the whole months from the customer's first order (age, >= 0).
    """
    first = customers["first_order_date"].to_numpy("datetime64[ns]")
    day = np.timedelta64(1, "D")
    maturity = np.floor(((np.datetime64(pd.Timestamp(as_of)) + day - first) / day) / DAYS_PER_MONTH).astype(np.int64)
    ref = refunds.loc[refunds["kind"] == "refund"]
    pos_o, pos_r = order_positions(all_orders, customers), order_positions(ref, customers)
    ok_o, ok_r = pos_o >= 0, pos_r >= 0
    pos = np.r_[pos_o[ok_o], pos_r[ok_r]]
    dates = np.r_[all_orders["order_date"].to_numpy("datetime64[ns]")[ok_o], ref["refund_date"].to_numpy("datetime64[ns]")[ok_r]]
    amount = np.r_[all_orders["amount"].to_numpy(float)[ok_o], -ref["amount"].to_numpy(float)[ok_r]]
    age = np.maximum(np.floor(((dates - first[pos]) / day) / DAYS_PER_MONTH).astype(np.int64), 0)
    return maturity, pos, amount, age


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
    maturity, pos, amount, age = _money_by_month(all_orders, refunds, customers, as_of)
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
    maturity, pos, amount, age = _money_by_month(all_orders, refunds, customers, as_of)
    inside = age < months
    total = np.bincount(pos[inside], weights=amount[inside], minlength=len(customers))
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


def rfm_summary(orders: pd.DataFrame, as_of: pd.Timestamp, time_unit: TimeUnit = "W",
                customer_col: str = "customer_id", date_col: str = "order_date", amount_col: str = "amount") -> pd.DataFrame:
    """Frequency, recency, T and monetary value per customer, as the models need them.

    Orders after ``as_of`` are ignored (calibration period). Several orders on
    one day count as one purchase (amounts summed).

    Returns
    -------
    DataFrame indexed by customer id
        frequency (repeat purchase days = purchase days - 1), recency (time from
        the first to the last purchase), T (time from the first purchase to
        ``as_of``), monetary_value (mean value of the repeat purchases, 0 when
        there are none); times in ``time_unit`` ("D" days, "W" weeks, "M" 30.4375-day months).
    """
    unit = _UNIT_DAYS[time_unit]
    as_of = pd.Timestamp(as_of)
    o = orders.loc[orders[date_col] <= as_of + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1),
                   [customer_col, date_col, amount_col]]
    if o.empty:
        raise ModelError("No orders on or before the analysis date.")
    days = o.assign(day=o[date_col].dt.normalize()).groupby([customer_col, "day"], observed=True)[amount_col].sum().reset_index()
    g = days.groupby(customer_col, observed=True)
    first = g["day"].min()
    last = g["day"].max()
    n = g.size()
    total = g[amount_col].sum()
    first_amt = days.sort_values([customer_col, "day"]).groupby(customer_col, observed=True)[amount_col].first()
    freq = (n - 1).astype(float)
    out = pd.DataFrame({
        "frequency": freq,
        "recency": (last - first).dt.days / unit,
        "T": (as_of.normalize() - first).dt.days / unit,
        "monetary_value": np.where(freq > 0, (total - first_amt) / freq.replace(0, np.nan), 0.0),
    })
    out.index.name = customer_col
    return out


# ------------------------------------------------------------------ BG/NBD


@dataclass(frozen=True)
class BetaGeoFit:
    """Fitted BG/NBD or MBG/NBD parameters (time in the summary's unit) and the log-likelihood.

    ``modified`` False: BG/NBD (Fader, Hardie & Lee 2005), where a customer
    can drop out only after a repeat purchase, so every one-time buyer is
    "alive" with probability 1. True: MBG/NBD (Batislam, Denizel & Filiztekin
    2007), where the chance to drop out comes at every purchase, the first
    included, so a one-time buyer who has not come back for a long time is
    probably gone.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    modified: bool = False

    def expected_purchases(self, t: float | np.ndarray, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Expected purchases in (T, T + t] for customers with the given history."""
        r, al, a, b = self.r, self.alpha, self.a, self.b
        x, tx, T = np.asarray(frequency, float), np.asarray(recency, float), np.asarray(T, float)
        t = np.asarray(t, float)
        z = t / (al + T + t)
        if self.modified:  # MBG/NBD: Batislam et al. (2007), eq. for E[Y(t) | x, tx, T]
            hyp = special.hyp2f1(r + x, b + x + 1, a + b + x, z)
            first = (a + b + x) / (a - 1)
        else:
            hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
            first = (a + b + x - 1) / (a - 1)
        second = 1 - ((al + T) / (al + T + t)) ** (r + x) * hyp
        return first * second / (1.0 + self._odds_gone(x, tx, T))

    def prob_alive(self, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Probability each customer is still active at the end of their history."""
        x, tx, T = np.asarray(frequency, float), np.asarray(recency, float), np.asarray(T, float)
        return 1.0 / (1.0 + self._odds_gone(x, tx, T))

    def _odds_gone(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        """P(dropped out) / P(active) given the history."""
        r, al, a, b = self.r, self.alpha, self.a, self.b
        log_ratio = (r + x) * (np.log(al + T) - np.log(al + tx))
        if self.modified:
            return np.exp(np.log(a) - np.log(b + x) + log_ratio)
        return (x > 0) * np.exp(np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) + log_ratio)


def _bgnbd_nll(log_params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray,
               modified: bool = False) -> float:
    r, alpha, a, b = np.exp(log_params)
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    A3 = -(r + x) * np.log(alpha + T)
    if modified:  # MBG/NBD: a dropout chance at the first purchase too, so the second term holds for x = 0
        A2 = special.gammaln(a + b) + special.gammaln(b + x + 1) - special.gammaln(b) - special.gammaln(a + b + x + 1)
        A4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    else:
        A2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
        with np.errstate(divide="ignore", invalid="ignore"):
            A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    ll = A1 + A2 + np.logaddexp(A3, A4)
    return -float(np.sum(w * ll))


def _unique_rows(summary: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    grouped = summary.groupby(cols, sort=False).size().reset_index(name="_w")
    return grouped[cols].to_numpy(float).T, grouped["_w"].to_numpy(float)


def _check_summary(summary: pd.DataFrame) -> None:
    need = {"frequency", "recency", "T"}
    if not need <= set(summary.columns):
        raise ModelError("The summary needs frequency, recency and T columns.")
    if len(summary) < 20:
        raise ModelError(f"Too few customers ({len(summary)}) to predict lifetime value; at least 20 are needed.")
    if (summary["frequency"] > 0).sum() < 5:
        raise ModelError("Too few customers have bought more than once to predict repurchases.")
    if (summary["recency"] > summary["T"] + 1e-9).any() or (summary["frequency"] < 0).any():
        raise ModelError("The summary is inconsistent: recency beyond T or negative frequency.")


def _bgnbd_from_theta(theta: np.ndarray) -> np.ndarray:
    """(log r, log r/alpha, logit a/(a+b), log a+b) -> log (r, alpha, a, b)."""
    log_r, log_m, logit_mu, log_k = theta
    log_mu = -np.logaddexp(0.0, -logit_mu)
    log_1mu = -np.logaddexp(0.0, logit_mu)
    return np.array([log_r, log_r - log_m, log_mu + log_k, log_1mu + log_k])


def fit_bgnbd(summary: pd.DataFrame, modified: bool = False) -> BetaGeoFit:
    """Maximum-likelihood BG/NBD fit (MBG/NBD with ``modified``) on an RFM summary (frequency, recency, T).

    The optimiser works on (log r, log mean rate r/alpha, logit mean dropout
    a/(a+b), log a+b): when customers are alike, r and alpha (or a and b) run
    off to infinity together while their ratio stays put, and this
    parametrisation keeps that ratio, the quantity predictions rest on, well
    defined; the fit is then the limit model (same purchase rate, or same
    dropout chance, for everyone). Raises :class:`ModelError` with a reason a
    person can act on when the data are too thin or the mean purchase rate
    cannot be estimated.
    """
    _check_summary(summary)
    (x, tx, T), w = _unique_rows(summary, ["frequency", "recency", "T"])
    scale = 10.0 / max(T.max(), 1e-9)  # fit on a rescaled clock for conditioning, then scale alpha back

    def nll(theta: np.ndarray) -> float:
        return _bgnbd_nll(_bgnbd_from_theta(theta), x, tx * scale, T * scale, w, modified)

    bounds = [(-12.0, 12.0), (-20.0, 20.0), (-20.0, 20.0), (-12.0, 12.0)]
    best = None
    for start in (np.array([0.0, 0.0, 0.0, np.log(2.0)]), np.array([np.log(0.5), np.log(0.1), np.log(0.25), np.log(2.5)])):
        res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=bounds, options={"maxiter": 3000})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    if (not best.success or not np.all(np.isfinite(best.x)) or best.x[0] <= bounds[0][0] + 0.1
            or abs(best.x[1]) >= bounds[1][1] - 0.1):
        raise ModelError("The repurchase model did not converge on this data (too little repeat buying, "
                         "or too short a history). Historical LTV is still shown.")
    r, alpha, a, b = np.exp(_bgnbd_from_theta(best.x))
    alpha /= scale
    ll = -_bgnbd_nll(np.log([r, alpha, a, b]), x, tx, T, w, modified)
    return BetaGeoFit(float(r), float(alpha), float(a), float(b), float(ll), int(len(summary)), modified)


def fit_mbgnbd(summary: pd.DataFrame) -> BetaGeoFit:
    """:func:`fit_bgnbd` with ``modified``: the MBG/NBD model, the one the dashboard predicts with."""
    return fit_bgnbd(summary, modified=True)


# ------------------------------------------------------------------ Gamma-Gamma


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend parameters and the log-likelihood."""

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int

    def expected_value(self, frequency: np.ndarray, monetary_value: np.ndarray) -> np.ndarray:
        """Expected value of a customer's future purchase; population mean for x = 0."""
        x, m = np.asarray(frequency, float), np.asarray(monetary_value, float)
        return (self.p * (self.v + x * m)) / (self.p * x + self.q - 1)


def _gg_nll(log_params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> float:
    p, q, v = np.exp(log_params)
    ll = (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v)
          + (p * x - 1) * np.log(m) + (p * x) * np.log(x) - (p * x + q) * np.log(x * m + v))
    return -float(np.sum(w * ll))


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on repeat customers (frequency > 0, monetary_value > 0).

    Raises :class:`ModelError` when order values are not positive or too few
    customers repeat.
    """
    rep = summary.loc[summary["frequency"] > 0]
    if len(rep) < 10:
        raise ModelError("Too few repeat customers (fewer than 10) to model order values.")
    if (rep["monetary_value"] <= 0).any():
        raise ModelError("Some repeat customers have a zero or negative average order value; the order-value "
                         "model needs positive amounts.")
    (x, m), w = _unique_rows(rep, ["frequency", "monetary_value"])
    scale = 1.0 / float(np.average(m, weights=w))
    best = None
    for start in (np.log([1.0, 1.0, 1.0]), np.log([5.0, 3.0, 1.0])):
        res = optimize.minimize(_gg_nll, start, args=(x, m * scale, w), method="L-BFGS-B",
                                bounds=[(-12, 12)] * 3, options={"maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    p, q, v = np.exp(best.x)
    if not best.success or q <= 1 or np.any(np.abs(best.x) > 11.9):
        raise ModelError("The order-value model did not converge on this data.")
    v /= scale
    ll = -_gg_nll(np.log([p, q, v]), x, m, w)
    return GammaGammaFit(float(p), float(q), float(v), float(ll), int(len(rep)))


# ------------------------------------------------------------------ CLV


def customer_lifetime_value(summary: pd.DataFrame, bg: BetaGeoFit, gg: GammaGammaFit, months: int = 12,
                            monthly_discount: float = 0.0, time_unit: TimeUnit = "W") -> pd.DataFrame:
    """Predicted CLV per customer over ``months`` months.

    CLV = Σ_{i=1..months} (expected purchases in month i) x expected purchase
    value / (1 + monthly_discount)^i. Columns added to ``summary``:
    expected_purchases (over the horizon), p_alive (0..1), expected_value
    (currency per purchase), clv (currency).
    """
    per_month = DAYS_PER_MONTH / _UNIT_DAYS[time_unit]
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    value = gg.expected_value(x, summary["monetary_value"].to_numpy(float))
    clv = np.zeros(len(summary))
    prev = np.zeros(len(summary))
    for i in range(1, months + 1):
        cum = bg.expected_purchases(i * per_month, x, tx, T)
        clv += (cum - prev) * value / (1 + monthly_discount) ** i
        prev = cum
    out = summary.copy()
    out["expected_purchases"] = prev
    out["p_alive"] = bg.prob_alive(x, tx, T)
    out["expected_value"] = value
    out["clv"] = clv
    return out


@dataclass
class Prediction:
    """Per-customer predictions and the fitted models."""

    customers: pd.DataFrame
    bgnbd: BetaGeoFit
    gamma_gamma: GammaGammaFit


def predict_clv(all_orders: pd.DataFrame, as_of: pd.Timestamp, months: int = 12, monthly_discount: float = 0.0) -> Prediction:
    """Fit both models on a shop's orders up to ``as_of`` and predict CLV per customer (weekly clock)."""
    summary = rfm_summary(all_orders, as_of, "W")
    bg = fit_mbgnbd(summary)  # one-time buyers can be gone (BG/NBD would call every one of them active)
    gg = fit_gamma_gamma(summary)
    return Prediction(customer_lifetime_value(summary, bg, gg, months, monthly_discount, "W").reset_index(), bg, gg)


def clv_by_segment(predicted: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Predicted CLV summed and averaged per RFM segment.

    ``predicted``: :func:`customer_lifetime_value` output with a customer_id
    column; ``segments``: :func:`lib.metrics.rfm_scores` output. Columns:
    segment, customers, clv (total, currency), avg_clv, avg_p_alive (0..1);
    biggest total first.
    """
    ids = predicted["customer_id"].astype(str)
    seg = pd.Series(segments["segment"].to_numpy(), index=segments["customer_id"].astype(str).to_numpy())
    d = pd.DataFrame({"segment": seg.reindex(ids).fillna("Other").to_numpy(), "clv": predicted["clv"].to_numpy(),
                      "p_alive": predicted["p_alive"].to_numpy()})
    out = d.groupby("segment").agg(customers=("clv", "size"), clv=("clv", "sum"), avg_clv=("clv", "mean"),
                                   avg_p_alive=("p_alive", "mean"))
    return out.sort_values("clv", ascending=False).reset_index()
