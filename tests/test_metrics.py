"""Metrics on the hand-made edge fixture and tiny tables; answers worked out by hand in comments.

Edge fixture after cleaning (as_of = 2024-03-20, the last order):
  A: 2024-01-05 100, 2024-01-05 50, 2024-03-10 80   (Parcel card)
  B: 2024-01-20 200; refund 2024-02-01 50           (Phone call)
  C: 2024-02-15 60, referred by A                   (channel missing -> "(none)")
  D: 2024-02-20 40, referred by C
  E: 2024-03-01 30, names themself                  (self-referral)
  F: 2024-03-05 70, referred by G  \\ a cycle; F has the earlier first order,
  G: 2024-03-06 90, referred by F  /  so F's link is dropped: F is a root, G is F's referee
  H: 2024-03-20 25, referred by Z who never bought
"""
from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import orders_frame

from lib.errors import DataError
from lib.model.cohorts import (
    cohort_matrix,
    cohort_table,
    contact_rhythm,
    days_between_orders,
    order_funnel,
    repurchase_by_cohort,
)
from lib.model.customers import customers_table
from lib.model.ltv import ltv_curves
from lib.model.metrics import (
    ValueDecomposition,
    ladder_movement,
    lever_changes,
    n_day_repurchase,
    overview,
    revenue_new_vs_returning,
    value_decomposition,
    value_ladder,
)
from lib.model.rfm import rfm_scores
from lib.model.view import Filters, apply_filters


@pytest.fixture
def view(edge_ds):
    return apply_filters(edge_ds)


def test_overview_edge_fixture(view):
    k = overview(view, margin=0.5)
    assert (k.customers, k.new_customers, k.orders) == (8, 8, 10)
    assert (k.revenue_gross, k.refunds, k.revenue_net) == (745, 50, 695)
    assert k.aov == pytest.approx(74.5)               # 745 / 10
    assert k.orders_per_customer == pytest.approx(1.25)  # 10 / 8
    assert k.repurchase_rate == pytest.approx(1 / 8)   # only A has 2+ orders
    # 30 days: eligible first orders <= 2024-02-19: A, B, C; A's 2nd order came the same day -> 1/3
    assert k.repeat_30d == pytest.approx(1 / 3)
    # 60 days: eligible <= 2024-01-20: A, B -> 1/2; 90 days: nobody is old enough -> NaN
    assert k.repeat_60d == pytest.approx(1 / 2)
    assert math.isnan(k.repeat_90d) and math.isnan(k.repeat_180d)
    # referrers with a valid link: A (C), C (D), F (G) -> 3/8; they brought C, D, G: K = 3 new customers / 8
    assert k.sharing_rate == pytest.approx(3 / 8)
    assert k.k_factor == pytest.approx(3 / 8)
    assert math.isnan(k.ltv_3m)  # no customer is 3 months old
    assert math.isnan(k.cac)     # no spend sheet
    assert k.as_of == "2024-03-20"


def test_value_decomposition_edge_fixture(view):
    d = value_decomposition(view)
    # direct = 74.5 x 1.25 = 93.125; referred C, D, G: 3/8 per customer, AOV 190/3, 1 order each
    assert d.direct_value == pytest.approx(93.125)
    assert d.referred_per_customer == pytest.approx(0.375)
    assert d.referred_aov == pytest.approx(190 / 3)
    assert d.referral_value == pytest.approx(0.375 * 190 / 3)   # 23.75
    assert d.total == pytest.approx(116.875)


def test_lever_changes_names_biggest_mover():
    before = ValueDecomposition(100, 2, 0.1, 100, 1)
    after = ValueDecomposition(110, 3, 0.1, 100, 1)  # AOV +10%, repurchase +50%, sharing 0%
    t = lever_changes(before, after)
    assert t["lever"].iloc[0] == "orders_per_customer"
    assert t.set_index("lever").loc["aov", "change_pct"] == pytest.approx(10)
    # direct value 200 -> 330: +65%
    assert t.set_index("lever").loc["direct_value", "change_pct"] == pytest.approx(65)


def test_value_ladder_edge_fixture(view):
    lad = value_ladder(view.customers).set_index("rung")
    # A is the only repeat buyer (3 orders < 4 for loyal); Z is a potential (named, never bought)
    assert lad["customers"].to_dict() == {"potential": 1, "bought once": 7, "repeat": 1, "loyal": 0}
    assert lad.loc["repeat", "revenue_share"] == pytest.approx(230 / 745)
    assert lad["revenue_share"].sum() == pytest.approx(1)


