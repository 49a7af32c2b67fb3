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


class _OverBudget(Exception):
    pass


def _lines_run(fn, *args, budget: int):
    """``fn(*args)`` and the number of lines it ran in lib/model/referrals.py; past ``budget`` it stops (the work
    counted, not timed: a walk per cycle, per generation or per customer runs a line per step)."""
    import sys

    from lib.model import referrals

    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
            if count > budget:
                raise _OverBudget(f"over {budget} lines")
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename == referrals.__file__ else None

    before = sys.gettrace()
    sys.settrace(calls)
    try:
        out = fn(*args)
    finally:
        sys.settrace(before)
    return out, count


def _two_person_cycles(pairs: int) -> pd.DataFrame:
    """c0 <-> c1, c2 <-> c3, ...: each referred by the other; in each pair the second bought first."""
    parents = [i + 1 if i % 2 == 0 else i - 1 for i in range(2 * pairs)]
    c = _customers(parents)
    c["first_order_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(2 * pairs) ^ 1, unit="min")
    return c


def test_fifty_thousand_two_person_cycles_are_broken_in_a_bounded_number_of_steps():
    """Issue #25: cycles were broken one at a time (76 s for 5,000 cycles). Every cycle is now found in the
    same few array passes: the lines run do not grow with the number of cycles."""
    pairs = 50_000
    f, lines = _lines_run(referral_forest, _two_person_cycles(pairs), budget=1_500)
    n = f.nodes
    odd = np.arange(2 * pairs) % 2 == 1
    # the second of each pair bought first: its link is dropped, it becomes the root of a tree of two
    assert n.loc[odd, "referrer_id"].isna().all() and (n.loc[odd, "generation"] == 0).all()
    assert (n.loc[~odd, "referrer_id"].astype(str).to_numpy() == n.loc[odd, "customer_id"].astype(str).to_numpy()).all()
    assert (n.loc[~odd, "generation"] == 1).all() and (n.loc[odd, "total_descendants"] == 1).all()
    cycle = f.issues.loc[f.issues["issue"] == "referral cycle"]
    assert len(cycle) == 2 * pairs and cycle["customer_id"].nunique() == 2 * pairs
    assert cycle["customer_id"].tolist()[:4] == ["c0", "c1", "c2", "c3"]  # cycle by cycle, as before
    assert lines < 1_500


def test_a_chain_a_hundred_thousand_deep_takes_a_bounded_number_of_steps():
    """Issue #25: a chain 100,000 deep was summed one generation at a time (15 s)."""
    depth = 100_000
    f, lines = _lines_run(referral_forest, _customers([-1] + list(range(depth - 1))), budget=1_500)
    n = f.nodes
    assert n["generation"].tolist() == list(range(depth))
    assert n.loc[0, "total_descendants"] == depth - 1 and n.loc[0, "descendants_revenue"] == depth - 1
    assert n.loc[depth - 2, "total_descendants"] == 1 and n.loc[depth - 1, "total_descendants"] == 0
    assert (n["root_id"].astype(str) == "c0").all()


def _cycles_by_walking(parents: list[int]) -> list[list[int]]:
    """Every cycle of two or more customers of a parent list (-1: none), by walking from each node: the test's own
    answer (a customer who names themself is a self-referral, not a cycle)."""
    cycles, seen = [], set()
    for start in range(len(parents)):
        path, at = [], start
        while at >= 0 and at not in path and at not in seen:
            path.append(at)
            at = parents[at]
        if at >= 0 and at in path and parents[at] != at:
            cycles.append(path[path.index(at):])
        seen.update(path)
    return cycles


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-1, 24), min_size=1, max_size=25), st.lists(st.integers(0, 3), min_size=25, max_size=25),
       st.permutations(range(25)))
def test_each_cycle_loses_the_link_of_its_earliest_buyer(raw_parents, days, names):
    """The rule of the module's docstring: the cycle member with the earliest first order (ties: the smallest id)
    becomes a root; every member of a cycle is listed once with the referrer it named."""
    n = len(raw_parents)
    parents = [p if p < n else -1 for p in raw_parents]
    c = _customers(parents)
    ids = [f"k{names[i]:02d}" for i in range(n)]
    c["customer_id"] = pd.array(ids, dtype="string")
    c["referrer_id"] = pd.array([None if p < 0 else ids[p] for p in parents], dtype="string")
    c["first_order_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(days[:n], unit="D")
    f = referral_forest(c)
    cycles = _cycles_by_walking(parents)
    listed = f.issues.loc[f.issues["issue"] == "referral cycle"]
    assert sorted(listed["customer_id"].astype(str)) == sorted(ids[i] for cyc in cycles for i in cyc)
    assert dict(zip(listed["customer_id"].astype(str), listed["referrer_id"].astype(str))) == \
        {ids[i]: ids[parents[i]] for cyc in cycles for i in cyc}
    dropped = {i for i in range(n) if parents[i] >= 0 and pd.isna(f.nodes.loc[i, "referrer_id"])} - \
        {i for i in range(n) if parents[i] == i}
    assert dropped == {min(cyc, key=lambda i: (days[i], ids[i])) for cyc in cycles}
