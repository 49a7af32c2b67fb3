"""LTV: historical curves by hand, and the published BG/NBD / Gamma-Gamma estimates on CDNOW."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, orders_frame

from lib.errors import ModelError
from lib.model.btyd import (
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
    predict_clv,
    rfm_summary,
)
from lib.model.customers import customers_table
from lib.model.ltv import ltv_curves

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def _cdnow_raw() -> pd.DataFrame:
    raw = pd.read_csv(FIXTURES / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["customer_id", "master_id", "date", "cds", "amount"], dtype={"customer_id": str, "date": str})
    raw["order_date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


def _assert_published(fit) -> None:
    for k, v in PUBLISHED.items():
        assert getattr(fit, k) == pytest.approx(v, rel=0.01), k


def test_bgnbd_reproduces_published_estimates_from_summary():
    s = pd.read_csv(FIXTURES / "cdnow_customers_summary.csv")
    fit = fit_bgnbd(s)
    _assert_published(fit)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)


def test_bgnbd_from_raw_transactions_via_rfm_summary():
    summary = rfm_summary(_cdnow_raw(), pd.Timestamp("1997-09-30"), time_unit="W")
    assert len(summary) == 2357
    published = pd.read_csv(FIXTURES / "cdnow_customers_summary.csv")
    assert summary["frequency"].sum() == published["frequency"].sum()
    _assert_published(fit_bgnbd(summary))


MBG_PUBLISHED = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}  # BTYDplus mbgnbd.EstimateParameters on CDNOW


def test_mbgnbd_reproduces_btydplus_on_cdnow():
    fit = fit_mbgnbd(pd.read_csv(FIXTURES / "cdnow_customers_summary.csv"))
    for k, v in MBG_PUBLISHED.items():
        assert getattr(fit, k) == pytest.approx(v, rel=0.002), k
    assert fit.modified
    # one-time buyers are no longer all "alive": the longer they stay away, the likelier they are gone
    p = fit.prob_alive(np.array([0, 0, 0]), np.array([0, 0, 0]), np.array([1, 10, 30]))
    assert 0 < p[2] < p[1] < p[0] < 1
    assert p[2] == pytest.approx(1 / (1 + 0.891 / 1.614 * ((6.183 + 30) / 6.183) ** 0.525), rel=0.005)


def _simulate_mbgnbd(fit, n: int, T: float, t: float, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monte Carlo of the MBG/NBD story itself: per customer (repeat purchases in (0, T], alive at T, purchases in (T, T + t]).

    Rate λ ~ Gamma(r, α), dropout p ~ Beta(a, b); after every purchase, the first included, the customer leaves with
    probability p; while active, purchases come as a Poisson process of rate λ.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(fit.r, 1 / fit.alpha, n)
    p = rng.beta(fit.a, fit.b, n)
    alive = rng.random(n) >= p          # the chance to leave right after the first purchase
    clock = np.zeros(n)
    before, after = np.zeros(n, int), np.zeros(n, int)
    alive_at_T = alive.copy()
    for _ in range(400):
        if not alive.any():
            break
        clock = np.where(alive, clock + rng.exponential(1 / np.maximum(lam, 1e-12)), clock)
        in_before = alive & (clock <= T)
        in_after = alive & (clock > T) & (clock <= T + t)
        before += in_before
        after += in_after
        leave = rng.random(n) < p
        alive_at_T = np.where(in_before & leave, False, alive_at_T)
        alive = alive & (clock <= T + t) & ~leave
    return before, alive_at_T, after


def test_mbgnbd_formulas_agree_with_a_simulation_of_the_model():
    # an independent check of the closed forms (hypergeometric expectation, P(alive)) at the published parameters
    from lib.model.btyd import BetaGeoFit

    fit = BetaGeoFit(0.525, 6.183, 0.891, 1.614, 0.0, 0, modified=True)
    T, t = 38.86, 39.0
    before, alive_at_T, after = _simulate_mbgnbd(fit, 400_000, T, t)
    zero = before == 0
    # unconditional: purchases in (0, t] of a new customer (history x = 0, tx = 0, T = 0)
    new_before, _, _ = _simulate_mbgnbd(fit, 400_000, t, 0.0, seed=11)
    assert new_before.mean() == pytest.approx(fit.expected_purchases(t, np.array([0]), np.array([0]), np.array([0]))[0], rel=0.03)
    # conditional on no repeat purchase in (0, T]: P(alive at T) and purchases in (T, T + t]
    assert alive_at_T[zero].mean() == pytest.approx(fit.prob_alive(np.array([0]), np.array([0]), np.array([T]))[0], rel=0.02)
    assert after[zero].mean() == pytest.approx(fit.expected_purchases(t, np.array([0]), np.array([0]), np.array([T]))[0], rel=0.04)


def test_gamma_gamma_on_cdnow():
    # Fader & Hardie (2013) report p = 6.25, q = 3.74, v = 15.44 for this sample
    gg = fit_gamma_gamma(rfm_summary(_cdnow_raw(), pd.Timestamp("1997-09-30")))
    assert (gg.p, gg.q, gg.v) == (pytest.approx(6.25, rel=0.01), pytest.approx(3.74, rel=0.01), pytest.approx(15.44, rel=0.01))


def test_rfm_summary_hand_worked():
    # X: Jan 1 (10 + 5 on the same day = one purchase), Jan 15 (20), Jan 29 (30); Feb 27 is after as_of
    o = orders_frame([("1", "x", "2024-01-01", 10, "a", None), ("2", "x", "2024-01-01", 5, "a", None),
                      ("3", "x", "2024-01-15", 20, "a", None), ("4", "x", "2024-01-29", 30, "a", None),
                      ("5", "x", "2024-02-27", 99, "a", None), ("6", "y", "2024-02-12", 7, "a", None)])
    s = rfm_summary(o, pd.Timestamp("2024-02-26"), "W")
    assert s.loc["x"].tolist() == [2, 4, 8, 25]  # frequency 2, recency 28 d = 4 w, T 56 d = 8 w, mean(20, 30)
    assert s.loc["y"].tolist() == [0, 0, 2, 0]


def test_clv_is_positive_and_discount_lowers_it():
    raw_s = rfm_summary(_cdnow_raw(), pd.Timestamp("1997-09-30"))
    bg, gg = fit_bgnbd(raw_s), fit_gamma_gamma(raw_s)
    plain = customer_lifetime_value(raw_s, bg, gg, months=12)
    disc = customer_lifetime_value(raw_s, bg, gg, months=12, monthly_discount=0.01)
    assert (plain["clv"] > 0).all() and (disc["clv"] < plain["clv"]).all()
    assert plain["p_alive"].between(0, 1).all()
    # one-time buyers are alive with probability 1 under BG/NBD
    assert (plain.loc[plain["frequency"] == 0, "p_alive"] == 1).all()
    # more horizon -> more expected purchases
    longer = customer_lifetime_value(raw_s, bg, gg, months=24)
    assert (longer["expected_purchases"] > plain["expected_purchases"]).all()


@pytest.mark.parametrize("summary, message", [
    (pd.DataFrame({"frequency": [0, 1], "recency": [0, 1], "T": [5, 5]}), "Too few customers"),
    (pd.DataFrame({"frequency": [0] * 30, "recency": [0] * 30, "T": [5] * 30}), "bought more than once"),
], ids=["two customers", "no repeat buyers"])
def test_thin_data_gives_clear_message(summary, message):
    with pytest.raises(ModelError, match=message):
        fit_bgnbd(summary)


def test_gamma_gamma_refuses_non_positive_values():
    s = pd.DataFrame({"frequency": [1] * 12, "recency": [1] * 12, "T": [5] * 12, "monetary_value": [10.0] * 11 + [-5.0]})
    with pytest.raises(ModelError, match="positive"):
        fit_gamma_gamma(s)


def test_ltv_curves_hand_worked():
    # P: 100 on Jan 1, 50 on Feb 15 (45 days later -> month index 1); Q: 80 on Jan 10. as_of Mar 31.
    # maturity P: 91 days / 30.4375 -> 2 months; Q: 82 days -> 2 months.
    o = orders_frame([("1", "P", "2024-01-01", 100, "sms", None), ("2", "P", "2024-02-15", 50, "sms", None),
                      ("3", "Q", "2024-01-10", 80, "sms", None)])
    refunds = pd.DataFrame(columns=["order_id", "customer_id", "refund_date", "amount", "kind"])
    c = ltv_curves(o, refunds, customers_table(o), pd.Timestamp("2024-03-31"), by="channel")
    assert c.to_dict("list") == {"group": ["sms", "sms"], "month": [1, 2], "customers": [2, 2], "ltv": [90.0, 115.0]}
    assert ltv_curves(o, refunds, customers_table(o), pd.Timestamp("2024-03-31"), min_customers=3).empty


def test_predict_clv_on_sample(sample_ds):
    p = predict_clv(sample_ds.orders, sample_ds.orders["order_date"].max(), months=12)
    assert len(p.customers) == sample_ds.orders["customer_id"].nunique()
    assert (p.customers["clv"] >= 0).all()


def test_clv_by_segment_hand_worked():
    from lib.model.btyd import clv_by_segment

    pred = pd.DataFrame({"customer_id": ["a", "b", "c"], "clv": [100.0, 50.0, 30.0], "p_alive": [0.9, 0.5, 0.2]})
    seg = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["Champions", "At risk", "Champions"]})
    t = clv_by_segment(pred, seg).set_index("segment")
    assert t.loc["Champions"].tolist() == [2, 130.0, 65.0, pytest.approx(0.55)]
    assert t.index.tolist() == ["Champions", "At risk"]


def test_bgnbd_on_alike_customers_gives_the_limit_model():
    # 400 customers who all buy at 0.5 a week and never drop out: r and alpha run off together,
    # but the mean rate r / alpha is what predictions need, and it is recovered.
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(400):
        times = np.sort(rng.uniform(0, 52, rng.poisson(0.5 * 52)))
        rows.append((len(times), times[-1] if len(times) else 0.0, 52.0))
    s = pd.DataFrame(rows, columns=["frequency", "recency", "T"])
    fit = fit_bgnbd(s)
    assert fit.r / fit.alpha == pytest.approx(0.5, rel=0.05)
    assert fit.a / (fit.a + fit.b) < 0.01  # (almost) no dropout
    assert (fit.prob_alive(s["frequency"], s["recency"], s["T"]) > 0.9).all()


def test_one_time_buyers_who_stayed_away_are_not_all_active(sample_ds):
    # BG/NBD called every one-time buyer 100 % active ("Hibernating" read 100 %); MBG/NBD does not
    from lib.model import tables
    from lib.model.view import apply_filters

    p = tables.prediction(apply_filters(sample_ds))
    assert not isinstance(p, str)
    once = p.customers.loc[p.customers["frequency"] == 0, "p_alive"]
    assert len(once) and (once < 1).all()
    seg = p.by_segment.set_index("segment")["avg_p_alive"]
    assert seg["Hibernating"] < 0.2 < seg["Champions"]


@pytest.mark.parametrize("months", [3, 12])
def test_value_within_is_the_per_customer_form_of_the_ltv_curve(sample_ds, months):
    # one definition: the mean of each customer's value over those old enough is the curve's value at that month
    import pandas as pd

    from lib.model.ltv import ltv_at, value_within
    from lib.model.view import Filters, apply_filters

    for f in (Filters(), Filters(pd.Timestamp("2025-03-01"), pd.Timestamp("2026-04-30"), ("SMS", "Phone call"))):
        view = apply_filters(sample_ds, f)
        v = value_within(view.all_orders, view.all_refunds, view.customers, view.as_of, months)
        assert v.mean() == pytest.approx(ltv_at(view, (months,))[months])


def test_the_spend_model_is_the_full_fit_where_customers_differ():
    from lib.model.btyd import spend_model, spend_sentence

    gg = spend_model(rfm_summary(_cdnow_raw(), pd.Timestamp("1997-09-30")))
    assert gg.fallback is None and gg.q == pytest.approx(3.74, rel=0.01) and spend_sentence(gg) is None


def test_a_fit_running_to_q_infinity_takes_the_limiting_model():
    """Issue 24: on customers who all spend alike the optimiser stopped on its way to q → ∞ (Shopify web: q 5.93,
    log-likelihood −99.58 where the limit reaches −99.32). The limit (one expected order value for all) is taken
    when it fits at least as well, and said."""
    from lib.model.btyd import gg_nll, spend_model, spend_sentence

    rng = np.random.default_rng(3)
    x = rng.integers(1, 8, 400).astype(float)
    m = np.array([rng.gamma(4 * k, 1 / (0.05 * k)) for k in x])  # every customer's rate ν = 0.05: mean order 80
    s = pd.DataFrame({"frequency": x, "recency": 1.0, "T": 5.0, "monetary_value": m})
    full = fit_gamma_gamma(s)
    gg = spend_model(s)
    assert gg.fallback == "alike" and gg.log_likelihood >= full.log_likelihood
    assert gg.log_likelihood >= -gg_nll(np.log([full.p, full.q, full.v]), x, m, np.ones_like(x))
    assert gg.mean == pytest.approx(80, rel=0.03)
    assert np.allclose(gg.expected_value(np.array([1.0, 5.0]), np.array([10.0, 500.0])), gg.mean)
    assert spend_sentence(gg).startswith("As customers differ too little in what they spend per order")
    assert "差别太小" in spend_sentence(gg, "zh")


def test_too_few_repeat_customers_keep_p_active_and_value_orders_at_the_shop_mean():
    """A Gamma-Gamma failure dropped the whole prediction, P(active) with it. Six repeat customers (10 are needed
    for the full model): the repurchase model still predicts, orders valued at the shop's mean repeat order."""
    from lib.model.btyd import spend_model, spend_sentence

    s = pd.DataFrame({"frequency": [0.0] * 20 + [1, 2, 1, 3, 1, 2], "recency": [0.0] * 20 + [2, 4, 3, 6, 1, 5],
                      "T": [8.0] * 26, "monetary_value": [0.0] * 20 + [10, 20, 30, 40, 50, 60]})
    with pytest.raises(ModelError):
        fit_gamma_gamma(s)
    gg = spend_model(s)
    assert gg.fallback == "few" and gg.customers == 6
    assert "too few customers came back (6; 10 are needed)" in spend_sentence(gg)
    clv = customer_lifetime_value(s, fit_mbgnbd(s), gg)
    assert clv["p_alive"].between(0, 1).all() and (clv["clv"] > 0).all()


