"""How accurate the predictions are on the shop's own history: fit up to a calibration end, predict the holdout.

The last months of the history (the **holdout**: 6 months, or a third of the history when that is
shorter) are hidden; the models of :mod:`lib.model.btyd` are fitted on the orders before them, and
each customer acquired by then gets a predicted number of purchases (purchase days, as the models
count them) and revenue (purchases × expected order value; before refunds, as predicted CLV) in the
holdout, which is compared with what the customer then did. Two naive forecasts are compared the
same way: each customer's **own past rate** (repeat purchases per week since their first order,
times their own mean order value) and the **shop's average** (the shop's repeat rate per customer
week and mean order value, the same for everyone). Fader, Hardie & Lee (2005) judge the BG/NBD on
CDNOW this way: 39 weeks of calibration, 39 of holdout, and the cumulative repeat purchases tracked
week by week.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.errors import ModelError
from lib.model.btyd import BetaGeoFit, GammaGammaFit, fit_bgnbd, rfm_summary, spend_model
from lib.schema import DAYS_PER_MONTH

HOLDOUT_MONTHS = 6
NAIVE = {"own": "each customer's own past rate", "shop": "the shop's average"}
MAX_FREQUENCY_BIN = 7  # the calibration chart groups 7 and more repeat purchases


@dataclass(frozen=True)
class Backtest:
    """A backtest of the models on one history (see the module docstring). Money in the shop's currency.

    calibration_end: the last day the models saw; as_of: the holdout's last day; holdout_days;
    customers: acquired by the calibration end (each is predicted). ``totals``: one row per forecast
    (index "model", "own", "shop"): purchases and revenue predicted for the holdout, and
    ``actual_purchases``/``actual_revenue`` what happened; errors are predicted ÷ actual − 1.
    ``per_customer``: customer_id, frequency (calibration repeat purchases), actual_purchases,
    actual_revenue, and for each forecast purchases_<f> and revenue_<f>. ``by_frequency``: the
    calibration chart: frequency (0..7, 7 = 7 or more), customers, actual and model (mean holdout
    purchases per customer). ``tracking``: week (from the first order), actual and model cumulative
    repeat purchases of those customers, calibration and holdout.
    """

    calibration_end: pd.Timestamp
    as_of: pd.Timestamp
    holdout_days: int
    customers: int
    actual_purchases: float
    actual_revenue: float
    totals: pd.DataFrame
    per_customer: pd.DataFrame
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame
    bgnbd: BetaGeoFit
    gamma_gamma: GammaGammaFit

    def error(self, forecast: str = "model", what: str = "revenue") -> float:
        """Predicted ÷ actual − 1 of the holdout's ``what`` ("revenue" or "purchases") by ``forecast``; NaN when
        nothing happened in the holdout."""
        actual = self.actual_revenue if what == "revenue" else self.actual_purchases
        return float(self.totals.loc[forecast, what] / actual - 1) if actual > 0 else float("nan")

    def mean_abs_error(self, forecast: str = "model") -> float:
        """Mean over customers of |predicted − actual| holdout revenue (currency per customer)."""
        c = self.per_customer
        return float((c[f"revenue_{forecast}"] - c["actual_revenue"]).abs().mean())

    @property
    def best_naive(self) -> str:
        """The naive forecast ("own" or "shop") closer to the holdout's revenue."""
        return min(("own", "shop"), key=lambda f: abs(self.error(f)) if self.error(f) == self.error(f) else np.inf)

    @property
    def model_wins(self) -> bool:
        """Whether the model's holdout revenue is at least as close as the better naive forecast's."""
        model, naive = abs(self.error("model")), abs(self.error(self.best_naive))
        return bool(model <= naive) if model == model and naive == naive else True

    @property
    def holdout_months(self) -> float:
        return self.holdout_days / DAYS_PER_MONTH


def holdout_days(first_day: pd.Timestamp, as_of: pd.Timestamp, months: float | None = None) -> int:
    """Whole days held out before ``as_of``: ``months`` months (default 6), at most a third of the history."""
    history = (pd.Timestamp(as_of).normalize() - pd.Timestamp(first_day).normalize()).days + 1
    want = (HOLDOUT_MONTHS if months is None else months) * DAYS_PER_MONTH
    return max(1, int(round(min(want, history / 3) if months is None else min(want, history - 1))))


