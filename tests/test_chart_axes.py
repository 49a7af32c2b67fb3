"""How a chart's numbers read (lib.present.axes): the currency on money axes and hovers, thousands separated,
P(active) and rates as %, whole customers, labels kept inside the plot, and 万 on a 中文 money axis."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from lib.i18n import ZH
from lib.present import charts
from lib.present.axes import axis_extent
from lib.present.localise import localise

MONTHS = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])


def _money(ax, currency="¥"):
    return ax.tickprefix == currency and ax.separatethousands is True and ax.tickformat == ",~f"


def _count(ax):
    return ax.tickformat == ",d" and ax.separatethousands is True


def _split(scale=1.0):
    return pd.DataFrame({"month": MONTHS, "new": [100.0 * scale, 250 * scale, 80 * scale],
                         "returning": [50.0 * scale, 300 * scale, 120 * scale]})


def test_money_axes_carry_the_currency_on_ticks_and_in_the_hover():
    split = charts.revenue_split_chart(_split(), currency="¥")
    assert _money(split.layout.yaxis)
    assert all("¥%{y:,.0f}" in tr.hovertemplate for tr in split.data)
    curves = charts.ltv_curves_chart(pd.DataFrame({"group": ["a", "a"], "month": [0, 1], "ltv": [10.0, 15.5]}), currency="$")
    assert _money(curves.layout.yaxis, "$") and "$%{y:,.2f}" in curves.data[0].hovertemplate
    bars = charts.cac_ltv_bars(pd.DataFrame({"channel": ["x"], "ltv": [100.0], "cac": [20.0]}), 0.5, currency="¥")
    assert _money(bars.layout.yaxis)
    plan = charts.planner_chart(pd.DataFrame({"month": [1, 2], "projected": [1.0, 2.0], "baseline": [1.0, 1.0],
                                              "target": [2.0, 2.0]}), currency="¥")
    assert _money(plan.layout.yaxis)
    clv = charts.clv_histogram(pd.DataFrame({"clv": [1.0, 5.0, 9.0]}), currency="¥")
    assert _money(clv.layout.xaxis) and _count(clv.layout.yaxis)
    months = charts.order_months_chart(pd.DataFrame({"month": MONTHS, "revenue": [10.0, 20, 30], "refunds": [1.0, 0, 2],
                                                      "orders": [3, 4, 5]}), currency="¥")
    assert _money(months.layout.yaxis) and _count(months.layout.yaxis2)
    heat = charts.cohort_heatmap(pd.DataFrame({"cohort": MONTHS[:2], "period": [0, 0], "revenue": [10.0, 20.0]}),
                                 "revenue", currency="¥")
    assert heat.data[0].colorbar.tickprefix == "¥" and "¥%{z" in heat.data[0].hovertemplate


def test_shares_are_percent_and_customers_whole():
    pa = charts.palive_histogram(pd.DataFrame({"p_alive": [0.1, 0.5, 0.9]}))
    assert pa.layout.xaxis.tickformat == ".0%" and _count(pa.layout.yaxis)
    fission = charts.fission_chart(pd.DataFrame({"period": [0, 1], "generation": [0, 1], "customers": [2, 3]}))
    assert _count(fission.layout.yaxis) and fission.layout.yaxis.dtick == 1  # 0-5 customers: 1, 2, 3, not 0.5
    gaps = charts.gap_histogram(pd.DataFrame({"days": [3.0, 10.0, 30.0]}))
    assert _count(gaps.layout.yaxis)
    big = charts.fission_chart(pd.DataFrame({"period": [0, 1], "generation": [0, 1], "customers": [200, 3000]}))
    assert _count(big.layout.yaxis) and big.layout.yaxis.dtick is None


def _inside(fig: go.Figure, axis: str) -> bool:
    """Every value on ``axis`` sits at most 85 % of the way along its range: a label past it fits."""
    ax = fig.layout[f"{axis}axis"]
    lo, hi = ax.range
    if ax.type == "log":
        import math
        top = math.log10(axis_extent(fig, axis, positive=True)[1])
    else:
        top = axis_extent(fig, axis)[1]
    return (top - lo) / (hi - lo) <= 0.86


def test_labels_outside_bars_stay_inside_the_plot():
    d = pd.DataFrame([{"direct_value": 537.0, "referral_value": 228.0, "total": 765.0}])
    wf = charts.decomposition_chart(d, currency="¥")
    assert wf.data[0].cliponaxis is False and _inside(wf, "y")
    assert wf.layout.yaxis.range[1] > 765  # the total's label, above the tallest bar
    assert wf.data[0].texttemplate.startswith("¥")
    gens = charts.generations_chart(pd.DataFrame({"generation": [0, 1, 2], "customers": [500, 20, 2],
                                                   "k": [0.04, 0.1, float("nan")]}))
    assert gens.data[0].cliponaxis is False and gens.layout.yaxis.type == "log" and _inside(gens, "y")
    funnel = charts.acquisition_funnel_chart(pd.DataFrame({"channel": ["a"] * 4, "stage": ["touches", "adds", "buyers",
                                                                                          "repeat buyers"],
                                                           "count": [100_000, 500, 50, 5]}))
    assert funnel.data[0].cliponaxis is False and _inside(funnel, "x") and _count(funnel.layout.xaxis)
    rates = charts.product_repeat_chart(pd.DataFrame({"product": ["p", "q"], "repeat_rate": [0.5, 0.9],
                                                      "customers": [3, 4]}), 0.6)
    assert rates.data[0].cliponaxis is False and _inside(rates, "x") and rates.layout.xaxis.tickformat == ".0%"
    ladder = charts.ladder_chart(pd.DataFrame({"rung": ["potential", "bought once"], "customers": [3, 1000],
                                               "revenue_share": [0.0, 1.0]}))
    assert all(tr.cliponaxis is False for tr in ladder.data) and _inside(ladder, "x")
    tree = charts.referral_tree(pd.DataFrame({"customer_id": ["A", "B"], "referrer_id": [None, "A"], "generation": [0, 1],
                                              "revenue": [5.0, 3.0]}))
    assert tree.data[1].cliponaxis is False and tree.layout.yaxis.range[1] > max(tree.data[1].y)


def test_funnel_steps_say_their_customers_inside_the_bars():
    fig = charts.funnel_chart(pd.DataFrame({"step": ["1st", "2nd"], "customers": [1200, 4]}))
    assert fig.data[0].textposition == "auto" and fig.data[0].cliponaxis is False and fig.data[0].texttemplate == "%{x:,}"


def test_an_annotation_stays_inside_the_plot():
    fig = charts.gap_histogram(pd.DataFrame({"days": [3.0, 10.0, 30.0]}), pd.DataFrame({"median_days": [10.0]}))
    [ann] = fig.layout.annotations
    assert ann.yref in ("paper", "y domain") and ann.y <= 1 and ann.yanchor == "top"


def test_a_chinese_money_axis_ticks_in_wan():
    fig = localise(charts.revenue_split_chart(_split(1000), currency="¥"), ZH)
    ax = fig.layout.yaxis
    assert ax.tickmode == "array" and list(ax.tickvals) == [0, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000]
    assert list(ax.ticktext) == ["¥0", "¥10万", "¥20万", "¥30万", "¥40万", "¥50万", "¥60万"]
    assert not ax.tickprefix  # the currency is in the text
    small = localise(charts.revenue_split_chart(_split(), currency="¥"), ZH)
    assert small.layout.yaxis.tickmode is None and small.layout.yaxis.tickprefix == "¥"  # below 100,000: 12,000 as on tiles
    english = charts.revenue_split_chart(_split(1000), currency="¥")
    assert english.layout.yaxis.tickmode is None


@pytest.mark.parametrize("step, value, text", [(25_000, 125_000, "12.5万"), (200_000, 1_000_000, "100万"),
                                               (2_500, 102_500, "10.25万")], ids=["half", "whole", "quarter"])
def test_wan_ticks_have_the_decimals_their_step_needs(step, value, text):
    counts = pd.DataFrame({"period": [0, 1], "generation": [0, 0], "customers": [0, value]})
    fig = charts.fission_chart(counts)
    fig.update_yaxes(range=[0, value])
    fig.layout.yaxis.range = [value - 6 * step, value]
    fig = localise(fig, ZH)
    assert text in list(fig.layout.yaxis.ticktext)


def test_a_chinese_log_axis_ticks_in_wan_from_ten_thousand():
    funnel = charts.acquisition_funnel_chart(pd.DataFrame({"channel": ["a"] * 2, "stage": ["touches", "adds"],
                                                           "count": [2_000_000, 50]}))
    ax = localise(funnel, ZH).layout.xaxis
    assert list(ax.ticktext) == ["10", "100", "1,000", "1万", "10万", "100万", "1,000万"]


def test_the_orders_axis_beside_money_ticks_on_its_own():
    fig = charts.order_months_chart(pd.DataFrame({"month": MONTHS, "revenue": [1e5, 2e5, 3e5], "refunds": [0.0, 1e3, 2e3],
                                                  "orders": [102, 500, 913]}), currency="¥")
    assert fig.layout.yaxis2.tickmode == "auto"  # not synced to the money axis's places (102, 372, 643 …)


def test_a_chinese_heatmaps_colour_bar_ticks_in_wan():
    heat = charts.cohort_heatmap(pd.DataFrame({"cohort": MONTHS[:2], "period": [0, 0], "revenue": [10_000.0, 420_000.0]}),
                                 "revenue", currency="¥")
    bar = localise(heat, ZH).data[0].colorbar
    assert bar.tickmode == "array" and "¥40万" in bar.ticktext and not bar.tickprefix
    assert heat.data[0].colorbar.tickmode is None  # English: as Plotly writes it, with the currency


def test_a_chinese_hover_says_its_own_words_in_chinese(edge_ds):
    from lib.model.referrals import referral_forest
    from lib.model.view import apply_filters

    tree = localise(charts.referral_treemap(referral_forest(apply_filters(edge_ds).customers).nodes), ZH)
    assert tree.data[0].hovertemplate == "%{label}<br>%{value:,.0f} (自身 %{customdata[1]:,.0f})<br>下线 %{customdata[0]}<extra></extra>"
    curves = localise(charts.ltv_curves_chart(pd.DataFrame({"group": ["a"], "month": [0], "ltv": [1.0]}), currency="¥"), ZH)
    assert curves.data[0].hovertemplate.startswith("分组=a<br>首单后月数=%{x}<br>")  # px's words, the user's group
