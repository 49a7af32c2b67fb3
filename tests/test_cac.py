"""CAC by channel on a tiny shop whose every figure is worked out by hand."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import orders_frame

from lib.model.cac import (
    cac_by_channel,
    cac_by_month,
    channel_funnel,
    cost_per_add,
    payback_months,
)
from lib.model.customers import customers_table
from lib.model.view import Filters, apply_filters

EMPTY_REFUNDS = pd.DataFrame({"order_id": pd.Series(dtype="string"), "customer_id": pd.Series(dtype="string"),
                              "refund_date": pd.Series(dtype="datetime64[ns]"), "amount": pd.Series(dtype=float),
                              "kind": pd.Series(dtype="string")})


def test_parcel_card_example():
    # 1,000 cards a day at 0.05 each, 50 people add the account -> 0.05 x 1000 / 50 = 1.00 per add
    assert cost_per_add(0.05, 1000, 50) == pytest.approx(1.00)
    assert math.isnan(cost_per_add(0.05, 1000, 0))


@pytest.fixture
def shop():
    # card: 3 new customers in Jan (x, y, z), x repeats in Feb; sms: spend but nobody; poster: w, no spend
    o = orders_frame([
        ("1", "x", "2024-01-03", 100, "card", None), ("2", "x", "2024-02-10", 100, "card", None),
        ("3", "y", "2024-01-05", 50, "card", None), ("4", "z", "2024-01-20", 30, "card", None),
        ("5", "w", "2024-01-07", 70, "poster", None),
    ])
    spend = pd.DataFrame({"channel": ["card", "sms"], "month": pd.to_datetime(["2024-01-01", "2024-01-01"]),
                          "spend": [300.0, 100.0], "touches": [6000.0, 5000.0], "adds": [30.0, 0.0]})
    return o, spend


def test_cac_table_hand_worked(shop):
    o, spend = shop
    t = cac_by_channel(o, EMPTY_REFUNDS, customers_table(o), spend, pd.Timestamp("2024-01-01"),
                       pd.Timestamp("2024-02-29"), margin=0.5, ltv_months=1).set_index("channel")
    card = t.loc["card"]
    assert card["new_customers"] == 3 and card["repeat_customers"] == 1
    assert card["cac"] == pytest.approx(100)            # 300 / 3
    assert card["cost_per_touch"] == pytest.approx(0.05)  # 300 / 6000
    assert card["cost_per_add"] == pytest.approx(10)      # 300 / 30
    assert card["add_to_buyer"] == pytest.approx(0.1)     # 3 / 30
    assert card["revenue"] == 280 and card["roas"] == pytest.approx(280 / 300)
    # 1-month LTV: x 100, y 50 (z is younger than a month on Feb 29? Jan 20 -> 40 days: mature) -> (100+50+30)/3 = 60
    assert card["ltv"] == pytest.approx(60)
    assert card["ltv_cac"] == pytest.approx(60 * 0.5 / 100)
    assert card["status"] == "ok"
    assert t.loc["sms", "status"] == "spend but no new customers" and math.isnan(t.loc["sms", "cac"])
    assert t.loc["poster", "status"] == "no spend (organic)" and math.isnan(t.loc["poster", "cac"])


@pytest.mark.parametrize("cac, expected", [(40, 2), (25, 1), (100, math.nan), (0, 0), (math.nan, math.nan)],
                         ids=["month 2", "month 1", "never", "free", "unknown"])
def test_payback_months(cac, expected):
    curve = pd.DataFrame({"month": [1, 2, 3], "ltv": [50.0, 80.0, 120.0]})
    got = payback_months(curve, cac, margin=0.5)  # gross LTV 25, 40, 60
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def test_funnel_and_monthly(shop):
    o, spend = shop
    cust = customers_table(o)
    t = cac_by_channel(o, EMPTY_REFUNDS, cust, spend, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-29"))
    f = channel_funnel(t)
    card = f.loc[f["channel"] == "card"].set_index("stage")["count"].to_dict()
    assert card == {"touches": 6000, "adds": 30, "buyers": 3, "repeat buyers": 1}
    m = cac_by_month(cust, spend, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-29"))
    assert m.loc[(m["channel"] == "card") & (m["month"] == "2024-01-01"), "cac"].item() == 100


def test_sample_story_douyin_cheap_phone_loyal(sample_ds):
    from lib.model.view import apply_filters

    v = apply_filters(sample_ds)
    t = cac_by_channel(v.all_orders, v.refunds, v.customers, v.spend, v.start, v.as_of).set_index("channel")
    paid = t.drop(index="Referral")
    assert paid["cac"].idxmin() == "Douyin short video"
    assert paid["cac"].idxmax() == "Phone call"
    rep = paid["repeat_customers"] / paid["new_customers"]
    assert rep.idxmin() == "Douyin short video" and rep["Douyin short video"] < 0.1
    assert rep.idxmax() == "Phone call"


def test_a_window_that_cuts_a_month_takes_that_share_of_its_spend():
    """June's spend 300 and 30 adds; a window of 1-15 June takes 15/30 of them: 150 and 15. One new
    customer in it: CAC 150, not 300; July's spend is outside."""
    from lib.model.metrics import overview
    from lib.model.view import window_spend
    from lib.schema import REFUND_COLUMNS, Dataset, QualityReport

    spend = pd.DataFrame({"channel": ["card", "card"], "month": pd.to_datetime(["2024-06-01", "2024-07-01"]),
                          "spend": [300.0, 310.0], "touches": [600.0, 620.0], "adds": [30.0, 31.0]})
    got = window_spend(spend, pd.Timestamp("2024-06-01"), pd.Timestamp("2024-06-15"))
    assert got["spend"].tolist() == [150.0, 0.0] and got["adds"].tolist() == [15.0, 0.0]
    assert window_spend(spend, pd.Timestamp("2024-06-16"), None)["spend"].tolist() == [150.0, 310.0]
    assert window_spend(spend, None, None) is spend and spend["spend"].tolist() == [300.0, 310.0]
    o = orders_frame([("1", "a", "2024-05-20", 50, "card", None), ("2", "b", "2024-06-10", 80, "card", None),
                      ("3", "c", "2024-07-02", 60, "card", None)])
    ds = Dataset(o, pd.DataFrame(columns=list(REFUND_COLUMNS)), spend, QualityReport())
    v = apply_filters(ds, Filters(date_from=pd.Timestamp("2024-06-01"), date_to=pd.Timestamp("2024-06-15")))
    k = overview(v)
    assert k.new_customers == 1 and k.spend == pytest.approx(150.0) and k.cac == pytest.approx(150.0)
    t = cac_by_channel(v.all_orders, v.refunds, v.customers, v.spend, v.start, v.as_of).set_index("channel")
    assert t.loc["card", "spend"] == pytest.approx(150.0) and t.loc["card", "cac"] == pytest.approx(150.0)
    assert t.loc["card", "cost_per_add"] == pytest.approx(10.0)  # the month's rate: 300 / 30