def test_a_fit_on_a_ridge_says_customers_are_alike():
    """Issue 24: on the sample's SMS customers MBG/NBD ran along a flat ridge to r = 1,758: customers who buy at much
    the same rate. The fit is the limit (same rate for all) and the page says so in one sentence."""
    from lib.model.btyd import BetaGeoFit, repurchase_sentence

    ridge = BetaGeoFit(r=1758.0, alpha=30000.0, a=0.8, b=2.4, log_likelihood=0.0, customers=100, modified=True)
    assert repurchase_sentence(ridge) == ("These customers differ little in how often they buy, so the model predicts "
                                          "every one of them at the shop's level.")
    assert "购买频率" in repurchase_sentence(ridge, "zh")
    assert repurchase_sentence(fit_mbgnbd(pd.read_csv(FIXTURES / "cdnow_customers_summary.csv"))) is None


def test_thin_data_says_how_much_is_needed():
    s = pd.DataFrame({"frequency": [0] * 28 + [1, 1], "recency": [0] * 28 + [1, 1], "T": [5] * 30})
    with pytest.raises(ModelError, match=r"bought more than once \(2; 5 are needed\)"):
        fit_bgnbd(s)


def test_scoring_on_distinct_histories_equals_scoring_each_customer():
    """Expected purchases are computed once per distinct (orders, age, horizon): the same numbers as one by one."""
    import numpy as np

    from lib.model.btyd import BetaGeoFit

    rng = np.random.default_rng(3)
    n = 5000  # past the size where the distinct histories are used
    x = rng.integers(0, 6, n).astype(float)
    T = rng.integers(1, 40, n).astype(float)
    tx = np.minimum(T, rng.integers(0, 40, n)).astype(float) * (x > 0)
    bg = BetaGeoFit(r=0.24, alpha=4.4, a=0.79, b=2.4, log_likelihood=0.0, customers=n, modified=True)
    many = bg.expected_purchases(26.0, x, tx, T)
    one_by_one = np.array([bg.expected_purchases(26.0, x[i:i + 1], tx[i:i + 1], T[i:i + 1])[0] for i in range(0, n, 97)])
    assert np.allclose(many[::97], one_by_one, rtol=1e-12, atol=0)
    per_customer_t = rng.integers(1, 52, n).astype(float)  # a horizon per customer (the backtest's)
    each = bg.expected_purchases(per_customer_t, x, tx, T)
    assert np.allclose(each[::97], [bg.expected_purchases(per_customer_t[i], x[i:i + 1], tx[i:i + 1], T[i:i + 1])[0]
                                    for i in range(0, n, 97)], rtol=1e-12, atol=0)


