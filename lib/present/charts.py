"""Plotly figures for every view, in Plotly Express style: ``data_frame`` first, a figure out.

Builders take the tables that the calculation modules return, plus optional
``labels`` (column -> display name, for translation) and ``currency``. They
never compute metrics themselves. Fonts list a CJK family first so Chinese
labels render in the browser and in exported PNGs.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from lib.model.referrals import GENERATIONS_SHOWN, TREEMAP_NODES, forest_shown, generation_groups
from lib.present.axes import count_axis, headroom, money_axis, share_axis
from lib.present.text import html_inert, template_inert

FONT = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, Helvetica, Arial, sans-serif"
PALETTE = px.colors.qualitative.Safe
Labels = Mapping[str, str] | None


def _style(fig: go.Figure, title: str | None = None, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "y": 0.98, "yanchor": "top"} if title else None,
        font={"family": FONT, "size": 13}, height=height, margin={"l": 10, "r": 10, "t": 90 if title else 30, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )  # no template here: Streamlit's theme replaces it on screen; exports add one (lib.present.chart_export)
    return _inert(fig)


def _inert_values(values: object) -> object:
    """``values`` with every string made inert (:func:`lib.present.text.html_inert`); None when there is none to change."""
    if isinstance(values, str):
        return html_inert(values)
    if isinstance(values, np.ndarray) and values.dtype != object and values.dtype.kind not in "UST":
        return None  # numbers and dates: nothing to show as text
    if not isinstance(values, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        return None
    items = list(values)
    inert = [_inert_values(v) if isinstance(v, (str, list, tuple, np.ndarray)) else None for v in items]
    if all(v is None for v in inert):
        return None
    return [v if i is None else i for v, i in zip(items, inert)]


_TRACE_TEXT = ("name", "legendgroup", "offsetgroup", "alignmentgroup", "text", "hovertext", "labels", "x", "y", "customdata")
_AXIS_TEXT = ("tickprefix", "ticksuffix", "ticktext", "categoryarray")


def _inert(fig: go.Figure) -> go.Figure:
    """``fig`` with the data's text (channels, products, customers, the currency) shown as text, never as markup.

    Plotly draws a subset of HTML in every text of a figure, a link (``<a href>``) included: a channel named
    ``<a href=…>Refund here</a>`` would be a link in the legend. Every string a figure shows is escaped here
    once (legend names, point and hover text, categories on the axes, labels, annotations, titles, tick
    prefixes) and the hover and text templates keep only their own tags; the builders call it through
    :func:`_style`.
    """
    for trace in fig.data:
        for attr in _TRACE_TEXT:
            value = getattr(trace, attr, None) if attr in trace else None
            inert = None if value is None else _inert_values(value)
            if inert is not None:
                trace[attr] = inert
        for attr in ("hovertemplate", "texttemplate"):
            value = trace[attr] if attr in trace else None
            if isinstance(value, str):
                trace[attr] = template_inert(value)
        for part in ("node", "link"):  # a Sankey's products
            if part in trace and trace[part].label is not None:
                trace[part].label = _inert_values(trace[part].label) or trace[part].label
    lay = fig.layout
    for ann in lay.annotations or ():
        if isinstance(ann.text, str):
            ann.text = html_inert(ann.text)
    axes = [lay[name] for name in lay.to_plotly_json() if name.startswith(("xaxis", "yaxis"))]
    for obj in [lay, lay.legend, *axes]:
        if obj.title and isinstance(obj.title.text, str):
            obj.title.text = html_inert(obj.title.text)
    for ax in axes:
        for attr in _AXIS_TEXT:
            inert = _inert_values(ax[attr]) if ax[attr] is not None else None
            if inert is not None:
                ax[attr] = inert
    return fig


def _lab(labels: Labels, key: str, default: str) -> str:
    return labels.get(key, default) if labels else default


def cohort_heatmap(data_frame: pd.DataFrame, value: str = "active_pct", title: str | None = None,
                   labels: Labels = None, currency: str = "") -> go.Figure:
    """Cohort x period heatmap of a :func:`lib.model.cohorts.cohort_table` column; empty cells stay empty."""
    m = data_frame.pivot(index="cohort", columns="period", values=value)
    freq_w = len(m.index) > 1 and (m.index[1] - m.index[0]).days <= 7
    ylabels = [d.strftime("%Y-%m-%d" if freq_w else "%Y-%m") for d in m.index]
    pct = value == "active_pct"
    money = "" if pct or value == "active" else currency  # revenue, revenue per customer, cumulative LTV
    z = m.to_numpy(dtype=float)
    text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.0%}" if pct else f"{v:,.0f}", otypes=[object])(
        np.nan_to_num(z)))  # otypes: a table of no cohort is an empty chart, not an error
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in m.columns], y=ylabels, colorscale="Teal", hoverongaps=False, text=text,
        texttemplate="%{text}" if z.size <= 600 else None,
        colorbar={"tickformat": ".0%" if pct else ",.0f", "tickprefix": money or None, "separatethousands": True},
        hovertemplate=f"%{{y}} +%{{x}}: {money}%{{z:{'.1%' if pct else ',.2f'}}}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title=_lab(labels, "cohort", "Cohort"), type="category")
    fig.update_xaxes(title=_lab(labels, "period", "Periods since first order"), type="category")
    return _style(fig, title, height=max(380, 22 * len(m) + 120))


def ltv_curves_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None,
                     currency: str = "", cac: Mapping[str, float] | None = None) -> go.Figure:
    """Cumulative LTV lines (group, month, ltv); optional dashed CAC lines per group."""
    fig = px.line(data_frame, x="month", y="ltv", color="group", markers=True, color_discrete_sequence=PALETTE,
                  labels={"month": _lab(labels, "month", "Months since first order"),
                          "ltv": _lab(labels, "ltv", f"LTV per customer ({currency})".replace(" ()", "")),
                          "group": _lab(labels, "group", "Group")})
    money_axis(fig, currency, decimals=2)
    for i, (group, value) in enumerate((cac or {}).items()):
        if value and np.isfinite(value):
            fig.add_hline(y=value, line_dash="dot", line_color=PALETTE[i % len(PALETTE)],
                          annotation_text=f"CAC {group}", annotation_position="top left")
    return _style(fig, title)


def cac_ltv_bars(data_frame: pd.DataFrame, margin: float, title: str | None = None, labels: Labels = None,
                 currency: str = "") -> go.Figure:
    """Grouped bars per channel: CAC against gross-margin LTV (ltv x margin)."""
    d = data_frame.assign(gross_ltv=data_frame["ltv"] * margin)
    fig = go.Figure([
        go.Bar(name=_lab(labels, "cac", "CAC"), x=d["channel"], y=d["cac"], marker_color="#dc2626"),
        go.Bar(name=_lab(labels, "gross_ltv", "Gross-margin LTV"), x=d["channel"], y=d["gross_ltv"], marker_color="#0f766e"),
    ])
    fig.update_layout(barmode="group")
    money_axis(fig, currency)
    return _style(fig, title)


def payback_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """Horizontal bars: payback months per channel (channels that never pay back are marked)."""
    d = data_frame.copy()
    d["shown"] = d["payback_months"].fillna(0)
    d["note"] = np.where(d["payback_months"].isna(), _lab(labels, "not_paid_back", "not yet paid back"),
                         d["payback_months"].map(lambda v: f"{v:.0f}" if pd.notna(v) else ""))
    fig = px.bar(d, x="shown", y="channel", orientation="h", text="note",
                 labels={"shown": _lab(labels, "payback_months", "Payback (months)"), "channel": _lab(labels, "channel", "Channel")},
                 color_discrete_sequence=["#0f766e"])
    # outside the bar: a channel that never pays back has a bar of length 0, and its words must still show
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_xaxes(range=[0, max(float(d["shown"].max() or 0), 1) * 1.35])
    return _style(fig, title)


def funnel_chart(data_frame: pd.DataFrame, x: str = "customers", y: str = "step", color: str | None = None,
                 title: str | None = None, labels: Labels = None) -> go.Figure:
    """A funnel (order-number funnel, or the per-channel acquisition funnel with ``color``)."""
    fig = px.funnel(data_frame, x=x, y=y, color=color, color_discrete_sequence=PALETTE,
                    labels={x: _lab(labels, x, x), y: _lab(labels, y, y)})
    fig.update_traces(textposition="auto", texttemplate="%{x:,}", constraintext="none", cliponaxis=False)  # a thin step's beside it
    return _style(fig, title)


OTHER_TREES_ID = " other trees"  # no customer id starts with a space (ids are stripped)


def referral_treemap(data_frame: pd.DataFrame, top_roots: int = 30, title: str | None = None, max_nodes: int = TREEMAP_NODES,
                     maxdepth: int = 3, labels: Labels = None) -> go.Figure:
    """Treemap of the referral forest (nodes of :func:`lib.model.referrals.referral_forest`).

    Draws :func:`lib.model.referrals.forest_shown`: the ``top_roots`` trees with the most descendants' revenue, at most
    ``max_nodes`` of their customers (the first generations; a box holds the area of its customers not drawn),
    and the other trees summed in one box. Area = own + descendants' revenue; ``maxdepth`` levels at a time
    (click to go deeper).
    """
    shown = forest_shown(data_frame, top_roots, max_nodes)
    keep = shown.nodes
    ids = keep["customer_id"].astype(str).tolist()
    value = (keep["revenue"] + keep["descendants_revenue"]).tolist()
    parents = keep["referrer_id"].astype("string").fillna("")
    parents = parents.where(parents.isin(ids), "").tolist()
    names, descendants, own = list(ids), keep["total_descendants"].tolist(), keep["revenue"].tolist()
    if shown.other_trees:
        ids.append(OTHER_TREES_ID)
        names.append(f"{_lab(labels, 'other_trees', 'Other trees')}: {shown.other_trees:,}")
        parents.append("")
        value.append(shown.other_revenue)
        descendants.append(shown.other_customers)
        own.append(0.0)
    fig = go.Figure(go.Treemap(
        ids=ids, labels=names, parents=parents, values=value, branchvalues="total", maxdepth=maxdepth,
        customdata=np.stack([descendants, own], axis=-1),
        hovertemplate="%{label}<br>%{value:,.0f} (own %{customdata[1]:,.0f})<br>descendants %{customdata[0]}<extra></extra>",
        marker={"colorscale": "Teal"}, root={"color": "#f1f5f9"},
    ))
    return _style(fig, title, height=560)


def referral_tree(data_frame: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Node-link drawing of one referrer's descendants (:func:`lib.model.referrals.descendants`).

    Generations are columns left to right; nodes are spread evenly within a
    generation; marker size grows with revenue.
    """
    d = data_frame.reset_index(drop=True).copy()
    d["y"] = d.groupby("generation").cumcount()
    counts = d.groupby("generation")["y"].transform("max") + 1
    d["y"] = (d["y"] + 0.5) / counts
    pos = d.set_index("customer_id")[["generation", "y"]]
    ex, ey = [], []
    for _, r in d.iloc[1:].iterrows():
        if r["referrer_id"] in pos.index:
            p = pos.loc[r["referrer_id"]]
            ex += [p["generation"], r["generation"], None]
            ey += [p["y"], r["y"], None]
    rev = d["revenue"].fillna(0).clip(lower=0)  # a marker's size is never below 0
    size = 8 + 22 * np.sqrt(rev / rev.max()) if rev.max() > 0 else np.full(len(d), 10)
    fig = go.Figure([
        go.Scatter(x=ex, y=ey, mode="lines", line={"color": "#94a3b8", "width": 1}, hoverinfo="skip", showlegend=False),
        go.Scatter(x=d["generation"], y=d["y"], mode="markers+text" if int(counts.max()) <= 12 else "markers",
                   text=d["customer_id"], textposition="top center", marker={"size": size, "color": "#0f766e"},
                   customdata=np.stack([d["revenue"].fillna(0)], axis=-1),
                   hovertemplate="%{text}<br>%{customdata[0]:,.0f}<extra></extra>", showlegend=False),
    ])
    fig.update_xaxes(title="Generation", dtick=1)
    fig.update_yaxes(visible=False, range=[-0.02, 1.06])  # the top node's id above it stays inside
    fig.data[1].cliponaxis = False
    return _style(fig, title, height=max(400, min(900, 14 * int(counts.max()))))


