"""How a chart's numbers read: money with the shop's currency, counts as whole numbers, shares as %, and in 中文
ticks of 万 (10,000) as the tiles write them (:func:`wan_ticks`).

The chart builders (:mod:`lib.present.charts`) mark their axes with these helpers; an axis that shows
thousands separators (money and counts) is one :func:`wan_ticks` rewrites for 中文. A label drawn outside
its bar or point is kept inside the figure by :func:`headroom` (the axis is made long enough for it).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

Axis = str  # "x", "y", "y2" …


def _axis_name(axis: Axis) -> str:
    return f"{axis[0]}axis{axis[1:]}"


def money_axis(fig: go.Figure, currency: str, axis: Axis = "y", decimals: int = 0) -> None:
    """Money on ``axis``: the currency before each tick, thousands separated; the hover shows the currency too."""
    fig.layout[_axis_name(axis)].update(tickprefix=currency or None, separatethousands=True, tickformat=",~f",
                                        hoverformat=f",.{decimals}f")
    _hover_prefix(fig, axis, currency, decimals)


def count_axis(fig: go.Figure, axis: Axis = "y") -> None:
    """Whole numbers (customers, orders) on ``axis``: ticks 1, 2, 3 or 1,000, never 0.5."""
    ax = fig.layout[_axis_name(axis)]
    ax.update(tickformat=",d", separatethousands=True)
    lo, hi = axis_extent(fig, axis)
    if ax.type != "log" and hi - lo <= 6:
        ax.update(dtick=1, tick0=0)


def share_axis(fig: go.Figure, axis: Axis = "y") -> None:
    """Shares (0-1) on ``axis``, as whole percents."""
    fig.layout[_axis_name(axis)].update(tickformat=".0%", hoverformat=".1%")


def headroom(fig: go.Figure, axis: Axis = "y", share: float = 0.18) -> None:
    """Make ``axis`` long enough that labels drawn past its longest bar (``textposition="outside"``) stay inside
    the plot: ``share`` of the span more beyond the largest value (and below the smallest, when below 0)."""
    ax = fig.layout[_axis_name(axis)]
    for trace in fig.data:
        if "cliponaxis" in trace:
            trace.cliponaxis = False
    if ax.type == "log":
        lo, hi = (math.log10(v) for v in axis_extent(fig, axis, positive=True))
        span = max(hi - lo, 1.0)
        ax.range = [lo - 0.05 * span, hi + share * span]
        return
    lo, hi = axis_extent(fig, axis)
    span = (hi - lo) or abs(hi) or 1.0
    ax.range = [lo - share * span if lo < 0 else lo, hi + share * span]


def _hover_prefix(fig: go.Figure, axis: Axis, currency: str, decimals: int) -> None:
    """Hover templates of the traces on ``axis`` that name its value (%{y}) show it as money."""
    letter, ref = axis[0], axis
    money = f"{currency}%{{{letter}:,.{decimals}f}}"
    for trace in fig.data:
        if (getattr(trace, f"{letter}axis", None) or letter) != ref or trace.type in ("histogram", "heatmap"):
            continue
        template = trace.hovertemplate
        if isinstance(template, str) and template:
            trace.hovertemplate = re.sub(r"%\{" + letter + r"(:[^}]*)?\}", lambda _: money, template)
        else:
            other = "y" if letter == "x" else "x"
            trace.hovertemplate = f"%{{{other}}}: {money}<extra>%{{fullData.name}}</extra>"


def _on_axis(trace: go.basedatatypes.BaseTraceType, axis: Axis) -> bool:
    letter = axis[0]
    return (getattr(trace, f"{letter}axis", None) or letter) == axis


def _numbers(values: object) -> np.ndarray:
    if values is None:
        return np.array([], dtype=float)
    arr = np.asarray(values, dtype=object).ravel()
    out = np.array([v if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else np.nan for v in arr],
                   dtype=float)
    return out[np.isfinite(out)]


def _value_letter(trace: go.basedatatypes.BaseTraceType) -> str:
    """The axis letter a trace's values (not its categories) are on."""
    if trace.type == "histogram":
        return "y" if trace.orientation != "h" else "x"
    return "x" if getattr(trace, "orientation", None) == "h" else "y"


def _histogram_counts(trace: go.Histogram) -> np.ndarray:
    data = _numbers(trace.x if trace.orientation != "h" else trace.y)
    if not len(data):
        return np.array([0.0])
    bins = int(trace.nbinsx or trace.nbinsy or 0) or "auto"
    return np.histogram(data, bins=bins)[0].astype(float)


