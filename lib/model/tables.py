"""The tables the pages and the Excel report show, each computed from a filtered :class:`~lib.model.view.View`.

One function per table, so the app (which caches them) and ``python -m lib
report`` give the same numbers under the same filters. Which customers each
table is about, under a date window [start, as_of]:

* **cohorts, N-day repurchase, the order funnel**: customers acquired in the
  window (first order in it), followed up to ``as_of``;
* **days between orders**: gaps whose later order falls in the window;
* **value ladder**: the window's customers (an order in it), on the rung their
  orders up to ``as_of`` put them; its movement: the window's months;
* **LTV curves and CAC**: see :func:`lib.model.ltv.ltv_at` and :func:`lib.model.cac.cac_by_channel`.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.errors import ModelError
from lib.model import cac, cohorts, metrics, rfm
from lib.model.backtest import Backtest, backtest, naive_clv
from lib.model.btyd import BetaGeoFit, GammaGammaFit, clv_by_segment, predict_clv
from lib.model.interval import Interval, revenue_interval
from lib.model.cohorts import Freq
from lib.model.ltv import ltv_curves
from lib.model.referrals import ReferralForest, referral_forest
from lib.model.view import View


def new_customers(view: View) -> pd.DataFrame:
    """Rows of ``view.customers`` acquired in the window."""
    return view.customers.loc[view.acquired()]


def cohort_heatmap(view: View, freq: Freq = "M") -> pd.DataFrame:
    """:func:`lib.model.cohorts.cohort_table` of the cohorts acquired in the window, up to ``as_of``."""
    return cohorts.cohort_table(view.all_orders, view.all_refunds, new_customers(view), view.as_of, freq=freq)


@dataclass(frozen=True)
class Repurchase:
    """The repurchase tables of the cohort page (columns in :mod:`lib.model.cohorts`)."""

    by_cohort: pd.DataFrame   # N-day repurchase per monthly cohort acquired in the window
    gaps: pd.DataFrame        # days between consecutive orders, later order in the window
    rhythm: pd.DataFrame      # median gap per acquisition channel, "All channels" first
    funnel: pd.DataFrame      # 1st -> 2nd -> 3rd -> 4th+ of the customers acquired in the window


def repurchase(view: View) -> Repurchase:
    new = new_customers(view)
    gaps = cohorts.days_between_orders(view.all_orders, view.customers, since=view.start)
    funnel = cohorts.order_funnel(view.all_orders, new)
    return Repurchase(cohorts.repurchase_by_cohort(view.all_orders, new, view.as_of), gaps, cohorts.contact_rhythm(gaps), funnel)


def ladder(view: View, loyal_orders: int = 4, forest: ReferralForest | None = None,
           movement: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(value ladder of the window's customers, the ladder month by month over the window's months).

    ``forest`` (built on ``view.everyone``) gives the "potential" rung: people
    named as referrers who never bought. ``movement``: :func:`lib.model.metrics.ladder_movement` of
    ``view.all_orders``, when at hand (it does not depend on the window's start).
    """
    lad = metrics.value_ladder(view.customers.loc[view.in_window()], loyal_orders=loyal_orders,
                               forest=forest or referral_forest(view.everyone))
    movement = movement if movement is not None else metrics.ladder_movement(view.all_orders, loyal_orders)
    movement = movement.loc[movement["month"] >= view.start.to_period("M").to_timestamp()].reset_index(drop=True)
    return lad, movement


def ltv_by(view: View, by: str | None = "channel", min_customers: int = 1, max_months: int = 36) -> pd.DataFrame:
    """:func:`lib.model.ltv.ltv_curves` of ``view.customers`` (the definition :func:`lib.model.ltv.ltv_at` reads)."""
    return ltv_curves(view.all_orders, view.all_refunds, view.customers, view.as_of, by=by, max_months=max_months,
                      min_customers=min_customers)