def generations_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None,
                      first: int = GENERATIONS_SHOWN) -> go.Figure:
    """Bars: customers per referral generation (:func:`lib.model.referrals.generation_sizes`), with the K-factor
    between generations as text; generations after ``first`` summed in one bar ("21+": see
    :func:`lib.model.referrals.generation_groups`), so any depth draws a few bars."""
    d = generation_groups(data_frame, first)
    d["k_text"] = d["k"].map(lambda v: f"K={v:.2f}" if pd.notna(v) else "")
    fig = px.bar(d, x="generation", y="customers", text="k_text", color_discrete_sequence=["#0f766e"],
                 labels={"generation": _lab(labels, "generation", "Generation"), "customers": _lab(labels, "customers", "Customers")})
    fig.update_traces(textposition="outside", textangle=0, cliponaxis=False, textfont={"size": 13})
    fig.update_layout(uniformtext={"minsize": 12, "mode": "show"})  # Plotly shrinks text to a bar's width otherwise
    fig.update_xaxes(type="category")
    if d["customers"].max() > 50 * max(d["customers"].min(), 1):
        fig.update_yaxes(type="log", dtick=1)  # 1, 10, 100, 1,000: no "5, 2" minor labels
    count_axis(fig)
    headroom(fig)  # the K labels above the bars
    return _style(fig, title)