@pytest.mark.parametrize("loyal_orders, member, expected", [
    (4, False, {"bought once": 1, "repeat": 1, "loyal": 0}),
    (2, False, {"bought once": 1, "repeat": 0, "loyal": 1}),
    (4, True, {"bought once": 0, "repeat": 1, "loyal": 1}),
], ids=["default threshold", "threshold of 2", "member flag"])
def test_ladder_thresholds(loyal_orders, member, expected):
    o = orders_frame([("1", "x", "2024-01-01", 10, "a", None), ("2", "x", "2024-02-01", 10, "a", None),
                      ("3", "y", "2024-01-01", 10, "a", None)])
    o.loc[o["customer_id"] == "y", "is_member"] = member
    lad = value_ladder(customers_table(o), loyal_orders=loyal_orders).set_index("rung")["customers"]
    assert {k: lad[k] for k in expected} == expected


def test_ladder_movement_by_month():
    # x: Jan 1st order, Feb 2nd, Mar 3rd+4th (loyal at 4); y: Feb 1st order
    o = orders_frame([("1", "x", "2024-01-03", 10, "a", None), ("2", "x", "2024-02-03", 10, "a", None),
                      ("3", "x", "2024-03-03", 10, "a", None), ("4", "x", "2024-03-04", 10, "a", None),
                      ("5", "y", "2024-02-10", 10, "a", None)])
    t = ladder_movement(o).set_index("month")
    assert t.loc["2024-01-01", ["bought once", "repeat", "loyal"]].tolist() == [1, 0, 0]
    assert t.loc["2024-02-01", ["bought once", "repeat", "loyal", "new", "to_repeat"]].tolist() == [1, 1, 0, 1, 1]
    assert t.loc["2024-03-01", ["bought once", "repeat", "loyal", "to_loyal"]].tolist() == [1, 0, 1, 1]


