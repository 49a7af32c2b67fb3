"""Referral charts stay drawable at any depth and any number of trees (issue #25): a bounded number of bars and
boxes, and the customers and revenue left out summed so the totals still add up."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_referrals import _customers, _two_person_cycles

from lib.model.drill import referral_generation
from lib.model.referrals import (
    GENERATIONS_SHOWN,
    TREEMAP_NODES,
    descendants,
    forest_shown,
    generation_groups,
    generation_sizes,
    referral_forest,
)
from lib.present import charts
from lib.present.charts import OTHER_TREES_ID


@pytest.fixture(scope="module")
def chain():
    return referral_forest(_customers([-1] + list(range(100_000 - 1))))  # one chain 100,000 deep, 1 a customer


@pytest.fixture(scope="module")
def pairs():
    return referral_forest(_two_person_cycles(50_000))  # 50,000 trees of two


def _parents_hold_their_children(tm) -> None:
    value = dict(zip(tm.ids, tm.values))
    below: dict[str, float] = {}
    for i, p in zip(tm.ids, tm.parents):
        if p:
            below[p] = below.get(p, 0.0) + value[i]
    assert all(value[p] >= v - 1e-9 for p, v in below.items())  # branchvalues "total": a box holds its children


def test_generations_of_a_deep_chain_are_twenty_two_bars(chain):
    fig = charts.generations_chart(generation_sizes(chain))
    bar = fig.data[0]
    assert list(bar.x) == [str(g) for g in range(GENERATIONS_SHOWN + 1)] + ["21+"]
    assert list(bar.y) == [1] * (GENERATIONS_SHOWN + 1) + [100_000 - GENERATIONS_SHOWN - 1]
    assert sum(bar.y) == 100_000
    assert fig.layout.xaxis.type == "category"


def test_the_treemap_of_a_deep_chain_draws_its_first_generations(chain):
    tm = charts.referral_treemap(chain.nodes).data[0]
    assert len(tm.ids) == TREEMAP_NODES
    assert dict(zip(tm.ids, tm.values))["c0"] == 100_000  # the root's box: every customer's revenue
    assert set(tm.ids) == {f"c{i}" for i in range(TREEMAP_NODES)}
    _parents_hold_their_children(tm)
    shown = forest_shown(chain.nodes)
    assert (shown.customers, shown.customers_total, shown.other_trees) == (TREEMAP_NODES, 100_000, 0)
    tree = charts.referral_tree(descendants(chain, "c0", max_nodes=300))
    assert len(tree.data[1].x) == 300


def test_the_treemap_of_fifty_thousand_trees_sums_the_others_in_one_box(pairs):
    tm = charts.referral_treemap(pairs.nodes, top_roots=25, labels={"other_trees": "Others"}).data[0]
    assert len(tm.ids) == 2 * 25 + 1
    roots = [v for v, p in zip(tm.values, tm.parents) if not p]
    assert len(roots) == 26 and sum(roots) == pytest.approx(100_000)  # every customer's revenue, 1 each
    other = list(tm.ids).index(OTHER_TREES_ID)
    assert tm.values[other] == pytest.approx(2 * (50_000 - 25)) and tm.labels[other] == "Others: 49,975"
    _parents_hold_their_children(tm)
    shown = forest_shown(pairs.nodes, 25)
    assert (shown.trees, shown.trees_total, shown.other_trees, shown.other_customers) == (25, 50_000, 49_975, 99_950)
    gens = charts.generations_chart(generation_sizes(pairs)).data[0]
    assert list(gens.x) == ["0", "1"] and list(gens.y) == [50_000, 50_000]


def test_generation_groups_sum_the_later_generations_and_the_drill_counts_them():
    f = referral_forest(_customers([-1, 0, 1, 2, 3, 0, -1]))  # generations 0 1 2 3 4 1 0
    g = generation_groups(generation_sizes(f), first=2)
    assert g["generation"].tolist() == ["0", "1", "2", "3+"]
    assert g["customers"].tolist() == [2, 2, 1, 2] and g["summed"].tolist() == [False, False, False, True]
    assert g["k"].tolist()[:3] == [1.0, 0.5, 1.0] and np.isnan(g["k"].iloc[3])
    for row in g.itertuples():
        assert len(referral_generation(f, row.since, row.summed)) == row.customers
    whole = generation_groups(generation_sizes(f))  # fewer generations than shown: nothing summed
    assert whole["generation"].tolist() == ["0", "1", "2", "3", "4"] and not whole["summed"].any()
    pd.testing.assert_series_equal(whole["customers"], generation_sizes(f)["customers"], check_names=False)


@pytest.mark.slow
@pytest.mark.apptest
@pytest.mark.child
def test_the_referrals_page_of_fifty_thousand_cycles_draws_bounded_charts_and_tables():
    """100,000 customers in 50,000 two-person cycles through the uploader: the Referrals page draws (its treemap 51
    boxes, 2 bars) and its tables of 50,000 customers and 100,000 problems show (a Styler refuses over 262,144 cells)."""
    import io
    import json

    from streamlit.testing.v1 import AppTest

    n = 100_000
    rows = np.arange(n)
    orders = pd.DataFrame({"order": rows, "customer": [f"u{i}" for i in rows],
                           "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rows // 60, unit="h"), "amount": 10.0,
                           "referrer": [f"u{i + 1 if i % 2 == 0 else i - 1}" for i in rows]})
    buf = io.StringIO()
    orders.to_csv(buf, index=False)
    at = AppTest.from_file("../app.py", default_timeout=600).run()
    at.file_uploader[0].set_value(("cycles.csv", buf.getvalue().encode(), "text/csv")).run()
    assert not at.exception
    at.switch_page("views/referrals.py").run()
    assert not at.exception
    sizes = [[len(tr.get("ids") or tr.get("x") or []) for tr in json.loads(c.proto.spec)["data"]] for c in at.get("plotly_chart")]
    assert sizes[:2] == [[51], [2]]
    assert any("49,975 trees (99,950 customers)" in c.value for c in at.caption)