def acquisition_funnel_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """Touches -> adds -> buyers -> repeat buyers per channel (:func:`lib.model.cac.channel_funnel`), log scale.

    Counts span several orders of magnitude (100,000 cards, 50 buyers), so
    bars on a log axis keep every stage of every channel visible.
    """
    fig = px.bar(data_frame, x="count", y="stage", color="channel", orientation="h", barmode="group", log_x=True,
                 color_discrete_sequence=PALETTE, text="count",
                 labels={"count": _lab(labels, "count", "Count (log scale)"), "stage": "", "channel": ""})
    fig.update_traces(texttemplate="%{x:,.0f}", textposition="outside")
    fig.update_xaxes(dtick=1)  # powers of ten only on the log axis
    count_axis(fig, "x")
    headroom(fig, "x", 0.25)
    fig.update_yaxes(categoryorder="array", categoryarray=["repeat buyers", "buyers", "adds", "touches"])
    return _style(fig, title, height=520)


LADDER_COLORS = ("#cbd5e1", "#99f6e4", "#2dd4bf", "#0f766e")
RUNG_COLORS = ("#99f6e4", "#2dd4bf", "#0f766e")


def ladder_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """Value ladder: customers per rung (one horizontal bar each), labelled "customers · share of revenue".

    Built with graph objects, not Plotly Express: the Overview draws it on
    every upload and px costs ~40 ms a figure.
    """
    of_revenue = _lab(labels, "of_revenue", "of revenue")
    fig = go.Figure([
        go.Bar(x=[r["customers"]], y=[labels.get(r["rung"], r["rung"]) if labels else r["rung"]], orientation="h",
               name=labels.get(r["rung"], r["rung"]) if labels else r["rung"],
               text=[f"{r['customers']:,} · {r['revenue_share']:.0%} {of_revenue}" if r["rung"] != "potential" else f"{r['customers']:,}"],
               textposition="auto", cliponaxis=False,
               marker_color=LADDER_COLORS[i % 4], hovertemplate="%{y}: %{x:,}<extra></extra>")
        for i, r in enumerate(data_frame.to_dict("records"))
    ])
    fig.update_layout(showlegend=False)
    fig.update_xaxes(title=_lab(labels, "customers", "Customers"))
    count_axis(fig, "x")
    headroom(fig, "x", 0.35)  # a short bar's label goes past it
    fig.update_yaxes(autorange="reversed")
    return _style(fig, title, height=320)


