"""Buy-till-you-die models: BG/NBD, MBG/NBD and Gamma-Gamma fitted by maximum likelihood, and predicted CLV."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

from lib.errors import ModelError
from lib.schema import DAYS_PER_MONTH

TimeUnit = Literal["D", "W", "M"]


_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": DAYS_PER_MONTH}


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
    fitted_on: int | None = None  # customers of the seeded sample it was fitted on, None for all (FIT_SAMPLE)

    def expected_purchases(self, t: float | np.ndarray, frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Expected purchases in (T, T + t] for customers with the given history."""
        r, al, a, b = self.r, self.alpha, self.a, self.b
        x, tx, T = np.asarray(frequency, float), np.asarray(recency, float), np.asarray(T, float)
        t = np.asarray(t, float)
        if self.modified:  # MBG/NBD: Batislam et al. (2007), eq. for E[Y(t) | x, tx, T]
            hyp = _on_distinct(lambda x, T, t: special.hyp2f1(r + x, b + x + 1, a + b + x, t / (al + T + t)), x, T, t)
            first = (a + b + x) / (a - 1)
        else:
            hyp = _on_distinct(lambda x, T, t: special.hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t)), x, T, t)
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


def _on_distinct(fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray], x: np.ndarray, T: np.ndarray,
                 t: np.ndarray) -> np.ndarray:
    """``fn(x, T, t)`` elementwise, evaluated once per distinct (x, T, t): the Gauss hypergeometric function costs
    micro- to milliseconds a call when the fit's r is large, and a shop's customers share few (orders, age) pairs
    (390,000 customers of two years: 4,500), so scoring every customer costs a few thousand calls."""
    x, T, t = np.broadcast_arrays(x, T, t)
    if x.size < 2048:
        return fn(x, T, t)
    code = np.zeros(x.size, np.int64)
    levels = []
    for v in (x, T, t):  # one integer per (x, T, t), renumbered at each step so that it stays below the size squared
        c, u = pd.factorize(v.ravel())
        code = pd.factorize(code * len(u) + c)[0].astype(np.int64)
        levels.append((c, u))
    first_of, inverse = np.unique(code, return_index=True, return_inverse=True)[1:]
    values = fn(*(u[c[first_of]] for c, u in levels))
    return values[inverse].reshape(x.shape)