def test_a_big_shop_is_fitted_on_a_stated_sample_and_every_customer_scored(monkeypatch):
    import numpy as np

    from lib.model import btyd

    rng = np.random.default_rng(5)
    n = 3000
    T = rng.integers(10, 60, n).astype(float)
    x = rng.poisson(1.2, n).astype(float)
    tx = np.where(x > 0, np.floor(T * rng.random(n)), 0.0)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": T, "monetary_value": np.where(x > 0, rng.gamma(4, 20, n), 0)})
    whole = btyd.fit_mbgnbd(summary)
    monkeypatch.setattr(btyd, "FIT_SAMPLE", 1500)
    part = btyd.fit_mbgnbd(summary)
    assert whole.fitted_on is None and part.fitted_on == 1500 and part.customers == n
    assert part == btyd.fit_mbgnbd(summary)  # seeded: the same sample, the same fit
    assert "fitted on a random 1,500 of the 3,000 customers" in btyd.repurchase_sentence(part)
    assert "随机抽取的 1,500 位客户" in btyd.repurchase_sentence(part, "zh")
    scored = btyd.customer_lifetime_value(summary, part, btyd.spend_model(summary))
    assert len(scored) == n and scored["clv"].notna().all()
    assert abs(part.r / part.alpha - whole.r / whole.alpha) < 0.25 * whole.r / whole.alpha  # the mean rate holds