def ladder_movement_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """Stacked area of customers on each rung over time."""
    fig = go.Figure([
        go.Scatter(x=data_frame["month"], y=data_frame[rung], name=labels.get(rung, rung) if labels else rung,
                   stackgroup="rungs", mode="lines", line={"width": 0.5, "color": RUNG_COLORS[i]})
        for i, rung in enumerate(("bought once", "repeat", "loyal"))
    ])
    fig.update_yaxes(title=_lab(labels, "customers", "Customers"))
    count_axis(fig)
    return _style(fig, title)


def planner_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None, currency: str = "") -> go.Figure:
    """Projected monthly revenue against the baseline and the 2x target line."""
    d = data_frame
    fig = go.Figure([
        go.Scatter(x=d["month"], y=d["projected"], name=_lab(labels, "projected", "Projected"), mode="lines+markers",
                   line={"color": "#0f766e", "width": 3}),
        go.Scatter(x=d["month"], y=d["baseline"], name=_lab(labels, "baseline", "Baseline"), line={"color": "#64748b", "dash": "dash"}),
        go.Scatter(x=d["month"], y=d["target"], name=_lab(labels, "target", "2× target"), line={"color": "#dc2626", "dash": "dot"}),
    ])
    fig.update_xaxes(title=_lab(labels, "month", "Month"), dtick=1)
    fig.update_yaxes(title=None, rangemode="tozero")
    money_axis(fig, currency)
    return _style(fig, title)


