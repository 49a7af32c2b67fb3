"""Backtests of the predictions on the shop's own history (issue #24): CDNOW as Fader, Hardie & Lee (2005) judge the
BG/NBD (39 weeks of calibration, 39 of holdout, the cumulative repeat purchases), a simulated shop whose true model is
known, hand-worked holdout figures, and the sentence every predicted figure carries."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, load_here
from scipy import special
from test_ltv import PUBLISHED, _cdnow_raw

from lib.model import tables
from lib.model.backtest import Backtest, accuracy_sentence, backtest, holdout_days, naive_clv
from lib.model.btyd import rfm_summary
from lib.model.view import apply_filters

CDNOW_END = pd.Timestamp("1998-06-30")
WEEKS_39 = 39 * 7 / 30.4375  # months


@pytest.fixture(scope="module")
def cdnow():
    raw = _cdnow_raw()
    return raw, backtest(raw, CDNOW_END, months=WEEKS_39, modified=False)


def test_cdnow_calibration_is_the_published_one(cdnow):
    _, bt = cdnow
    assert bt.calibration_end == pd.Timestamp("1997-09-30") and bt.holdout_days == 273 and bt.customers == 2357
    for k, v in PUBLISHED.items():
        assert getattr(bt.bgnbd, k) == pytest.approx(v, rel=0.01), k


def test_cdnow_holdout_actuals_equal_plain_pandas(cdnow):
    raw, bt = cdnow
    hold = raw.loc[(raw["order_date"] > "1997-09-30") & (raw["order_date"] <= "1998-06-30")]
    days = hold.drop_duplicates(["customer_id", "order_date"])  # several purchases on a day count once
    assert bt.actual_purchases == len(days) == 1882
    assert bt.actual_revenue == pytest.approx(hold["amount"].sum())


def _bgnbd_conditional(x, tx, T, t, r, alpha, a, b):
    """Fader, Hardie & Lee (2005), eq. 10: E[Y(t) | x, t_x, T], written out again for the test."""
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    return num / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def _bgnbd_unconditional(t, r, alpha, a, b):
    """Eq. 7: E[X(t)] for a customer just acquired."""
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def test_cdnow_holdout_prediction_is_the_papers_formula_on_the_published_fit(cdnow):
    raw, bt = cdnow
    s = rfm_summary(raw, pd.Timestamp("1997-09-30"), "W")
    expected = _bgnbd_conditional(s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy(), 39.0, **PUBLISHED)
    assert bt.totals.loc["model", "purchases"] == pytest.approx(expected.sum(), rel=0.01)
    # the model predicts the holdout within 15 % while both naive forecasts miss by half or more
    assert abs(bt.error("model", "purchases")) < 0.15
    assert abs(bt.error("own", "purchases")) > 0.5 and abs(bt.error("shop", "purchases")) > 0.5
    assert bt.model_wins


def test_cdnow_cumulative_repeat_purchases_track_as_published(cdnow):
    """Fader, Hardie & Lee's Figure: the model's cumulative repeat purchases follow the actual curve through the
    calibration weeks and the 39-week forecast."""
    raw, bt = cdnow
    tr = bt.tracking.set_index("week")
    first = raw.groupby("customer_id")["order_date"].min()
    start = first.min()
    offset = ((first - start).dt.days).to_numpy(float)
    for week in (20, 39, 60, 78):
        age = np.maximum(week * 7 - 1 - offset, 0) / 7
        assert tr.loc[week, "model"] == pytest.approx(_bgnbd_unconditional(age, **PUBLISHED).sum(), rel=0.01)
        d = raw.drop_duplicates(["customer_id", "order_date"])
        rep = d.loc[d["order_date"] > d["customer_id"].map(first)]
        assert tr.loc[week, "actual"] == (rep["order_date"] < start + pd.Timedelta(days=7 * week)).sum()
    assert tr.loc[39, "actual"] == 2457 and tr.loc[78, "actual"] == 4339
    assert tr.loc[39, "model"] == pytest.approx(2457, rel=0.03) and tr.loc[78, "model"] == pytest.approx(4339, rel=0.05)


def _simulated_shop(seed: int, n: int = 2500) -> pd.DataFrame:
    """Orders of a shop that behaves as MBG/NBD + Gamma-Gamma say: first purchases over 26 weeks, then Poisson
    purchases at rate λ ~ Gamma(r, α) per week, leaving with chance p ~ Beta(a, b) after each purchase (the
    first too); each purchase's value ~ Gamma(p_s, ν), ν ~ Gamma(q, γ); 78 weeks in all."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b, p_s, q, gamma = 0.8, 8.0, 0.6, 2.5, 4.0, 3.0, 60.0
    lam, drop = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    nu = rng.gamma(q, 1 / gamma, n)
    rows = []
    for i in range(n):
        t = rng.uniform(0, 26)
        while t < 78:
            rows.append((f"c{i}", t, rng.gamma(p_s, 1 / nu[i])))
            if rng.random() < drop[i]:
                break
            t += rng.exponential(1 / lam[i])
    o = pd.DataFrame(rows, columns=["customer_id", "week", "amount"])
    return pd.DataFrame({"customer_id": o["customer_id"], "amount": o["amount"],
                         "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(o["week"] * 7, unit="D")})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_on_a_shop_that_follows_the_model_the_model_beats_the_naive_forecasts(seed):
    orders = _simulated_shop(seed)
    bt = backtest(orders, orders["order_date"].max())
    assert bt.holdout_days == 182  # a third of 78 weeks (546 days), shorter than 6 months
    assert bt.model_wins
    assert abs(bt.error("model")) < min(abs(bt.error("own")), abs(bt.error("shop")))
    assert bt.mean_abs_error("model") < min(bt.mean_abs_error("own"), bt.mean_abs_error("shop"))


def test_holdout_is_six_months_or_a_third_of_a_shorter_history():
    assert holdout_days(pd.Timestamp("2022-01-01"), pd.Timestamp("2024-12-31")) == 183
    assert holdout_days(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-30")) == 30  # 90 days of history
    assert holdout_days(pd.Timestamp("2022-01-01"), pd.Timestamp("2024-12-31"), months=3) == 91


def test_holdout_actuals_and_naive_forecasts_by_hand():
    """A: purchases on days 0, 10 (twice: one purchase day), 40 in calibration, 70 in the holdout; B: one order."""
    day = pd.Timestamp("2024-01-01")
    rows = [("A", 0, 10.0), ("A", 10, 20.0), ("A", 10, 5.0), ("A", 40, 30.0), ("A", 70, 40.0), ("B", 14, 50.0)]
    orders = pd.DataFrame({"customer_id": [r[0] for r in rows], "order_date": [day + pd.Timedelta(days=r[1]) for r in rows],
                           "amount": [r[2] for r in rows]})
    bt_months = 30 / 30.4375
    from lib.model import backtest as B

    per = B._per_customer(orders, rfm_summary(orders, day + pd.Timedelta(days=59), "W"), day + pd.Timedelta(days=59),
                          day + pd.Timedelta(days=89), _Flat(), _Flat(), 30 / 7)
    per = per.set_index("customer_id")
    assert per.loc["A", ["frequency", "actual_purchases", "actual_revenue"]].tolist() == [2.0, 1.0, 40.0]
    assert per.loc["B", ["frequency", "actual_purchases", "actual_revenue"]].tolist() == [0.0, 0.0, 0.0]
    # A's own rate: 2 repeat purchase days in 59 days since the first (59/7 weeks), times 30/7 weeks ahead;
    # value: 65 over 3 purchase days
    own = 2 / (59 / 7) * (30 / 7)
    assert per.loc["A", "purchases_own"] == pytest.approx(own) and per.loc["A", "revenue_own"] == pytest.approx(own * 65 / 3)
    # the shop: 2 repeat purchase days in 59/7 + 45/7 customer weeks; 115 over 4 purchase days
    shop = 2 / (104 / 7) * (30 / 7)
    assert per.loc["B", "purchases_shop"] == pytest.approx(shop) and per.loc["B", "revenue_shop"] == pytest.approx(shop * 115 / 4)
    assert bt_months < 1


class _Flat:
    """A stand-in fit: one expected purchase per customer, value 10 (the hand test checks the naive columns)."""

    def expected_purchases(self, t, x, tx, T):
        return np.ones(len(np.atleast_1d(x)))

    def expected_value(self, x, m):
        return np.full(len(np.atleast_1d(x)), 10.0)


def _made_up(model_err: float, own_err: float, shop_err: float) -> Backtest:
    """A backtest with the given errors of holdout revenue (actual 1,000)."""
    totals = pd.DataFrame({"purchases": [10.0, 10.0, 10.0],
                           "revenue": [1000 * (1 + model_err), 1000 * (1 + own_err), 1000 * (1 + shop_err)]},
                          index=["model", "own", "shop"])
    return Backtest(pd.Timestamp("2024-06-30"), pd.Timestamp("2024-12-31"), 183, 100, 10.0, 1000.0, totals,
                    pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), None, None)  # type: ignore[arg-type]


def test_the_sentence_says_how_close_and_against_what():
    wins = _made_up(-0.07, 0.30, 0.23)
    assert accuracy_sentence(wins) == ("On this shop's last 6 months (to 2024-12-31), the predicted revenue was within 7 % "
                                       "of what happened (a simple forecast by the shop's average: 23 %).")
    assert "预测收入与实际相差 7 % 以内" in accuracy_sentence(wins, "zh")
    loses = _made_up(0.40, 0.12, 0.30)
    assert not loses.model_wins and loses.best_naive == "own"
    assert accuracy_sentence(loses) == ("On this shop's last 6 months (to 2024-12-31), a simple forecast by each customer's "
                                        "own past rate came closer than the model: 12 % off, against the model's 40 %. "
                                        "The predicted values shown are that forecast's.")
    assert "简单预测比模型更准" in accuracy_sentence(loses, "zh")


def test_when_a_naive_forecast_wins_the_predicted_values_are_its(monkeypatch, sample_ds):
    view = apply_filters(sample_ds)
    monkeypatch.setattr(tables, "accuracy", lambda v, months=None: _made_up(0.40, 0.12, 0.30))
    p = tables.prediction(view)
    assert p.forecast == "own"
    summary = rfm_summary(view.all_orders, view.as_of, "W")
    purchases, clv = naive_clv(summary, view.all_orders, view.as_of, 12, "own")
    mine = pd.Series(clv, index=summary.index.astype(str))
    assert np.allclose(p.customers.set_index("customer_id")["clv"].to_numpy(), mine.reindex(p.customers["customer_id"]).to_numpy())
    assert p.by_segment["clv"].sum() == pytest.approx(clv.sum())


@pytest.mark.child
def test_lib_predict_prints_the_backtest(sample_path):
    out = subprocess.run([sys.executable, "-m", "lib", "predict", str(sample_path), "--json"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    ds = load_here(sample_path)
    bt = tables.accuracy(apply_filters(ds))
    assert got["backtest"]["sentence"] == accuracy_sentence(bt)
    assert [r["forecast"] for r in got["backtest"]["forecasts"]][0].startswith("the model")
    assert got["backtest"]["forecasts"][0]["revenue_error"] == pytest.approx(bt.error("model"))


def test_the_report_has_the_backtest(sample_ds):
    from lib.present.export import report_tables

    view = apply_filters(sample_ds)
    sheet = report_tables(sample_ds, view=view)["Prediction accuracy"]
    bt = tables.accuracy(view)
    assert sheet["forecast"].tolist()[0] == "the model (MBG/NBD + Gamma-Gamma)"
    assert sheet["revenue_error"].tolist() == pytest.approx([bt.error(f) for f in ("model", "own", "shop")])
    assert sheet["said"].iloc[0] == accuracy_sentence(bt)


@pytest.mark.apptest
def test_the_ltv_and_contact_pages_say_how_accurate_the_predictions_were(sample_ds):
    from streamlit.testing.v1 import AppTest

    bt = tables.accuracy(apply_filters(sample_ds))
    at = AppTest.from_file("../app.py", default_timeout=180).run()
    at.switch_page("views/ltv.py").run()
    assert not at.exception
    assert accuracy_sentence(bt) in [i.value for i in at.info]
    assert any(m.label == "Average predicted CLV" and accuracy_sentence(bt) in (m.help or "") for m in at.metric)
    shown = at.dataframe[-1].value
    assert shown.iloc[:, 0].tolist()[0] == "the model (MBG/NBD + Gamma-Gamma)"
    at.switch_page("views/contacts.py").run()
    assert f"Predicted CLV: {accuracy_sentence(bt)}" in [c.value for c in at.caption]
    at.switch_page("views/ltv.py").run()
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert accuracy_sentence(bt, "zh") in [i.value for i in at.info]
    [s for s in at.selectbox if s.label == "检验区间：最近"][0].set_value("3 个月").run()
    assert not at.exception
    three = tables.accuracy(apply_filters(sample_ds), 3.0)
    assert accuracy_sentence(three, "zh") in [i.value for i in at.info]
