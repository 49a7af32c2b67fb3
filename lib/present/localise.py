"""A chart in another language: its own words translated, the data's left as they are (:func:`localise`)."""
from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.present.axes import wan_ticks

_TEMPLATE_PARTS = re.compile(r"(%\{[^}]*\}|<[^>]*>)")  # a hover template's values and tags, between its words
_WORD = re.compile(r"(?P<pre>[\W\d]*)(?P<core>.*?)(?P<post>[\W\d]*)", re.S)
_NUMBERED = re.compile(r"^(?P<word>[^\d=]*?)(?P<sep>\s*=?\s*)(?P<num>[-+]?[\d.,]+%?)$")


def localise(fig: go.Figure, words: Mapping[str, str], date_format: str | None = None, wan: bool = True) -> go.Figure:
    """A copy of ``fig`` with its own text in another language: titles, axis titles, legend, trace names,
    annotations and text categories (a funnel's steps, RFM segments) found in ``words`` (English -> other).

    Text with a number ("median 35", "K=0.31") has its word part translated.
    ``date_format`` (a d3 format such as "%Y-%m") replaces the month names on
    date axes. Values from the user's data (channel names, ids) are not in
    ``words`` and stay as they are. With ``wan`` (中文, the other language), money and count axes that reach
    100,000 tick in 万 as the tiles do (:func:`lib.present.axes.wan_ticks`: "¥12.5万", not "¥125k").
    """
    def tr(text: object) -> object:
        if not isinstance(text, str) or not text:
            return text
        if text in words:
            return words[text]
        m = _NUMBERED.match(text)
        if m and m["word"].strip() in words:
            return f"{words[m['word'].strip()]}{m['sep']}{m['num']}"
        return text

    out = go.Figure(fig)
    lay = out.layout
    if lay.title and lay.title.text:
        lay.title.text = tr(lay.title.text)
    if lay.legend and lay.legend.title and lay.legend.title.text:
        lay.legend.title.text = tr(lay.legend.title.text)
    for ann in lay.annotations or ():
        ann.text = tr(ann.text)
    date_axes: set[str] = set()
    for trace in out.data:
        if getattr(trace, "name", None):
            trace.name = tr(trace.name)
        if getattr(trace, "legendgroup", None):
            trace.legendgroup = tr(trace.legendgroup)
        template = trace.hovertemplate if "hovertemplate" in trace else None
        if isinstance(template, str) and template:
            trace.hovertemplate = _template_words(template, words)
        text = getattr(trace, "text", None)
        if text is not None and not isinstance(text, str) and len(text) and isinstance(text[0], str):
            trace.text = [tr(v) for v in text]
        for axis in ("x", "y"):
            values = getattr(trace, axis, None)
            if values is None or not len(values):
                continue
            first = values[0]
            if isinstance(first, str):
                setattr(trace, axis, [tr(v) for v in values])
            elif isinstance(first, (np.datetime64, pd.Timestamp)) or (hasattr(values, "dtype") and np.issubdtype(values.dtype, np.datetime64)):
                ref = getattr(trace, f"{axis}axis", None) or axis
                date_axes.add(ref.replace(axis, f"{axis}axis", 1))
    for name in [k for k in lay.to_plotly_json() if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]:
        ax = lay[name]
        if ax.title and ax.title.text:
            ax.title.text = tr(ax.title.text)
        if ax.categoryarray is not None:
            ax.categoryarray = [tr(v) for v in ax.categoryarray]
        if date_format and name in date_axes:
            ax.tickformat = date_format
    for name in date_axes:
        if date_format and not lay[name].tickformat:
            lay[name].tickformat = date_format
    if wan:
        wan_ticks(out)
    return out


def _template_words(template: str, words: Mapping[str, str]) -> str:
    """A hover template with its own words translated ("descendants %{customdata[0]}"), values and tags kept."""
    def said(text: str) -> str:
        m = _WORD.fullmatch(text)
        return f"{m['pre']}{words[m['core']]}{m['post']}" if m and m["core"] in words else text

    out = []
    for i, part in enumerate(_TEMPLATE_PARTS.split(template)):
        if i % 2:  # a value or a tag
            out.append(part)
        else:  # px writes "Group=a": its word, then the user's value
            word, eq, value = part.partition("=")
            out.append(f"{said(word)}{eq}{value}")
    return "".join(out)