def test_rfm_scores_hand_worked():
    # five customers; as_of 2024-06-30. recency days: a 0, b 10, c 30, d 90, e 180
    o = orders_frame([
        ("a1", "a", "2024-06-30", 500, "x", None), ("a2", "a", "2024-06-01", 500, "x", None), ("a3", "a", "2024-05-01", 500, "x", None),
        ("b1", "b", "2024-06-20", 50, "x", None), ("b2", "b", "2024-03-01", 50, "x", None),
        ("c1", "c", "2024-05-31", 80, "x", None),
        ("d1", "d", "2024-04-01", 300, "x", None), ("d2", "d", "2024-03-01", 300, "x", None),
        ("d3", "d", "2024-02-01", 300, "x", None), ("d4", "d", "2024-01-01", 300, "x", None),
        ("e1", "e", "2024-01-02", 20, "x", None),
    ])
    r = rfm_scores(customers_table(o), pd.Timestamp("2024-06-30")).set_index("customer_id")
    assert r["recency_days"].to_dict() == {"a": 0, "b": 10, "c": 30, "d": 90, "e": 180}
    assert r["r"].to_dict() == {"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}
    # frequency ranks, equal values sharing the lowest: c=1, e=1 -> 1, 1; b=2 -> 3; a=3 -> 4; d=4 -> 5
    assert r["f"].to_dict() == {"a": 4, "b": 3, "c": 1, "d": 5, "e": 1}
    assert r.loc["a", "segment"] == "Champions"        # R5 F4
    assert r.loc["d", "segment"] == "Can't lose them"  # R2 F5
    assert r.loc["e", "segment"] == "Hibernating"      # R1 F1
    assert r.loc["c", "segment"] == "Need attention"   # R3 F1


def test_identical_customers_get_identical_rfm_scores():
    """Three one-time buyers of the same day and amount are one kind of customer: the same R, F and M
    (by order of appearance they scored F 1, 2 and 3)."""
    o = orders_frame([
        ("o1", "a", "2024-06-01", 50, "x", None), ("o2", "b", "2024-06-01", 50, "x", None),
        ("o3", "c", "2024-06-01", 50, "x", None),
        ("o4", "d", "2024-06-20", 90, "x", None), ("o5", "d", "2024-06-25", 90, "x", None),
        ("o6", "e", "2024-06-28", 40, "x", None), ("o7", "e", "2024-06-29", 40, "x", None), ("o8", "e", "2024-06-30", 40, "x", None),
    ])
    r = rfm_scores(customers_table(o), pd.Timestamp("2024-06-30")).set_index("customer_id")
    assert r.loc[["a", "b", "c"], ["r", "f", "m"]].drop_duplicates().shape[0] == 1
    # orders a, b, c = 1 (ranks 1), d = 2 (rank 4), e = 3 (rank 5): F = ceil(rank / 5 * 5)
    assert r["f"].to_dict() == {"a": 1, "b": 1, "c": 1, "d": 4, "e": 5}
    # revenue a, b, c = 50 (rank 1), e = 120 (rank 4), d = 180 (rank 5)
    assert r["m"].to_dict() == {"a": 1, "b": 1, "c": 1, "d": 5, "e": 4}


def test_filters_keep_full_history_cohort(edge_ds):
    # March only: A is active (80) but was acquired in January -> not new; channel filter by acquisition channel
    v = apply_filters(edge_ds, Filters(pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-31")))
    k = overview(v)
    assert (k.customers, k.new_customers, k.orders, k.revenue_gross) == (5, 4, 5, 295)
    v2 = apply_filters(edge_ds, Filters(channels=("Parcel card",)))
    assert v2.orders["customer_id"].unique().tolist() == ["A"] and len(v2.orders) == 3
    with pytest.raises(DataError, match="No orders match"):
        apply_filters(edge_ds, Filters(pd.Timestamp("2030-01-01"), None))


def test_cohort_table_edge_fixture(view):
    t = cohort_table(view.all_orders, view.refunds, view.customers, view.as_of)
    jan = t.loc[t["cohort"] == "2024-01-01"].set_index("period")
    # Jan cohort A, B: period 0 both active, 150 + 200; period 1 only B's refund -50; period 2 A's 80
    assert jan["active_pct"].tolist() == [1.0, 0.0, 0.5]
    assert jan["revenue"].tolist() == [350, -50, 80]
    assert jan["cum_ltv"].tolist() == [175, 150, 190]
    m = cohort_matrix(t, "active_pct")
    assert math.isnan(m.loc["2024-02-01", 2])  # after as_of: empty, not zero
    assert m.loc["2024-03-01", 0] == 1.0 and t.loc[t["cohort"] == "2024-03-01", "revenue"].item() == 215


def test_no_cohort_gives_an_empty_typed_table(view):
    # a window in which nobody bought for the first time: no cohort, a table that still joins and reads as numbers
    t = cohort_table(view.all_orders, view.refunds, view.customers.iloc[0:0], view.as_of)
    assert t.empty and list(t.columns) == ["cohort", "period", "cohort_size", "active", "active_pct", "revenue",
                                           "revenue_per_customer", "cum_ltv"]
    assert pd.api.types.is_datetime64_any_dtype(t["cohort"]) and pd.api.types.is_float_dtype(t["active_pct"])
    assert cohort_matrix(t, "active_pct").empty
    r = repurchase_by_cohort(view.all_orders, view.customers.iloc[0:0], view.as_of)
    assert r.empty and list(r.columns[:3]) == ["cohort", "customers", "repeat_30d"]


def test_weekly_cohorts_period_zero_is_full(view):
    t = cohort_table(view.all_orders, view.refunds, view.customers, view.as_of, freq="W")
    assert (t.loc[t["period"] == 0, "active_pct"] == 1).all()
    assert t["cohort"].dt.weekday.eq(0).all()  # weeks start on Monday


def test_repurchase_by_cohort_censoring(view):
    t = repurchase_by_cohort(view.all_orders, view.customers, view.as_of).set_index("cohort")
    assert t.loc["2024-01-01", "repeat_30d"] == 0.5      # A yes, B no
    assert math.isnan(t.loc["2024-03-01", "repeat_30d"])  # too young


def test_days_between_and_funnel(view):
    gaps = days_between_orders(view.all_orders, view.customers)
    assert gaps["days"].tolist() == [0, 65]  # A: same day, then Jan 5 -> Mar 10
    rhythm = contact_rhythm(gaps).set_index("channel")
    assert rhythm.loc["All channels", "median_days"] == 32.5
    assert rhythm.loc["Parcel card", "gaps"] == 2
    f = order_funnel(view.all_orders, view.customers).set_index("step")
    assert f["customers"].tolist() == [8, 1, 1, 0]
    assert f.loc["2nd", "median_days_from_previous"] == 0 and f.loc["3rd", "median_days_from_previous"] == 65
    assert f.loc["2nd", "of_previous"] == pytest.approx(1 / 8)


def test_n_day_repurchase_function():
    first = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01"]))
    second = pd.Series(pd.to_datetime(["2024-01-31", "2024-02-01", None]))
    rate, n = n_day_repurchase(first, second, pd.Timestamp("2024-03-15"), 30)
    assert (rate, n) == (0.5, 2)  # 30 days exactly counts, 31 does not; March customer too young


def test_n_day_repurchase_counts_calendar_days():
    """A first order on day end - N after midnight has had its N days by the window's last day (Shopify,
    180 days: 2/7, not 1/6); a 2nd order on day first + N in the evening is within N days."""
    first = pd.Series(pd.to_datetime(["2024-01-01 14:00", "2024-01-01 09:00", "2024-01-02 00:30"]))
    second = pd.Series(pd.to_datetime(["2024-01-31 23:00", "2024-02-01 08:00", "2024-01-05 00:00"]))
    # as_of 2024-01-31 (the window's last day): 30 days after Jan 1, the Jan 2 customer is one day short
    rate, n = n_day_repurchase(first, second, pd.Timestamp("2024-01-31"), 30)
    assert (rate, n) == (0.5, 2)  # Jan 1 14:00 -> Jan 31 23:00 is 30 days; Jan 1 -> Feb 1 is 31


def test_revenue_new_vs_returning(view):
    t = revenue_new_vs_returning(view.all_orders, view.orders).set_index("month")
    # Jan: first orders A 100, B 200 (new); A's same-day 50 is returning
    assert t.loc["2024-01-01"].tolist() == [300, 50, 0]  # new, returning, guests
    assert t.loc["2024-03-01"].tolist() == [215, 80, 0]
    assert t.to_numpy().sum() == 745


def test_revenue_split_with_first_orders_of_the_whole_dataset(edge_ds):
    # the UI finds first orders once per dataset and reuses them for every filter
    from lib.model.metrics import first_order_labels
    from lib.model.view import prepare

    p = prepare(edge_ds)
    labels = first_order_labels(p.orders)
    for f in (Filters(), Filters(pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-31")), Filters(channels=("Parcel card",)),
              Filters(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"), ("Phone call", "(none)"))):
        v = apply_filters(p, f)
        pd.testing.assert_frame_equal(revenue_new_vs_returning(v.all_orders, v.orders, labels),
                                      revenue_new_vs_returning(v.all_orders, v.orders))
    jan = apply_filters(p, Filters(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"), ("Parcel card",)))
    t = revenue_new_vs_returning(jan.all_orders, jan.orders, labels)
    assert t[["new", "returning"]].to_numpy().tolist() == [[100, 50]]  # A's first order, then the same-day 50


def test_value_ladder_same_with_or_without_forest(view):
    from lib.model.referrals import referral_forest

    a = value_ladder(view.customers)
    b = value_ladder(view.customers, forest=referral_forest(view.customers))
    pd.testing.assert_frame_equal(a, b)


def test_ladder_rungs_and_segment_summary(view):
    from lib.model.metrics import ladder_rungs
    from lib.model.rfm import segment_summary

    rungs = ladder_rungs(view.customers)
    assert rungs.to_dict() == {"A": "repeat", "B": "bought once", "C": "bought once", "D": "bought once", "E": "bought once",
                               "F": "bought once", "G": "bought once", "H": "bought once"}
    summary = segment_summary(rfm_scores(view.customers, view.as_of))
    assert summary["customers"].sum() == 8 and summary["revenue"].sum() == 745
    assert summary["revenue"].is_monotonic_decreasing


def test_ltv_questions_see_refunds_outside_the_window(edge_ds):
    # March only: B's February refund is outside the window, but the January cohort's history
    # (all orders, so all refunds too, up to the window's end) still has it: period 1 revenue -50,
    # as over the full data. The refund of 120 comes after March: it does not exist yet for this view.
    v = apply_filters(edge_ds, Filters(pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-31")))
    assert v.refunds.empty and v.all_refunds["amount"].tolist() == [50.0]
    t = cohort_table(v.all_orders, v.all_refunds, v.customers, v.as_of)
    assert t.loc[t["cohort"] == "2024-01-01", "revenue"].tolist() == [350, -50, 80]


def test_ltv_at_counts_mature_customers_and_their_refunds():
    from lib.model.ltv import ltv_at
    from lib.schema import Dataset, QualityReport

    orders = orders_frame([
        ("1", "A", "2024-01-01", 100, "ads", None), ("2", "A", "2024-03-15", 50, "ads", None),   # day 74
        ("3", "A", "2024-04-15", 30, "ads", None),                                                 # day 105
        ("4", "B", "2024-03-01", 80, "ads", None), ("5", "B", "2024-05-30", 20, "ads", None),     # day 90
        ("6", "C", "2024-05-20", 500, "ads", None),
        ("7", "D", "2024-07-05", 9, "ads", None),  # the data's last day: the analysis date; D is a day old
    ])
    refunds = pd.DataFrame({"order_id": ["r1", "r2", "r3"], "customer_id": ["A", "B", "A"],
                            "refund_date": pd.to_datetime(["2024-02-01", "2024-06-15", "2024-02-02"]),
                            "amount": [10.0, 5.0, 99.0], "kind": ["refund", "refund", "cancelled"]})
    view = apply_filters(Dataset(orders, refunds, None, QualityReport()))
    got = ltv_at(view, (3, 6, 12))
    # 3 months = 91.3 days; mature by the end of 2024-07-05: first order <= 2024-04-05 -> A, B (C is too young).
    # A: 100 + 50 (day 74) - refund 10 (day 31); the day-105 order is outside. B: 80 + 20 (day 90);
    # B's refund on day 106 is outside; a cancellation is not a refund -> (140 + 100) / 2 = 120
    assert got[3] == pytest.approx(120)
    # 6 months = 182.6 days; mature: first order <= 2024-01-05 -> A only: 100 + 50 + 30 - 10 = 170
    assert got[6] == pytest.approx(170)
    assert math.isnan(got[12])  # nobody is a year old
    # the same figures the LTV page's curve shows. Month 1 (30.4 days): A 100, B 80, C 500 (47 days old);
    # month 2 (60.9 days, C too young): A 100 - 10, B 80; month 4 (121.8 days; B is 127 days old): A 170,
    # B 80 + 20 - 5 (its refund on day 106 now counts); months 5-6: A alone, 170
    curve = ltv_curves(view.all_orders, view.all_refunds, view.customers, view.as_of, by=None)
    assert curve.set_index("month")["ltv"].to_dict() == pytest.approx({1: 680 / 3, 2: 85.0, 3: 120.0, 4: 132.5, 5: 170.0, 6: 170.0})


def _with_refunds(rows, refunds):
    from lib.schema import Dataset, QualityReport

    r = pd.DataFrame(refunds, columns=["order_id", "customer_id", "refund_date", "amount", "kind"])
    r["refund_date"] = pd.to_datetime(r["refund_date"]).astype("datetime64[ns]")
    r["amount"] = r["amount"].astype(float)
    for c in ("order_id", "customer_id", "kind"):
        r[c] = r[c].astype("string")
    return Dataset(orders_frame(rows), r, None, QualityReport())


def test_the_analysis_date_is_the_last_order_or_refund():
    """A refund after the last order (Square's -204 on 29 Oct) is in the data: every view without an end sees it."""
    ds = _with_refunds([("1", "a", "2024-01-01", 100, "x", None), ("2", "b", "2024-01-10", 80, "x", None)],
                       [("1", "a", "2024-01-20", 30, "refund")])
    v = apply_filters(ds)
    assert v.as_of == pd.Timestamp("2024-01-20")
    k = overview(v)
    assert (k.refunds, k.revenue_net) == (30.0, 150.0)


def test_choosing_every_channel_is_no_channel_filter():
    """A refund of a customer with no kept order has no acquisition channel; choosing every channel must
    still count it, as no filter does (Online Retail II: 63,181.41 vs 63,126.28 under its one channel)."""
    ds = _with_refunds([("1", "a", "2024-01-01", 100, "x", None), ("2", "b", "2024-01-10", 80, "y", None)],
                       [("9", "z", "2024-01-05", 25, "refund"), ("1", "a", "2024-01-06", 10, "refund")])
    everything = overview(apply_filters(ds))
    both = overview(apply_filters(ds, Filters(channels=("x", "y"))))
    assert everything.refunds == both.refunds == 35.0
    assert overview(apply_filters(ds, Filters(channels=("x",)))).refunds == 10.0  # a's own refund only


def test_a_refund_dated_before_the_first_order_counts_in_period_0():
    """Online Retail II: 55 credit notes dated before their customer's first kept order. Each counts in the
    cohort's first month, as LTV counts it, so the cohort table keeps the money: 100 + 40 - 30 - 5."""
    ds = _with_refunds([("1", "a", "2024-03-10", 100, "x", None), ("2", "a", "2024-04-02", 40, "x", None)],
                       [("0", "a", "2024-02-20", 30, "refund"), ("2", "a", "2024-04-03", 5, "refund")])
    v = apply_filters(ds)
    t = cohort_table(v.all_orders, v.all_refunds, v.customers, v.as_of).set_index("period")
    assert t["revenue"].tolist() == [70.0, 35.0] and t["revenue"].sum() == 105.0
