from __future__ import annotations

import pytest
from conftest import orders_frame
from hypothesis import given
from hypothesis import strategies as st

from lib.model.planner import (
    baseline_monthly_revenue,
    fission_projection,
    fission_totals,
    project_revenue,
    projection_ratio,
    revenue_multiplier,
    solve_lever,
)


def test_seeds_fission_example():
    # 1,000 customers; 10% refer 2 each -> 200 new; then 20 of those 200 refer again while the
    # original 100 keep referring -> 200 + 40 = 240 new in period 2
    t = fission_totals(fission_projection(1000, 0.10, 2, 2)).set_index("period")
    assert t.loc[1, "new"] == 200 and t.loc[1, "total"] == 1200
    assert t.loc[2, "new"] == 240 and t.loc[2, "total"] == 1440
    gens = fission_projection(1000, 0.10, 2, 2)
    p2 = gens.loc[gens["period"] == 2].set_index("generation")["customers"]
    assert p2.tolist() == [1000, 400, 40]


def test_fission_only_newest_generation_refers():
    t = fission_totals(fission_projection(1000, 0.10, 2, 2, keep_referring=False)).set_index("period")
    assert t.loc[2, "new"] == 40


def test_multiplier_and_solver_hand_worked():
    # K = 0.2 new customers per customer: (1.1)(1.2)(1 + 0.2 x 0.5) = 1.1 x 1.2 x 1.1 = 1.452
    assert revenue_multiplier(0.1, 0.2, 0.5, 0.2) == pytest.approx(1.452)
    # sharing alone with K = 0.25: 1 + 0.25 s = 2 -> s = 4 (+400%: each customer brings 1.25 instead of 0.25)
    assert solve_lever(2, 0.25, solve_for="sharing")["sharing"] == pytest.approx(4)
    # AOV with repurchase +25%: (1 + a) x 1.25 = 2 -> a = 0.6
    assert solve_lever(2, 0.25, repurchase_lift=0.25, solve_for="aov")["aov"] == pytest.approx(0.6)
    eq = solve_lever(2, 0.25, solve_for="all")
    assert revenue_multiplier(eq["aov"], eq["repurchase"], eq["sharing"], 0.25) == pytest.approx(2)


def test_projection_reaches_target_at_month_12():
    lifts = solve_lever(2, 0.3, solve_for="all")
    p = project_revenue(1000, lifts["aov"], lifts["repurchase"], lifts["sharing"], 0.3)
    assert p["projected"].iloc[-1] == pytest.approx(2000) and p["target"].iloc[0] == 2000
    assert p["projected"].is_monotonic_increasing
    # the ramp: month m earns 1 + (2 - 1) m / 12 of the baseline; over the year (12 + 78/12) / 12 = 1.5417
    assert projection_ratio(p) == pytest.approx((12 + 78 / 12) / 12)


def test_baseline_monthly_revenue():
    o = orders_frame([("1", "a", "2024-01-15", 100, "x", None), ("2", "a", "2024-02-15", 200, "x", None),
                      ("3", "a", "2024-03-15", 300, "x", None), ("4", "a", "2024-04-02", 999, "x", None)])
    # as_of Apr 10: April is partial, so the last 3 whole months Jan-Mar: 600 / 3
    assert baseline_monthly_revenue(o, __import__("pandas").Timestamp("2024-04-10")) == 200


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 3))
def test_multiplier_never_below_one_for_positive_lifts(a, r, s, k):
    assert revenue_multiplier(a, r, s, k) >= 1 - 1e-12