def cac_table(view: View, margin: float, curves: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`lib.model.cac.cac_by_channel` for the window (``curves``: :func:`ltv_by` by channel, when computed)."""
    return cac.cac_by_channel(view.all_orders, view.all_refunds, view.customers, view.spend, view.start, view.as_of,
                              margin, curves=curves if curves is not None else ltv_by(view, "channel"))



@dataclass(frozen=True)
class Predicted:
    """Predicted CLV per customer and per RFM segment, with the fitted parameters (see :mod:`lib.model.ltv`)."""

    customers: pd.DataFrame      # customer_id (text), frequency, recency, T, monetary_value, expected_purchases, p_alive, clv
    params: dict[str, float]     # r, alpha, a, b (MBG/NBD); p, q, v (Gamma-Gamma), or p and mean at its limit
    by_segment: pd.DataFrame     # segment, customers, clv, avg_clv, avg_p_alive
    accuracy: Backtest | str | None = None  # the backtest on the shop's last months, or why there is none
    forecast: str = "model"      # whose figures clv and expected_purchases are: "model", or the naive "own" / "shop"
                                 # forecast that came closer in the backtest (lib.model.backtest)
    spend: GammaGammaFit | None = None  # the order-value model used (its fallback, if any: btyd.spend_sentence)
    repurchase: BetaGeoFit | None = None  # the repurchase model (MBG/NBD) fitted
    interval: Interval | None = None  # 90 % interval of the customers' predicted revenue over the horizon (the model's)

    @property
    def average(self) -> dict[str, float]:
        """Per customer: clv (predicted CLV, money), expected_purchases (orders over the horizon), p_alive (0..1)."""
        return {c: float(self.customers[c].mean()) for c in ("clv", "expected_purchases", "p_alive")}

    def top(self, n: int = 200) -> pd.DataFrame:
        """The ``n`` customers of highest predicted CLV: customer_id, frequency, recency, T, monetary_value,
        expected_purchases, p_alive, clv."""
        cols = ["customer_id", "frequency", "recency", "T", "monetary_value", "expected_purchases", "p_alive", "clv"]
        return self.customers.sort_values("clv", ascending=False).head(n)[cols]


def prediction(view: View, months: int = 12, monthly_discount: float = 0.0, holdout: float | None = None) -> Predicted | str:
    """The models fitted on the history up to the window's end, or the reason they could not be, in words.

    The predictions are backtested on the last ``holdout`` months (:func:`accuracy`); when a naive forecast came
    closer there, ``clv`` and ``expected_purchases`` are that forecast's (``forecast`` says whose).
    """
    try:
        p = predict_clv(view.all_orders, view.as_of, months=months, monthly_discount=monthly_discount)
    except ModelError as err:
        return str(err)
    segments = rfm.rfm_scores(view.customers, view.as_of)
    params = {"r": p.bgnbd.r, "alpha": p.bgnbd.alpha, "a": p.bgnbd.a, "b": p.bgnbd.b, **predicted_clv_params(p.gamma_gamma)}
    customers = p.customers.assign(customer_id=p.customers["customer_id"].astype(str))
    bt = accuracy(view, holdout)
    forecast = "model"
    if isinstance(bt, Backtest) and not bt.model_wins:  # a simple forecast came closer on this shop: show its figures
        forecast = bt.best_naive
        purchases, clv = naive_clv(p.customers.set_index("customer_id"), view.all_orders, view.as_of, months, forecast,
                                   monthly_discount)
        customers = customers.assign(expected_purchases=purchases, clv=clv)
    interval = None
    if forecast == "model":  # how sure the model is (a naive forecast that beat it has no interval)
        interval = revenue_interval(customers, p.bgnbd, p.gamma_gamma, customers["clv"].to_numpy(float), months,
                                    discount=monthly_discount)["shop"]
    return Predicted(customers, params, clv_by_segment(customers, segments), bt, forecast, p.gamma_gamma, p.bgnbd, interval)


def list_intervals(p: Predicted, lists: dict[str, pd.Index], months: int = 12) -> dict[str, Interval]:
    """The 90 % interval of each list's predicted revenue (``lists``: name -> customer ids; the contact lists), under
    the model's fits (empty when a naive forecast is shown, or the fits are not at hand)."""
    if p.forecast != "model" or p.repurchase is None or p.spend is None:
        return {}
    ids = p.customers["customer_id"].astype(str)
    masks = {name: ids.isin(pd.Index(members).astype(str)).to_numpy() for name, members in lists.items()}
    got = revenue_interval(p.customers, p.repurchase, p.spend, p.customers["clv"].to_numpy(float), months, groups=masks)
    return {name: got[name] for name in lists}


def accuracy(view: View, months: float | None = None) -> Backtest | str:
    """The backtest of the predictions on the view's history up to its end (:func:`lib.model.backtest.backtest`:
    ``months`` held out, default 6 or a third of the history), or the reason it could not be run, in words."""
    try:
        return backtest(view.all_orders, view.as_of, months)
    except ModelError as err:
        return str(err)


def predicted_clv_params(gg: GammaGammaFit) -> dict[str, float]:
    """The order-value model's parameters as the LTV page states them: p, q, v; at its limit (q and v infinite) p and
    the shop's mean repeat order (currency) that stands for them."""
    return {"p": gg.p, **({"q": gg.q, "v": gg.v} if gg.mean is None else {"mean": gg.mean})}