def fission_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """Stacked bars: customers per generation after each period (:func:`lib.model.planner.fission_projection`)."""
    d = data_frame.assign(generation=data_frame["generation"].astype(str))
    fig = px.bar(d, x="period", y="customers", color="generation", color_discrete_sequence=px.colors.sequential.Teal,
                 labels={"period": _lab(labels, "period", "Period"), "customers": _lab(labels, "customers", "Customers"),
                         "generation": _lab(labels, "generation", "Generation")})
    count_axis(fig)
    return _style(fig, title)


def decomposition_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None, currency: str = "") -> go.Figure:
    """Waterfall: direct value (AOV x repurchase) + referral value (sharing) = customer value.

    ``data_frame``: one row with direct_value, referral_value, total (from
    :meth:`lib.model.metrics.ValueDecomposition.as_dict`).
    """
    r = data_frame.iloc[0]
    names = [_lab(labels, "direct_value", "Direct value (AOV × repurchase)"),
             _lab(labels, "referral_value", "Referral value (sharing)"), _lab(labels, "total", "Customer value")]
    fig = go.Figure(go.Waterfall(x=names, y=[r["direct_value"], r["referral_value"], r["total"]],
                                 measure=["relative", "relative", "total"], texttemplate=f"{currency}%{{y:,.0f}}", textposition="outside",
                                 connector={"line": {"color": "#94a3b8"}},
                                 increasing={"marker": {"color": "#2dd4bf"}}, totals={"marker": {"color": "#0f766e"}}))
    fig.update_yaxes(title=None)
    money_axis(fig, currency)
    headroom(fig, share=0.2)  # the values above the bars
    return _style(fig, title, height=360)


