"""How sure a prediction is: a 90 % interval on the revenue the shop's customers will bring in the next months.

The interval comes from simulating the models' own story many times (a posterior-predictive simulation):
each draw takes parameters from the fit's uncertainty (a normal around the estimate with the inverse
Hessian of the log-likelihood as covariance, on the log scale the fit works in; none when the Hessian is
not positive definite, e.g. on a flat ridge), then for every customer whether they are still active
(P(active) under those parameters), their purchase rate and dropout chance given their history, the
purchases of the horizon (a Poisson count, cut at the purchase after which they drop out) and what each
purchase is worth (Gamma-Gamma given their past order values). The 5th and 95th percentiles of the
draws' totals bound the interval; the point is the prediction itself (expected purchases × expected
value). Money in the shop's currency, before refunds (as predicted CLV), undiscounted.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.model.btyd import BetaGeoFit, GammaGammaFit, bgnbd_nll, gg_nll, unique_rows
from lib.schema import DAYS_PER_MONTH

LEVEL = 0.9
DRAWS = 200
WORK = 20_000_000  # customers x draws at most: a big shop gets fewer draws (50 at least), not a slow page


@dataclass(frozen=True)
class Interval:
    """low and high bound the ``level`` interval of a predicted revenue ``point`` (currency)."""

    point: float
    low: float
    high: float
    level: float = LEVEL


def _hessian(f: Callable[[np.ndarray], float], theta: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``theta``."""
    k = len(theta)
    h = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            e_i, e_j = np.eye(k)[i] * step, np.eye(k)[j] * step
            h[i, j] = h[j, i] = (f(theta + e_i + e_j) - f(theta + e_i - e_j) - f(theta - e_i + e_j)
                                 + f(theta - e_i - e_j)) / (4 * step * step)
    return h


def _parameter_draws(f: Callable[[np.ndarray], float], estimate: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of the log parameters around ``estimate`` (rows), or the estimate repeated when the fit's
    uncertainty cannot be read from its Hessian."""
    try:
        cov = np.linalg.inv(_hessian(f, estimate))
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return np.tile(estimate, (n, 1))
    return rng.multivariate_normal(estimate, cov, size=n)


def revenue_interval(summary: pd.DataFrame, bg: BetaGeoFit, gg: GammaGammaFit, point: np.ndarray, months: int = 12,
                     groups: dict[str, np.ndarray] | None = None, draws: int = DRAWS, seed: int = 0,
                     discount: float = 0.0) -> dict[str, Interval]:
    """The :data:`LEVEL` interval of the next ``months`` months' revenue of the customers of ``summary``
    (frequency, recency, T in weeks, monetary_value), under the fits ``bg`` and ``gg``.

    ``point``: each customer's predicted revenue (currency, the prediction the interval is about); ``groups``:
    name -> boolean mask over ``summary``'s rows (a contact list); ``discount``: the monthly discount rate the
    point is discounted by (the bounds are scaled by the same factor as the undiscounted expectation). Returns
    "shop" and each group. Draws are seeded: the same data gives the same interval.
    """
    rng = np.random.default_rng(seed)
    x, tx, T, m = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    draws = max(50, min(draws, WORK // max(len(x), 1)))
    weeks = months * DAYS_PER_MONTH / 7.0
    masks = {"shop": np.ones(len(x), bool), **(groups or {})}
    (ux, utx, uT), w = unique_rows(summary, ["frequency", "recency", "T"])
    bg_draws = _parameter_draws(lambda th: bgnbd_nll(th, ux, utx, uT, w, bg.modified),
                                np.log([bg.r, bg.alpha, bg.a, bg.b]), draws, rng)
    gg_draws = _gg_draws(gg, summary, draws, rng)
    totals = np.zeros((draws, len(masks)))
    for s in range(draws):
        r, alpha, a, b = np.exp(bg_draws[s])
        fit = dataclasses.replace(bg, r=r, alpha=alpha, a=a, b=b)
        alive = rng.random(len(x)) < fit.prob_alive(x, tx, T)
        rate = rng.gamma(r + x, 1.0 / (alpha + T))
        drop = rng.beta(a, b + x + (1 if bg.modified else 0))
        n = np.minimum(rng.poisson(rate * weeks), rng.geometric(np.clip(drop, 1e-12, 1.0))) * alive
        revenue = _spend(n, x, m, gg, gg_draws[s] if gg_draws is not None else None, rng)
        totals[s] = [revenue[mask].sum() for mask in masks.values()]
    lo, hi = np.quantile(totals, [(1 - LEVEL) / 2, (1 + LEVEL) / 2], axis=0)
    if discount:  # the horizon's months weigh less the later they come: scale as the expectation scales
        cum = np.array([bg.expected_purchases(i * weeks / months, x, tx, T).sum() for i in range(1, months + 1)])
        per = np.diff(np.r_[0.0, cum])  # expected purchases month by month
        factor = float((per / (1 + discount) ** np.arange(1, months + 1)).sum() / max(per.sum(), 1e-12))
        lo, hi = lo * factor, hi * factor
    return {name: Interval(float(point[mask].sum()), float(lo[i]), float(hi[i])) for i, (name, mask) in enumerate(masks.items())}


def _gg_draws(gg: GammaGammaFit, summary: pd.DataFrame, draws: int, rng: np.random.Generator) -> np.ndarray | None:
    """Draws of Gamma-Gamma's log (p, q, v) from the fit's uncertainty (its likelihood on the repeat customers it was
    fitted on); None for a limit or fallback model."""
    if gg.mean is not None:
        return None
    rep = summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    (xs, ms), w = unique_rows(rep, ["frequency", "monetary_value"])
    return _parameter_draws(lambda th: gg_nll(th, xs, ms, w), np.log([gg.p, gg.q, gg.v]), draws, rng)


def _spend(n: np.ndarray, x: np.ndarray, m: np.ndarray, gg: GammaGammaFit, log_pqv: np.ndarray | None,
           rng: np.random.Generator) -> np.ndarray:
    """What ``n`` purchases of each customer are worth: Gamma-Gamma given their past order values (its limit: each
    purchase worth ``gg.mean`` on average; the shop-mean fallback: exactly ``gg.mean``)."""
    out = np.zeros(len(n))
    buys = n > 0
    if gg.mean is not None:
        if not np.isfinite(gg.p):
            return n * gg.mean
        out[buys] = rng.gamma(n[buys] * gg.p, gg.mean / gg.p)
        return out
    assert log_pqv is not None
    p, q, v = np.exp(log_pqv)
    mm = np.where(x > 0, m, 0.0)
    nu = rng.gamma(q + p * x, 1.0 / (v + x * mm))  # each customer's rate given their past purchases
    out[buys] = rng.gamma(n[buys] * p, 1.0 / nu[buys])
    return out