def backtest(all_orders: pd.DataFrame, as_of: pd.Timestamp, months: float | None = None,
             modified: bool = True) -> Backtest:
    """Fit on ``all_orders`` (customer_id, order_date, amount) up to the calibration end, predict each customer's
    holdout purchases and revenue to ``as_of``, and compare (see :class:`Backtest`).

    ``months``: the holdout's length (default 6 months, or a third of a shorter history); ``modified``:
    MBG/NBD (the dashboard's model) or BG/NBD. Raises :class:`ModelError` when the calibration period is
    too thin to fit.
    """
    as_of = pd.Timestamp(as_of).normalize()
    days = holdout_days(all_orders["order_date"].min(), as_of, months)
    cal_end = as_of - pd.Timedelta(days=days)
    summary = rfm_summary(all_orders, cal_end, "W")
    try:
        bg = fit_bgnbd(summary, modified)
        gg = spend_model(summary)
    except ModelError as err:
        raise ModelError(f"The backtest could not fit on the history before {cal_end.date().isoformat()}: {err}") from None
    per = _per_customer(all_orders, summary, cal_end, as_of, bg, gg, days / 7.0)
    totals = pd.DataFrame({what: [per[f"{what}_{f}"].sum() for f in ("model", "own", "shop")]
                           for what in ("purchases", "revenue")}, index=["model", "own", "shop"])
    return Backtest(cal_end, as_of, days, len(per), float(per["actual_purchases"].sum()), float(per["actual_revenue"].sum()),
                    totals, per, _by_frequency(per), tracking(all_orders, summary, cal_end, as_of, bg), bg, gg)


def _per_customer(all_orders: pd.DataFrame, summary: pd.DataFrame, cal_end: pd.Timestamp, as_of: pd.Timestamp,
                  bg: BetaGeoFit, gg: GammaGammaFit, weeks: float) -> pd.DataFrame:
    """One row per calibration customer: what happened in the holdout and what each forecast said."""
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    spent = _calibration_spend(all_orders, summary.index, cal_end)
    model = bg.expected_purchases(weeks, x, tx, T)
    actual_n, actual_rev = _holdout_actuals(all_orders, summary.index, cal_end, as_of)
    out = pd.DataFrame({
        "customer_id": summary.index.astype(str), "frequency": x,
        "actual_purchases": actual_n, "actual_revenue": actual_rev,
        "purchases_model": model, "revenue_model": model * gg.expected_value(x, summary["monetary_value"].to_numpy(float)),
    })
    for forecast in ("own", "shop"):
        rate, value = _naive_rate(summary, spent, forecast)
        out[f"purchases_{forecast}"], out[f"revenue_{forecast}"] = rate * weeks, rate * weeks * value
    return out


def _naive_rate(summary: pd.DataFrame, spent: np.ndarray, forecast: str) -> tuple[np.ndarray, np.ndarray]:
    """Per customer of ``summary``: repeat purchases per week and the value of a purchase (currency) by a naive
    ``forecast``: "own", the customer's own (repeat purchase days since their first order; their mean purchase-day
    value, the first included); "shop", the shop's (repeat purchases per customer week; mean purchase value).
    ``spent``: each customer's order amounts so far."""
    x, T = summary["frequency"].to_numpy(float), summary["T"].to_numpy(float)
    if forecast == "shop":
        return np.full(len(x), x.sum() / max(T.sum(), 1e-9)), np.full(len(x), spent.sum() / (x + 1).sum())
    return np.where(T > 0, x / np.where(T > 0, T, 1.0), 0.0), spent / (x + 1)


def _calibration_spend(all_orders: pd.DataFrame, ids: pd.Index, cal_end: pd.Timestamp) -> np.ndarray:
    """Each customer's order amounts up to the calibration end's last moment (currency), in ``ids``' order."""
    o = all_orders.loc[all_orders["order_date"] < cal_end + pd.Timedelta(days=1)]
    return o.groupby("customer_id", observed=True)["amount"].sum().reindex(ids).fillna(0.0).to_numpy(float)


