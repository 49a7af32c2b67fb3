"""How sure a prediction is (issue #24): a 90 % interval on the predicted revenue of the shop and of each contact list,
from simulating the models' own story. On shops simulated from MBG/NBD + Gamma-Gamma with known parameters, the interval
must cover the revenue those customers then brought in at least 40 of 50 shops."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.model import tables
from lib.model.btyd import predict_clv, rfm_summary
from lib.model.interval import revenue_interval
from lib.model.view import apply_filters
from lib.schema import DAYS_PER_MONTH


def _shop(seed: int, n: int = 800, weeks: float = 78, future: float = 52.18) -> pd.DataFrame:
    """A shop that behaves as the models say (MBG/NBD purchases and dropout, Gamma-Gamma order values), followed for
    ``weeks`` and then ``future`` more weeks (the truth the interval is about)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b, p_s, q, gamma = 0.8, 8.0, 0.6, 2.5, 4.0, 3.0, 60.0
    lam, drop, nu = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n), rng.gamma(q, 1 / gamma, n)
    rows = []
    for i in range(n):
        t = rng.uniform(0, 26)
        while t < weeks + future:
            rows.append((f"c{i}", t, rng.gamma(p_s, 1 / nu[i])))
            if rng.random() < drop[i]:
                break
            t += rng.exponential(1 / lam[i])
    o = pd.DataFrame(rows, columns=["customer_id", "week", "amount"])
    return o.assign(order_date=pd.Timestamp("2024-01-01") + pd.to_timedelta(o["week"] * 7, unit="D"))


@pytest.mark.slow
def test_the_90_percent_interval_covers_what_simulated_shops_then_bought():
    as_of = pd.Timestamp("2024-01-01") + pd.Timedelta(days=78 * 7 - 1)
    start, stop = as_of + pd.Timedelta(days=1), as_of + pd.Timedelta(days=1 + round(12 * DAYS_PER_MONTH))
    covered = 0
    for seed in range(50):
        o = _shop(seed)
        history = o.loc[o["order_date"] < start]
        p = predict_clv(history, as_of, 12)
        summary = rfm_summary(history, as_of, "W")
        iv = revenue_interval(summary, p.bgnbd, p.gamma_gamma, p.customers["clv"].to_numpy())["shop"]
        later = o.loc[(o["order_date"] >= start) & (o["order_date"] < stop) & o["customer_id"].isin(summary.index)]
        covered += iv.low <= later["amount"].sum() <= iv.high
    assert covered >= 40


def test_the_interval_is_the_same_for_the_same_data_and_holds_its_point(sample_ds):
    view = apply_filters(sample_ds)
    a, b = tables.prediction(view), tables.prediction(view)
    assert a.interval == b.interval  # seeded draws: a page shows the same interval on every rerun
    iv = a.interval
    assert iv.low < iv.point < iv.high and iv.point == pytest.approx(a.customers["clv"].sum())
    assert iv.level == 0.9


def test_a_discount_scales_the_interval_as_it_scales_the_prediction(sample_ds):
    view = apply_filters(sample_ds)
    plain, discounted = tables.prediction(view).interval, tables.prediction(view, 12, 0.02).interval
    ratio = discounted.point / plain.point
    assert ratio < 1
    assert discounted.low == pytest.approx(plain.low * ratio, rel=0.02)
    assert discounted.high == pytest.approx(plain.high * ratio, rel=0.02)


def test_each_contact_list_gets_an_interval_around_its_clv_at_stake(sample_ds):
    from lib.model.contacts import contacts

    view = apply_filters(sample_ds)
    p = tables.prediction(view)
    c = contacts(view, p.customers)
    lists = {name: pd.Index(df["customer_id"]) for name, df in c.lists.items()}
    got = tables.list_intervals(p, lists)
    assert set(got) == set(lists)
    for name, df in c.lists.items():
        assert got[name].point == pytest.approx(df["clv_12m"].sum())
        if len(df) >= 20:
            assert got[name].low < got[name].point < got[name].high
    shop = p.interval
    assert shop.high > max(i.high for i in got.values())  # the shop holds every list


@pytest.mark.apptest
def test_the_ltv_and_contact_pages_show_the_intervals(sample_ds):
    from streamlit.testing.v1 import AppTest

    from lib.i18n import fmt_money

    iv = tables.prediction(apply_filters(sample_ds)).interval
    at = AppTest.from_file("../app.py", default_timeout=180).run()
    at.switch_page("views/ltv.py").run()
    assert not at.exception
    want = f"(90 % interval {fmt_money(iv.low)} – {fmt_money(iv.high)})"
    assert any(want in c.value for c in at.caption)
    at.switch_page("views/contacts.py").run()
    assert not at.exception
    assert sum(" – " in c.value and c.value.startswith("CLV at stake: ") for c in at.caption) >= 3