def revenue_split_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None, currency: str = "") -> go.Figure:
    """Stacked monthly revenue: new (first orders) vs returning, and guest orders when there are any."""
    kinds = [("new", "#2dd4bf"), ("returning", "#0f766e")]
    if "guests" in data_frame and data_frame["guests"].abs().sum() > 0:
        kinds.append(("guests", "#94a3b8"))
    fig = go.Figure([
        go.Bar(x=data_frame["month"], y=data_frame[kind], name=labels.get(kind, kind) if labels else kind, marker_color=color)
        for kind, color in kinds
    ])
    fig.update_layout(barmode="stack")
    money_axis(fig, currency)
    return _style(fig, title)


def gap_histogram(data_frame: pd.DataFrame, medians: pd.DataFrame | None = None, title: str | None = None,
                  labels: Labels = None, max_days: float = 365) -> go.Figure:
    """Histogram of days between consecutive orders, with the overall median marked."""
    d = data_frame.loc[data_frame["days"] <= max_days]
    fig = px.histogram(d, x="days", nbins=60, color_discrete_sequence=["#0f766e"],
                       labels={"days": _lab(labels, "days", "Days between orders")})
    if medians is not None and len(medians):
        med = float(medians.iloc[0]["median_days"])
        fig.add_vline(x=med, line_dash="dash", line_color="#dc2626", annotation_text=f"median {med:.0f}")
    count_axis(fig)
    return _style(fig, title)


def clv_histogram(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None, currency: str = "") -> go.Figure:
    """Distribution of predicted CLV per customer."""
    fig = px.histogram(data_frame, x="clv", nbins=50, color_discrete_sequence=["#0f766e"],
                       labels={"clv": _lab(labels, "clv", f"Predicted CLV ({currency})".replace(" ()", ""))})
    money_axis(fig, currency, "x")
    count_axis(fig)
    return _style(fig, title)


def palive_histogram(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """Distribution of P(active)."""
    fig = px.histogram(data_frame, x="p_alive", nbins=20, range_x=[0, 1], color_discrete_sequence=["#2dd4bf"],
                       labels={"p_alive": _lab(labels, "p_alive", "P(active)")})
    share_axis(fig, "x")
    count_axis(fig)
    return _style(fig, title)


def repurchase_by_cohort_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """Lines: N-day repurchase rate per cohort (censored cohorts have no point)."""
    cols = [c for c in data_frame.columns if c.startswith("repeat_")]
    long = data_frame.melt(id_vars="cohort", value_vars=cols, var_name="window", value_name="rate")
    long["window"] = long["window"].str.replace("repeat_", "").str.replace("d", " days")
    fig = px.line(long, x="cohort", y="rate", color="window", markers=True, color_discrete_sequence=PALETTE,
                  labels={"cohort": _lab(labels, "cohort", "Cohort"), "rate": _lab(labels, "rate", "Repurchase rate"), "window": ""})
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _style(fig, title)


def product_repeat_chart(data_frame: pd.DataFrame, shop_rate: float, title: str | None = None, labels: Labels = None,
                         top: int = 15) -> go.Figure:
    """Bars: repeat rate of customers by their first product (the ``top`` most common), a line at the shop's rate."""
    df = data_frame.head(top).sort_values("repeat_rate")
    fig = px.bar(df, x="repeat_rate", y="product", orientation="h", text="repeat_rate", hover_data=["customers"],
                 color_discrete_sequence=PALETTE[:1],
                 labels={"repeat_rate": _lab(labels, "repeat_rate", "Repeat rate"), "product": _lab(labels, "product", "First product"),
                         "customers": _lab(labels, "customers", "Customers")})
    fig.update_traces(texttemplate="%{text:.0%}", textposition="outside", cliponaxis=False)
    if shop_rate == shop_rate:  # not NaN
        fig.add_vline(x=shop_rate, line_dash="dash", line_color="#6b7280",
                      annotation_text=_lab(labels, "shop", "Shop average"), annotation_position="top")
    share_axis(fig, "x")
    headroom(fig, "x", 0.2)  # the rates past the bars
    return _style(fig, title, height=max(320, 34 * len(df) + 140))


def product_flow_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """Sankey: first product -> product of the 2nd order, width = customers."""
    firsts = list(dict.fromkeys(data_frame["first"]))
    seconds = list(dict.fromkeys(data_frame["second"]))
    nodes = [f"{n} " for n in firsts] + [f" {n}" for n in seconds]  # a product on both sides is two nodes
    src = [firsts.index(f) for f in data_frame["first"]]
    dst = [len(firsts) + seconds.index(x) for x in data_frame["second"]]
    fig = go.Figure(go.Sankey(node={"label": nodes, "pad": 14, "color": PALETTE[0]},
                              link={"source": src, "target": dst, "value": data_frame["customers"].tolist()}))
    return _style(fig, title, height=max(360, 28 * max(len(firsts), len(seconds)) + 140))


def backtest_frequency_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None) -> go.Figure:
    """The calibration chart: mean holdout purchases per customer, actual vs the model's, by repeat purchases before
    the holdout (frequency, 7 = 7 or more; :attr:`lib.model.backtest.Backtest.by_frequency`)."""
    x = [f"{int(f)}+" if f >= 7 else str(int(f)) for f in data_frame["frequency"]]
    fig = go.Figure([go.Bar(x=x, y=data_frame[k], name=_lab(labels, k, k), marker_color=c)
                     for k, c in (("actual", "#0f766e"), ("model", "#94a3b8"))])
    fig.update_xaxes(title=_lab(labels, "frequency", "Repeat purchases before the holdout"), type="category")
    fig.update_yaxes(title=_lab(labels, "purchases", "Purchases per customer in the holdout"))
    return _style(fig, title)