def _holdout_actuals(all_orders: pd.DataFrame, ids: pd.Index, cal_end: pd.Timestamp,
                     as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Per customer of ``ids``: purchase days and order amounts in the holdout (cal_end, as_of]."""
    o = all_orders.loc[(all_orders["order_date"] >= cal_end + pd.Timedelta(days=1))
                       & (all_orders["order_date"] < as_of + pd.Timedelta(days=1)), ["customer_id", "order_date", "amount"]]
    o = o.loc[o["customer_id"].isin(ids)]
    g = o.assign(day=o["order_date"].dt.normalize()).groupby("customer_id", observed=True)
    n = g["day"].nunique().reindex(ids).fillna(0).to_numpy(float)
    rev = g["amount"].sum().reindex(ids).fillna(0.0).to_numpy(float)
    return n, rev


def _by_frequency(per: pd.DataFrame) -> pd.DataFrame:
    """Mean holdout purchases per customer, actual and the model's, by calibration repeat purchases (7 = 7+)."""
    f = per["frequency"].clip(upper=MAX_FREQUENCY_BIN).astype(int)
    out = per.groupby(f).agg(customers=("frequency", "size"), actual=("actual_purchases", "mean"),
                             model=("purchases_model", "mean"))
    out.index.name = "frequency"
    return out.reset_index()


def tracking(all_orders: pd.DataFrame, summary: pd.DataFrame, cal_end: pd.Timestamp, as_of: pd.Timestamp,
             bg: BetaGeoFit) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration customers, week by week from the first order to ``as_of``:
    actual (purchase days after each customer's first) and the model's (Σ over customers of E[X(t − their first)],
    the unconditional expectation). Columns: week (whole weeks since the first order's day), date (that week's
    last day), actual, model."""
    ids = summary.index
    o = all_orders.loc[all_orders["customer_id"].isin(ids) & (all_orders["order_date"] < as_of + pd.Timedelta(days=1))]
    days = o.assign(day=o["order_date"].dt.normalize()).drop_duplicates(["customer_id", "day"])
    first = days.groupby("customer_id", observed=True)["day"].transform("min")
    start = days["day"].min()
    repeat_day = ((days.loc[days["day"] > first, "day"] - start).dt.days).to_numpy()
    n_weeks = int(np.ceil(((as_of - start).days + 1) / 7))
    week_end = np.arange(1, n_weeks + 1) * 7.0  # days since start at each week's end
    actual = np.searchsorted(np.sort(repeat_day), week_end, side="left")
    first_day = ((first.groupby(days["customer_id"]).first() - start).dt.days).to_numpy(float)
    offsets, counts = np.unique(first_day, return_counts=True)
    age = np.maximum(week_end[:, None] - offsets[None, :] - 1.0, 0.0) / 7.0  # weeks of buying by the week's end
    zero = np.zeros_like(age)
    model = (bg.expected_purchases(age, zero, zero, zero) * counts[None, :]).sum(axis=1)
    return pd.DataFrame({"week": np.arange(1, n_weeks + 1), "date": start + pd.to_timedelta(week_end - 1, unit="D"),
                         "actual": actual.astype(float), "model": model})


def naive_clv(summary: pd.DataFrame, all_orders: pd.DataFrame, as_of: pd.Timestamp, months: int = 12,
              forecast: str = "own", monthly_discount: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(purchases, value) of each customer over the next ``months`` months by a naive ``forecast`` ("own": their own
    repeat purchases per week since their first order and mean purchase value; "shop": the shop's), in ``summary``'s
    order; value in currency, discounted by ``monthly_discount`` per month as predicted CLV is. The forecast shown
    when it beat the model in the backtest."""
    rate, value = _naive_rate(summary, _calibration_spend(all_orders, summary.index, pd.Timestamp(as_of).normalize()),
                              forecast)
    per_month = rate * DAYS_PER_MONTH / 7.0
    discount = sum(1 / (1 + monthly_discount) ** i for i in range(1, months + 1))
    return per_month * months, per_month * value * discount


FORECAST_NAMES = {"model": "the model (MBG/NBD + Gamma-Gamma)", "own": "each customer's own past rate",
                  "shop": "the shop's average"}


def accuracy_table(bt: Backtest) -> pd.DataFrame:
    """One row per forecast (forecast: its name in English; the model first): predicted_purchases and
    actual_purchases in the holdout (purchase days), purchases_error and revenue_error (predicted ÷ actual − 1),
    predicted_revenue and actual_revenue (currency, before refunds), mean_abs_error (mean over customers of
    |predicted − actual| revenue, currency)."""
    rows = [{"forecast": FORECAST_NAMES[f], "predicted_purchases": bt.totals.loc[f, "purchases"],
             "actual_purchases": bt.actual_purchases, "purchases_error": bt.error(f, "purchases"),
             "predicted_revenue": bt.totals.loc[f, "revenue"], "actual_revenue": bt.actual_revenue,
             "revenue_error": bt.error(f), "mean_abs_error": bt.mean_abs_error(f)} for f in ("model", "own", "shop")]
    return pd.DataFrame(rows)


def _pct(x: float) -> str:
    return f"{abs(x) * 100:.0f} %"


def accuracy_sentence(bt: Backtest, lang: str = "en") -> str:
    """One plain sentence on how close the predictions came on this shop's own last months, in ``lang``."""
    from lib.i18n import translate

    m = bt.holdout_months
    span = f"{m:.0f}" if abs(m - round(m)) < 0.05 else f"{m:.1f}"
    if lang == "zh":
        head = f"在本店最近 {span} 个月（至 {bt.as_of.date().isoformat()}）的数据上，"
    else:
        head = f"On this shop's last {span} months (to {bt.as_of.date().isoformat()}), "
    if not bt.actual_revenue > 0:
        return head + translate("nobody bought, so the predictions cannot be checked yet.", lang)
    naive = bt.best_naive
    if bt.model_wins:
        return head + (f"预测收入与实际相差 {_pct(bt.error())} 以内（简单预测：{_pct(bt.error(naive))}）。" if lang == "zh" else
                       f"the predicted revenue was within {_pct(bt.error())} of what happened "
                       f"(a simple forecast by {NAIVE[naive]}: {_pct(bt.error(naive))}).")
    name = translate(NAIVE[naive], lang)
    return head + (f"按{name}的简单预测比模型更准：偏差 {_pct(bt.error(naive))}，模型为 {_pct(bt.error())}。"
                   "下面的预测值改用这一简单预测。" if lang == "zh" else
                   f"a simple forecast by {name} came closer than the model: {_pct(bt.error(naive))} off, against the "
                   f"model's {_pct(bt.error())}. The predicted values shown are that forecast's.")
