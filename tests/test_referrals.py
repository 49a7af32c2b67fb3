"""Referral forest: hand-worked on the edge fixture; invariants by hypothesis; a deep chain."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.model.referrals import (
    descendants,
    generation_sizes,
    referral_forest,
    referral_lag_days,
    referral_rates,
    referral_revenue_share,
    top_referrers,
)
from lib.model.view import apply_filters


@pytest.fixture
def forest(edge_ds):
    return referral_forest(apply_filters(edge_ds).customers)


def test_forest_edge_fixture(forest):
    n = forest.nodes.set_index("customer_id")
    assert n["generation"].to_dict() == {"A": 0, "B": 0, "C": 1, "D": 2, "E": 0, "F": 0, "G": 1, "H": 0}
    assert n.loc["D", "root_id"] == "A" and n.loc["G", "root_id"] == "F"
    assert n.loc["A", ["direct_referrals", "total_descendants"]].tolist() == [1, 2]
    assert n.loc["A", "descendants_revenue"] == 100  # C 60 + D 40
    assert pd.isna(n.loc["F", "referrer_id"])          # cycle broken at F (earliest first order)
    issues = forest.issues.groupby("issue")["customer_id"].apply(sorted).to_dict()
    assert issues == {"referral cycle": ["F", "G"], "referrer never bought": ["H"], "self-referral": ["E"]}


def test_generation_sizes_and_rates(forest):
    g = generation_sizes(forest)
    assert g["customers"].tolist() == [5, 2, 1]
    assert g["k"].tolist()[:2] == [pytest.approx(0.4), pytest.approx(0.5)]
    rates = referral_rates(forest)
    # A brought C, C brought D, F brought G: 3 new customers by 3 referrers, among 8 customers
    assert (rates.customers, rates.referrers, rates.brought) == (8, 3, 3)
    assert rates.k_factor == pytest.approx(3 / 8) and rates.sharing_rate == pytest.approx(3 / 8)
    assert referral_revenue_share(forest) == pytest.approx(190 / 745)
    # a group: A and B -> A brought one
    ab = forest.nodes["customer_id"].isin(["A", "B"]).to_numpy()
    assert referral_rates(forest, ab).k_factor == pytest.approx(1 / 2)
    assert referral_revenue_share(forest, ab) == 0.0


def test_a_channel_filter_keeps_referrals_that_cross_channels(edge_ds):
    # A (Parcel card) brought C, whose channel is "(none)": filtering to Parcel card must still count it
    from lib.model.metrics import overview, window_referrals
    from lib.model.view import Filters

    v = apply_filters(edge_ds, Filters(channels=("Parcel card",)))
    rates = window_referrals(v)
    assert (rates.customers, rates.referrers, rates.brought) == (1, 1, 1)
    k = overview(v)
    assert k.k_factor == 1.0 and k.sharing_rate == 1.0
    # plain pandas: the window's customers and the valid referrals they made
    o = edge_ds.orders
    first = o.sort_values("order_date").groupby("customer_id")["channel"].first()
    mine = set(first.index[first == "Parcel card"])
    links = o.dropna(subset=["referrer_id"]).drop_duplicates("customer_id")
    links = links.loc[(links["referrer_id"] != links["customer_id"]) & links["referrer_id"].isin(set(o["customer_id"]))]
    links = links.loc[~links["customer_id"].isin(["F"])]  # the cycle F <-> G is broken at F
    assert links["referrer_id"].isin(mine).sum() / len(mine) == k.k_factor


def test_top_referrers_and_descendants(forest):
    top = top_referrers(forest)
    assert top["customer_id"].tolist() == ["A", "F", "C"]  # 2 descendants; then 1 each, F's 90 > C's 40
    sub = descendants(forest, "A")
    assert sub["customer_id"].tolist() == ["A", "C", "D"] and sub["generation"].tolist() == [0, 1, 2]
    lag = referral_lag_days(forest)
    # C: Feb 15 - A's Jan 5 = 41 days; D: Feb 20 - Feb 15 = 5; G: Mar 6 - Mar 5 = 1
    assert sorted(lag.tolist()) == [1, 5, 41]


def _customers(parents: list[int]) -> pd.DataFrame:
    ids = [f"c{i}" for i in range(len(parents))]
    return pd.DataFrame({
        "customer_id": pd.array(ids, dtype="string"),
        "referrer_id": pd.array([None if p < 0 else f"c{p}" for p in parents], dtype="string"),
        "first_order_date": pd.date_range("2024-01-01", periods=len(parents), freq="D"),
        "revenue": np.ones(len(parents)),
    })


def test_deep_chain_without_recursion():
    n = 5000  # one chain 5,000 deep
    f = referral_forest(_customers([-1] + list(range(n - 1))))
    assert f.nodes["generation"].max() == n - 1
    assert f.nodes.loc[0, "total_descendants"] == n - 1


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-1, 29), min_size=1, max_size=30))
def test_forest_is_acyclic_and_sizes_add_up(raw_parents):
    parents = [p if p < len(raw_parents) else -1 for p in raw_parents]
    f = referral_forest(_customers(parents))
    nodes = f.nodes.set_index("customer_id")
    # walking up from any node reaches a root in at most n steps
    for cid in nodes.index:
        seen, cur = 0, cid
        while pd.notna(nodes.loc[cur, "referrer_id"]):
            cur = nodes.loc[cur, "referrer_id"]
            seen += 1
            assert seen <= len(nodes)
        assert nodes.loc[cid, "generation"] == seen
    assert generation_sizes(f)["customers"].sum() == len(parents)
    roots = nodes.loc[nodes["generation"] == 0]
    assert (roots["total_descendants"] + 1).sum() == len(parents)


def _dataset(rows: list[tuple]):
    from conftest import orders_frame

    from lib.schema import REFUND_COLUMNS, Dataset, QualityReport

    return Dataset(orders_frame(rows), pd.DataFrame(columns=list(REFUND_COLUMNS)), None, QualityReport())


def test_k_factor_counts_the_referrals_made_in_the_window():
    """A (January) brought B in January and C in March. In March the window's customers are A and C;
    they brought C in it: K = 1/2 (crediting A with everyone A ever brought gave 2/2)."""
    from lib.model.metrics import overview, value_decomposition, window_referrals
    from lib.model.view import Filters

    ds = _dataset([
        ("1", "A", "2024-01-05", 100, "x", None), ("2", "A", "2024-03-10", 50, "x", None),
        ("3", "B", "2024-01-20", 80, "x", "A"),
        ("4", "C", "2024-03-15", 60, "x", "A"),
    ])
    v = apply_filters(ds, Filters(date_from=pd.Timestamp("2024-03-01"), date_to=pd.Timestamp("2024-03-31")))
    rates = window_referrals(v)
    assert (rates.customers, rates.referrers, rates.brought) == (2, 1, 1)
    k = overview(v)
    assert k.k_factor == pytest.approx(0.5) and k.sharing_rate == pytest.approx(0.5)
    assert value_decomposition(v).referred_per_customer == pytest.approx(0.5)
    whole = overview(apply_filters(ds))  # the whole history: A brought B and C, 3 customers
    assert whole.k_factor == pytest.approx(2 / 3) and whole.sharing_rate == pytest.approx(1 / 3)


def test_without_referrer_links_k_factor_and_sharing_rate_are_unknown_not_zero():
    from lib.model.metrics import overview

    ds = _dataset([("1", "A", "2024-01-05", 100, "x", None), ("2", "B", "2024-01-06", 80, "x", None)])
    k = overview(apply_filters(ds))
    assert np.isnan(k.k_factor) and np.isnan(k.sharing_rate)
    # a file whose only referral is a self-referral does say something: nobody brought anyone
    k = overview(apply_filters(_dataset([("1", "A", "2024-01-05", 100, "x", "A"), ("2", "B", "2024-01-06", 80, "x", None)])))
    assert k.k_factor == 0 and k.sharing_rate == 0