def bgnbd_nll(log_params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray,
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


def bgnbd_nll_grad(log_params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray,
                    modified: bool = False) -> tuple[float, np.ndarray]:
    """:func:`bgnbd_nll` and its gradient in the log parameters (log r, log alpha, log a, log b), worked out term by
    term (digamma for the gamma functions, the two terms of the logaddexp weighted by their shares): the optimiser
    needs one evaluation per step instead of five for a finite-difference gradient."""
    r, alpha, a, b = np.exp(log_params)
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    A3 = -(r + x) * np.log(alpha + T)
    dig = special.digamma
    if modified:
        A2 = special.gammaln(a + b) + special.gammaln(b + x + 1) - special.gammaln(b) - special.gammaln(a + b + x + 1)
        A4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
        d2a = dig(a + b) - dig(a + b + x + 1)
        d2b = dig(a + b) + dig(b + x + 1) - dig(b) - dig(a + b + x + 1)
        d4b = -1.0 / (b + x)
    else:
        A2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
        with np.errstate(divide="ignore", invalid="ignore"):
            A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
            d4b = np.where(x > 0, -1.0 / np.maximum(b + x - 1, 1e-300), 0.0)
        d2a = dig(a + b) - dig(a + b + x)
        d2b = dig(a + b) + dig(b + x) - dig(b) - dig(a + b + x)
    L = np.logaddexp(A3, A4)
    p3, p4 = np.exp(A3 - L), np.exp(A4 - L)  # each term's share of the sum (p4 = 0 where A4 is -inf)
    ll = A1 + A2 + L
    d_r = dig(r + x) - dig(r) + np.log(alpha) - p3 * np.log(alpha + T) - p4 * np.log(alpha + tx)
    d_alpha = r / alpha - (r + x) * (p3 / (alpha + T) + p4 / (alpha + tx))
    d_a = d2a + p4 / a
    d_b = d2b + p4 * d4b
    grad = -np.array([r * np.sum(w * d_r), alpha * np.sum(w * d_alpha), a * np.sum(w * d_a), b * np.sum(w * d_b)])
    return -float(np.sum(w * ll)), grad


def _theta_grad(theta: np.ndarray, grad_log: np.ndarray) -> np.ndarray:
    """The gradient in the optimiser's parameters (see :func:`_bgnbd_from_theta`) from the one in the log parameters."""
    g_r, g_alpha, g_a, g_b = grad_log
    mu = 1.0 / (1.0 + np.exp(-theta[2]))
    return np.array([g_r + g_alpha, -g_alpha, g_a * (1 - mu) - g_b * mu, g_a + g_b])


def unique_rows(summary: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``summary``'s ``cols`` (one array per column) and how many customers have each: the
    likelihoods' weights."""
    grouped = summary.groupby(cols, sort=False).size().reset_index(name="_w")
    return grouped[cols].to_numpy(float).T, grouped["_w"].to_numpy(float)


LOG_RIDGE_END = 8.5  # the fit's log r and log (a + b) stop here: see fit_bgnbd
FIT_SAMPLE = 200_000  # a model is fitted on at most this many customers: a seeded random sample of a bigger shop


def fit_sample(summary: pd.DataFrame) -> pd.DataFrame:
    """``summary`` itself, or a seeded random :data:`FIT_SAMPLE` of its rows when it has more: the likelihood of
    half a million customers costs ten times a 200,000 sample's and moves the parameters by less than their
    uncertainty; every customer is still scored."""
    return summary if len(summary) <= FIT_SAMPLE else summary.sample(FIT_SAMPLE, random_state=0)


def _check_summary(summary: pd.DataFrame) -> None:
    need = {"frequency", "recency", "T"}
    if not need <= set(summary.columns):
        raise ModelError("The summary needs frequency, recency and T columns.")
    if len(summary) < 20:
        raise ModelError(f"Too few customers ({len(summary)}) to predict lifetime value; at least 20 are needed.")
    repeaters = int((summary["frequency"] > 0).sum())
    if repeaters < 5:
        raise ModelError(f"Too few customers have bought more than once ({repeaters}; 5 are needed) to predict repurchases.")
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
    fitted = fit_sample(summary)
    (x, tx, T), w = unique_rows(fitted, ["frequency", "recency", "T"])
    scale = 10.0 / max(T.max(), 1e-9)  # fit on a rescaled clock for conditioning, then scale alpha back

    def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = bgnbd_nll_grad(_bgnbd_from_theta(theta), x, tx * scale, T * scale, w, modified)
        return value, _theta_grad(theta, grad)

    # log r and log a+b stop at 8.5 (about 5,000): along a ridge the exact gradient walks on towards the limit model,
    # whose predictions it already gives there (to 1e-3), while the hypergeometric function fails past ~20,000
    bounds = [(-12.0, LOG_RIDGE_END), (-20.0, 20.0), (-20.0, 20.0), (-12.0, LOG_RIDGE_END)]
    best = None
    for start in (np.array([0.0, 0.0, 0.0, np.log(2.0)]), np.array([np.log(0.5), np.log(0.1), np.log(0.25), np.log(2.5)])):
        res = optimize.minimize(nll, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 3000})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    if (not best.success or not np.all(np.isfinite(best.x)) or best.x[0] <= bounds[0][0] + 0.1
            or abs(best.x[1]) >= bounds[1][1] - 0.1):
        raise ModelError("The repurchase model did not converge on this data (too little repeat buying, "
                         "or too short a history). Historical LTV is still shown.")
    r, alpha, a, b = np.exp(_bgnbd_from_theta(best.x))
    alpha /= scale
    ll = -bgnbd_nll(np.log([r, alpha, a, b]), x, tx, T, w, modified)
    return BetaGeoFit(float(r), float(alpha), float(a), float(b), float(ll), int(len(summary)), modified,
                      len(fitted) if len(fitted) < len(summary) else None)


def fit_mbgnbd(summary: pd.DataFrame) -> BetaGeoFit:
    """:func:`fit_bgnbd` with ``modified``: the MBG/NBD model, the one the dashboard predicts with."""
    return fit_bgnbd(summary, modified=True)


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend parameters and the log-likelihood.

    ``mean`` set: the limiting model (q, v → ∞ with their ratio kept): customers do not differ in what they
    spend per order, so every customer's expected order value is ``mean`` (currency); p is still fitted, q
    and v are infinite. ``fallback``: why the limit is used: "alike" (it fits the data at least as well as
    the full model) or "few" (too few repeat customers to fit the full model); None for the full model.
    :func:`spend_sentence` says it in words.
    """

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int
    mean: float | None = None
    fallback: str | None = None

    def expected_value(self, frequency: np.ndarray, monetary_value: np.ndarray) -> np.ndarray:
        """Expected value of a customer's future purchase; population mean for x = 0."""
        x, m = np.asarray(frequency, float), np.asarray(monetary_value, float)
        if self.mean is not None:
            return np.full(np.broadcast(x, m).shape, self.mean)
        return (self.p * (self.v + x * m)) / (self.p * x + self.q - 1)


def gg_nll(log_params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> float:
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
    (x, m), w = unique_rows(fit_sample(rep), ["frequency", "monetary_value"])
    scale = 1.0 / float(np.average(m, weights=w))
    best = None
    for start in (np.log([1.0, 1.0, 1.0]), np.log([5.0, 3.0, 1.0])):
        res = optimize.minimize(gg_nll, start, args=(x, m * scale, w), method="L-BFGS-B",
                                bounds=[(-12, 12)] * 3, options={"maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    p, q, v = np.exp(best.x)
    if not best.success or q <= 1 or np.any(np.abs(best.x) > 11.9):
        raise ModelError("The order-value model did not converge on this data.")
    v /= scale
    ll = -gg_nll(np.log([p, q, v]), x, m, w)
    return GammaGammaFit(float(p), float(q), float(v), float(ll), int(len(rep)))


def _gg_limit_nll(log_params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> float:
    """Gamma-Gamma's limit q → ∞: every customer's rate ν is the same, so the mean of x purchases is Gamma(px, xν)."""
    p, nu = np.exp(log_params)
    ll = p * x * np.log(x * nu) + (p * x - 1) * np.log(m) - x * nu * m - special.gammaln(p * x)
    return -float(np.sum(w * ll))


def _gg_limit(rep: pd.DataFrame) -> GammaGammaFit:
    """The limiting Gamma-Gamma fit on repeat customers (frequency > 0, monetary_value > 0): p and the common
    expected order value p / ν."""
    (x, m), w = unique_rows(fit_sample(rep), ["frequency", "monetary_value"])
    scale = 1.0 / float(np.average(m, weights=w))
    res = optimize.minimize(_gg_limit_nll, np.log([1.0, 1.0]), args=(x, m * scale, w), method="L-BFGS-B",
                            bounds=[(-12, 12)] * 2)
    p, nu = np.exp(res.x)
    nu *= scale
    ll = -_gg_limit_nll(np.log([p, nu]), x, m, w)
    return GammaGammaFit(float(p), float("inf"), float("inf"), float(ll), int(len(rep)), mean=float(p / nu))


def spend_model(summary: pd.DataFrame) -> GammaGammaFit:
    """The order-value model the predictions use: the Gamma-Gamma fit, or its limit when that fits the data at least
    as well (customers do not differ in spend per order: the fit would stop at an arbitrary point on the way to
    q → ∞), or the shop's mean order value when there are too few repeat customers; each fallback with its
    ``note``. Raises :class:`ModelError` only when no customer has a positive order value."""
    rep = summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    try:
        fit = fit_gamma_gamma(summary)
    except ModelError:
        fit = None
    if len(rep) >= 2:
        limit = _gg_limit(rep)
        if fit is None or limit.log_likelihood >= fit.log_likelihood - 1e-6:
            return dataclasses.replace(limit, fallback="few" if fit is None and len(rep) < 10 else "alike")
        return fit
    if fit is not None:
        return fit
    if len(rep) == 0:
        raise ModelError("No customer has bought twice with a positive amount, so the value of future orders "
                         "cannot be estimated.")
    return GammaGammaFit(float("nan"), float("inf"), float("inf"), float("nan"), 1, mean=float(rep["monetary_value"].iloc[0]),
                         fallback="few")


RIDGE = 50.0  # r (or a + b) beyond this: the fit is on its way to the limit where customers do not differ


def repurchase_sentence(bg: BetaGeoFit, lang: str = "en") -> str | None:
    """The plain sentences saying that the repurchase model was fitted on a sample of a big shop's customers, or
    reached a limit (customers alike in how often they buy, or in how likely they are to stop); None for neither."""
    rate, stop = bg.r > RIDGE, bg.a + bg.b > RIDGE
    said = []
    if bg.fitted_on is not None:
        said.append(f"模型在随机抽取的 {bg.fitted_on:,} 位客户（共 {bg.customers:,} 位）上拟合，再为每位客户预测。" if lang == "zh"
                    else f"The model was fitted on a random {bg.fitted_on:,} of the {bg.customers:,} customers, then "
                         "predicts every one of them.")
    if lang == "zh" and (rate or stop):
        what = "、".join(w for w, on in (("购买频率", rate), ("流失的可能", stop)) if on)
        said.append(f"这些客户的{what}相差很小，模型按全店统一的水平预测每位客户。")
    elif rate or stop:
        what = " and ".join(w for w, on in (("how often they buy", rate), ("how likely they are to stop", stop)) if on)
        said.append(f"These customers differ little in {what}, so the model predicts every one of them at the shop's level.")
    return ("" if lang == "zh" else " ").join(said) or None


def spend_sentence(gg: GammaGammaFit, lang: str = "en") -> str | None:
    """The plain sentence a fallback of the order-value model is said with (None for the full model)."""
    if gg.fallback is None or gg.mean is None:
        return None
    if lang == "zh":
        why = (f"回头购买的客户太少（{gg.customers} 位，需要 10 位）" if gg.fallback == "few"
               else "客户之间每单花费的差别太小")
        return f"由于{why}，无法区分每位客户，每位客户今后订单的价值按全店平均复购订单金额（{gg.mean:,.2f}）计算。"
    why = (f"too few customers came back ({gg.customers}; 10 are needed)" if gg.fallback == "few"
           else "customers differ too little in what they spend per order")
    return (f"As {why} to tell them apart, every customer's next orders are valued at the shop's average repeat "
            f"order ({gg.mean:,.2f}).")


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
    for i in range(1, months + 1) if monthly_discount else (months,):  # undiscounted: the months add up to the horizon's
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
    gg = spend_model(summary)  # a fit that runs to its limit, or too few repeat customers, falls back and says so
    return Prediction(customer_lifetime_value(summary, bg, gg, months, monthly_discount, "W").reset_index(), bg, gg)


def segment_of(predicted: pd.DataFrame, segments: pd.DataFrame) -> np.ndarray:
    """The RFM segment of each row of ``predicted`` (customer_id), "Other" for a customer ``segments`` lacks."""
    seg = pd.Series(segments["segment"].to_numpy(), index=segments["customer_id"].astype(str).to_numpy())
    return seg.reindex(predicted["customer_id"].astype(str)).fillna("Other").to_numpy()


def clv_by_segment(predicted: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Predicted CLV summed and averaged per RFM segment.

    ``predicted``: :func:`customer_lifetime_value` output with a customer_id
    column; ``segments``: :func:`lib.model.rfm.rfm_scores` output. Columns:
    segment, customers, clv (total, currency), avg_clv, avg_p_alive (0..1);
    biggest total first.
    """
    d = pd.DataFrame({"segment": segment_of(predicted, segments), "clv": predicted["clv"].to_numpy(),
                      "p_alive": predicted["p_alive"].to_numpy()})
    out = d.groupby("segment").agg(customers=("clv", "size"), clv=("clv", "sum"), avg_clv=("clv", "mean"),
                                   avg_p_alive=("p_alive", "mean"))
    return out.sort_values("clv", ascending=False).reset_index()
