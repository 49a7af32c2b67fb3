"""Shared page widgets: KPI cards, charts and tables with their downloads."""
from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lib import charts
from lib.chart_export import to_html, to_image
from lib.report import csv_bytes, excel_bytes
from ui.state import t


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(builder: str, data: pd.DataFrame, kwargs: dict) -> go.Figure:
    return getattr(charts, builder)(data, **kwargs)


def chart(builder: str, data: pd.DataFrame, **kwargs: object) -> go.Figure:
    """``lib.charts.<builder>(data, **kwargs)``, cached on the input table and arguments.

    A rerun that changes nothing for a chart does not build it again. The
    cache holds the figure itself (``cache_resource``): pickling a figure in
    and out of ``cache_data`` costs more than building it (about 10 ms a chart
    against 6 ms). Figures are never changed after they are built; drawing
    and export work on copies.
    """
    return _figure(builder, data, kwargs)


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "chart"


def show_chart(fig: go.Figure, name: str) -> None:
    """Draw a Plotly figure; its toolbar PNG and the download menu use ``name`` as the file name."""
    base = slug(name)
    st.plotly_chart(fig, config={"displaylogo": False, "toImageButtonOptions": {"filename": base, "format": "png", "scale": 2}},
                    key=f"chart-{base}")
    with st.popover(f"⬇ {t('Download')}", width="content"):
        def png() -> bytes:
            return to_image(fig, "png")

        def svg() -> bytes:
            return to_image(fig, "svg")

        if _has_browser():
            st.download_button("PNG", png, file_name=f"{base}.png", mime="image/png", key=f"png-{base}")
            st.download_button("SVG", svg, file_name=f"{base}.svg", mime="image/svg+xml", key=f"svg-{base}")
        else:
            st.caption(t("PNG export needs Chromium on the server; download the interactive HTML instead."))
        st.download_button("HTML", lambda: to_html(fig), file_name=f"{base}.html", mime="text/html", key=f"html-{base}")


@st.cache_resource(show_spinner=False)
def _browser_check() -> bool:
    import shutil

    return shutil.which("chromium") is not None or shutil.which("google-chrome") is not None or shutil.which("chrome") is not None


def _has_browser() -> bool:
    return _browser_check()


def header_config(df: pd.DataFrame) -> dict:
    """Column settings that show each column's header in the session's language."""
    return {str(c): st.column_config.Column(t(str(c))) for c in df.columns if t(str(c)) != str(c)}


def show_table(df: pd.DataFrame, name: str, column_config: dict | None = None, height: int | None = None) -> None:
    """A sortable table with CSV and Excel downloads (formula-safe)."""
    base = slug(name)
    config = {**header_config(df), **(column_config or {})}  # explicit settings win (their labels are translated by the caller)
    st.dataframe(df, hide_index=True, width="stretch", column_config=config, height=height or "auto")
    c1, c2, _ = st.columns([1, 1, 6])
    c1.download_button("CSV", lambda: csv_bytes(df), file_name=f"{base}.csv", mime="text/csv", key=f"csv-{base}")
    c2.download_button("Excel", lambda: excel_bytes({base[:31]: df}), file_name=f"{base}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"xlsx-{base}")


def kpi(container, label: str, value: str, delta: str | None = None, help: str | None = None,
        inverse: bool = False) -> None:
    container.metric(t(label), value, delta=delta, help=help, delta_color="inverse" if inverse else "normal")