def test_ltv_cac_pairs_the_ltv_and_cac_of_the_same_acquisition_months():
    """Spend in Jan 2024 (200), Feb 2024 (100) and Dec 2024 (300); data to 28 Feb 2025. January's customers (a, b)
    and February's (c, 12.8 months old) are all 12 months old by then, December's (d) is not: LTV = (a 100 + 50 in
    her first 12 months; her Feb 2025 order is later) + b 80 + c 60) / 3 = 96.67; CAC = 300 / 3 = 100; margin 0.5
    -> 0.483. Dividing by the CAC of everyone acquired (600 / 4 = 150) gave 0.32."""
    from lib.model.metrics import overview, paired_ltv_cac
    from lib.schema import REFUND_COLUMNS, Dataset, QualityReport

    o = orders_frame([("1", "a", "2024-01-10", 100, "card", None), ("2", "a", "2024-06-01", 50, "card", None),
                      ("3", "a", "2025-02-28", 30, "card", None), ("4", "b", "2024-01-20", 80, "card", None),
                      ("5", "c", "2024-02-05", 60, "card", None), ("6", "d", "2024-12-05", 500, "card", None)])
    spend = pd.DataFrame({"channel": ["card"] * 3, "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-12-01"]),
                          "spend": [200.0, 100.0, 300.0], "touches": [float("nan")] * 3, "adds": [float("nan")] * 3})
    ds = Dataset(o, pd.DataFrame(columns=list(REFUND_COLUMNS)), spend, QualityReport())
    v = apply_filters(ds)
    p = paired_ltv_cac(v, margin=0.5)
    assert p.months == ("2024-01", "2024-02") and p.customers == 3
    assert (p.ltv, p.spend, p.cac) == (pytest.approx(290 / 3), pytest.approx(300.0), pytest.approx(100.0))
    assert p.ratio == pytest.approx(290 / 3 * 0.5 / 100)
    k = overview(v, margin=0.5)
    assert k.ltv_cac == pytest.approx(p.ratio) and k.ltv_cac_months == ("2024-01", "2024-02") and k.margin == 0.5
    # the CAC table pairs each channel the same way
    t = cac_by_channel(v.all_orders, v.all_refunds, v.customers, v.spend, v.start, v.as_of, margin=0.5).set_index("channel")
    assert t.loc["card", "ltv_cac"] == pytest.approx(p.ratio)
    # a window of the last three months: none of its months is 12 months old, so there is no pair
    young = overview(apply_filters(ds, Filters(date_from=pd.Timestamp("2024-12-01"), date_to=pd.Timestamp("2025-02-28"))))
    assert math.isnan(young.ltv_cac) and young.ltv_cac_months == ()


def test_ltv_cac_of_a_window_without_new_customers_is_unknown_not_an_error():
    """The Shopify export from 20 March to 11 April holds one order, of a returning customer: no one to pair."""
    from lib.model.metrics import overview
    from lib.schema import REFUND_COLUMNS, Dataset, QualityReport

    o = orders_frame([("1", "a", "2024-01-10", 100, "card", None), ("2", "a", "2024-03-25", 50, "card", None)])
    spend = pd.DataFrame({"channel": ["card"], "month": pd.to_datetime(["2024-03-01"]), "spend": [90.0],
                          "touches": [float("nan")], "adds": [float("nan")]})
    ds = Dataset(o, pd.DataFrame(columns=list(REFUND_COLUMNS)), spend, QualityReport())
    v = apply_filters(ds, Filters(date_from=pd.Timestamp("2024-03-20"), date_to=pd.Timestamp("2024-04-11")))
    assert math.isnan(overview(v).ltv_cac)
    t = cac_by_channel(v.all_orders, v.all_refunds, v.customers, v.spend, v.start, v.as_of)
    assert math.isnan(t.set_index("channel").loc["card", "ltv_cac"])