@pytest.mark.parametrize("modified", [True, False], ids=["MBG/NBD", "BG/NBD"])
def test_the_likelihoods_gradient_is_its_derivative(modified):
    """The fit follows the worked-out gradient: it must agree with finite differences of the likelihood itself."""
    from scipy import optimize

    from lib.model.btyd import bgnbd_nll, bgnbd_nll_grad

    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, 400).astype(float)
    T = rng.uniform(1, 40, 400)
    tx = np.where(x > 0, T * rng.random(400), 0.0)
    w = rng.integers(1, 4, 400).astype(float)
    for log_params in (np.log([0.3, 4.0, 0.8, 2.5]), np.log([50.0, 300.0, 0.01, 0.3])):
        value, grad = bgnbd_nll_grad(log_params, x, tx, T, w, modified)
        assert value == bgnbd_nll(log_params, x, tx, T, w, modified)
        numeric = optimize.approx_fprime(log_params, lambda p: bgnbd_nll(p, x, tx, T, w, modified), 1e-6)
        assert np.allclose(grad, numeric, rtol=1e-4, atol=1e-4)


def test_the_model_fit_at_its_spend_limit_shows_the_mean_order_not_infinities():
    """Online Retail-shaped data put the Gamma-Gamma fit at its limit: the LTV page said 'q = inf, v = inf'."""
    from lib.model.btyd import GammaGammaFit
    from lib.model.tables import predicted_clv_params

    limit = GammaGammaFit(p=4.0, q=float("inf"), v=float("inf"), log_likelihood=0.0, customers=30, mean=15.2, fallback="alike")
    full = GammaGammaFit(p=4.0, q=3.0, v=20.0, log_likelihood=0.0, customers=30)
    assert predicted_clv_params(limit) == {"p": 4.0, "mean": 15.2}
    assert predicted_clv_params(full) == {"p": 4.0, "q": 3.0, "v": 20.0}