def _running_total(values: np.ndarray, measure: Sequence[str] | None) -> np.ndarray:
    kinds = list(measure) if measure is not None else ["relative"] * len(values)
    out, total = [], 0.0
    for v, kind in zip(values, kinds):
        total = v if kind == "absolute" else total if kind == "total" else total + v
        out.append(total)
    return np.array(out, dtype=float)


def axis_extent(fig: go.Figure, axis: Axis = "y", positive: bool = False) -> tuple[float, float]:
    """The smallest and largest value the figure draws on ``axis`` (stacked bars and areas summed, a waterfall's
    running total, a histogram's tallest bar); (0, 1) when it draws none. Bars and histograms include 0; with
    ``positive`` (a log axis) only values above 0 count, (1, 10) when there is none."""
    letter = axis[0]
    stacked = fig.layout.barmode in ("stack", "relative")
    found: list[np.ndarray] = []
    stacks: dict[tuple[str, object], float] = {}
    for trace in fig.data:
        if letter not in trace or not _on_axis(trace, axis):
            continue
        on_values = _value_letter(trace) == letter
        if trace.type == "histogram":
            found.append(np.append(_histogram_counts(trace), 0.0) if on_values else _numbers(trace[letter]))
            continue
        values = _numbers(trace[letter]) if letter in trace else np.array([])
        if trace.type == "waterfall" and on_values:
            values = _running_total(values, trace.measure)
        if on_values and ((trace.type == "bar" and stacked) or getattr(trace, "stackgroup", None)):
            other = trace["y" if letter == "x" else "x"]
            for key, v in zip(list(other) if other is not None else range(len(values)), _numbers(trace[letter])):
                stacks[(("+" if v >= 0 else "-"), key)] = stacks.get((("+" if v >= 0 else "-"), key), 0.0) + v
            continue
        if trace.type in ("bar", "waterfall") and on_values:
            values = np.append(values, 0.0)
        found.append(values)
    if stacks:
        found.append(np.array([*stacks.values(), 0.0]))
    every = np.concatenate(found) if found else np.array([])
    if positive:
        every = every[every > 0]
        return (float(every.min()), float(every.max())) if len(every) else (1.0, 10.0)
    return (float(every.min()), float(every.max())) if len(every) else (0.0, 1.0)


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _wan(value: float, step: float) -> str:
    """``value`` in 万 with the decimals ``step`` needs (2.5万, 10万); below 10,000 on a log axis, as it is."""
    if step >= 10_000 and abs(value) < 10_000:
        return f"{value:,.0f}"
    decimals = next((d for d in range(4) if abs(step / 10_000 * 10 ** d - round(step / 10_000 * 10 ** d)) < 1e-6), 4)
    return f"{value / 10_000:,.{decimals}f}万"


def _wan_array(lo: float, hi: float, prefix: str, log: bool = False) -> dict[str, object] | None:
    """tickvals and ticktext of 万 over [lo, hi] (None below 100,000: plain numbers read as the tiles' do)."""
    if log:
        values = [10.0 ** k for k in range(max(0, math.floor(math.log10(lo))), math.ceil(math.log10(hi)) + 1)]
        step = 10_000.0
    else:
        step = _nice_step(max(hi - lo, 1e-9))
        values = list(np.arange(math.floor(lo / step), math.ceil(hi / step) + 1) * step)
    if not values or max(abs(v) for v in values) < 100_000:
        return None
    text = [f"{'-' if v < 0 else ''}{prefix}{_wan(abs(v), step)}" if v else f"{prefix}0" for v in values]
    return {"tickmode": "array", "tickvals": values, "ticktext": text, "tickprefix": None}


def wan_ticks(fig: go.Figure) -> None:
    """Ticks of 万 on each money or count axis (one with thousands separators) and colour bar whose numbers reach
    100,000, as :func:`lib.i18n.fmt_number` writes them in 中文 ("12.5万"; the currency before them); other axes
    unchanged."""
    for name in [k for k in fig.layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]:
        ax = fig.layout[name]
        if not ax.separatethousands or ax.tickmode == "array":
            continue
        axis = name[0] + name[5:]
        log = ax.type == "log"
        lo, hi = axis_extent(fig, axis, positive=log) if log or ax.range is None else ax.range
        ticks = _wan_array(lo, hi, ax.tickprefix or "", log)
        if ticks is not None:
            ax.update(**ticks)
    for trace in fig.data:
        bar = trace.colorbar if "colorbar" in trace else None
        z = _numbers(trace.z) if bar is not None and "z" in trace else np.array([])
        if bar is not None and bar.separatethousands and len(z):
            ticks = _wan_array(float(z.min()), float(z.max()), bar.tickprefix or "")
            if ticks is not None:
                bar.update(**ticks)