def backtest_tracking_chart(data_frame: pd.DataFrame, calibration_end: pd.Timestamp, title: str | None = None,
                            labels: Labels = None) -> go.Figure:
    """Cumulative repeat purchases week by week, actual vs the model's, with the calibration end marked
    (:attr:`lib.model.backtest.Backtest.tracking`)."""
    fig = go.Figure([go.Scatter(x=data_frame["date"], y=data_frame[k], name=_lab(labels, k, k), mode="lines",
                                line={"color": c, "dash": d}) for k, c, d in (("actual", "#0f766e", "solid"),
                                                                             ("model", "#64748b", "dash"))])
    fig.add_vline(x=pd.Timestamp(calibration_end).timestamp() * 1000, line_dash="dot", line_color="#dc2626",
                  annotation_text=_lab(labels, "holdout", "holdout"), annotation_position="top right")
    fig.update_yaxes(title=_lab(labels, "cumulative", "Cumulative repeat purchases"))
    count_axis(fig)
    return _style(fig, title)


def order_months_chart(data_frame: pd.DataFrame, title: str | None = None, labels: Labels = None,
                       currency: str = "") -> go.Figure:
    """Monthly revenue (bars) and refunds (bars below zero), with the month's orders on a second axis: the
    Overview of a file that names no customers (``lib.model.order_level.OrderBreakdown.by_month``)."""
    fig = go.Figure([
        go.Bar(x=data_frame["month"], y=data_frame["revenue"], name=_lab(labels, "revenue", "Revenue"), marker_color="#0f766e"),
        go.Bar(x=data_frame["month"], y=-data_frame["refunds"], name=_lab(labels, "refunds", "Refunds"), marker_color="#f87171"),
        go.Scatter(x=data_frame["month"], y=data_frame["orders"], name=_lab(labels, "orders", "Orders"), yaxis="y2",
                   mode="lines+markers", line={"color": "#1e293b"}),
    ])
    fig.update_layout(barmode="relative", yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero",
                                                    "tickmode": "auto"})  # its own round ticks, not the money axis's places
    money_axis(fig, currency)
    count_axis(fig, "y2")
    return _style(fig, title)
