"""Shared page widgets: KPI cards, charts and tables with their downloads."""
from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lib.i18n import ZH, fmt_date
from lib.model.basis import BASIS_NAMES
from lib.present import charts
from lib.present.localise import localise
from lib.present.chart_export import to_html, to_image
from lib.present.export import csv_bytes, excel_bytes, neutralise_frame
from lib.present.labels import Column, describe, present, unique_headers
from lib.present.text import strip_controls
from ui import session as S
from ui.session import t


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(builder: str, data: pd.DataFrame, kwargs: dict, lang: str) -> go.Figure:
    fig = getattr(charts, builder)(data, **kwargs)
    if lang == "zh":  # the builders' own words (axis titles, legends, steps, segments) and month ticks
        fig = localise(fig, ZH, date_format="%Y-%m")
    return fig


def chart(builder: str, data: pd.DataFrame, **kwargs: object) -> go.Figure:
    """``lib.present.charts.<builder>(data, **kwargs)``, cached on the input table and arguments.

    A rerun that changes nothing for a chart does not build it again. The
    cache holds the figure itself (``cache_resource``): pickling a figure in
    and out of ``cache_data`` costs more than building it (about 10 ms a chart
    against 6 ms). Figures are never changed after they are built; drawing
    and export work on copies.
    """
    return _figure(builder, data, kwargs, S.settings().lang)


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "chart"


def view_caption() -> str:
    """What the page shows, in words for a chart's export: the dates, the channels (or "All channels") and, on net
    sales, the revenue basis."""
    view, lang = S.view_state(), S.settings().lang
    span = f"{fmt_date(pd.Timestamp(view.dates[0]), lang)} – {fmt_date(pd.Timestamp(view.dates[1]), lang)}" if view.dates else ""
    basis = f"{t('Revenue')}: {t(BASIS_NAMES['net'])}" if view.basis == "net" else ""
    return strip_controls(" · ".join(p for p in (span, ", ".join(view.channels) if view.channels else t("All channels"),
                                                  ", ".join(view.platforms), basis) if p))


def show_chart(fig: go.Figure, name: str, title: str | None = None) -> None:
    """Draw a Plotly figure; its toolbar PNG and the download menu use ``name`` as the file name.

    Downloads (PNG, SVG, HTML) carry ``title`` (default: the figure's own) and the view's dates and
    channels, so a chart pasted into a deck says what it shows.
    """
    base = slug(name)
    st.plotly_chart(fig, config={"displaylogo": False, "toImageButtonOptions": {"filename": base, "format": "png", "scale": 2}},
                    key=f"chart-{base}")
    heading = title or (fig.layout.title.text if fig.layout.title and fig.layout.title.text else None)
    caption = view_caption()
    with st.popover(f"⬇ {t('Download')}", width="content"):
        def png() -> bytes:
            return to_image(fig, "png", title=heading, subtitle=caption)

        def svg() -> bytes:
            return to_image(fig, "svg", title=heading, subtitle=caption)

        if _has_browser():
            st.download_button("PNG", png, file_name=f"{base}.png", mime="image/png", key=f"png-{base}", on_click="ignore")
            st.download_button("SVG", svg, file_name=f"{base}.svg", mime="image/svg+xml", key=f"svg-{base}", on_click="ignore")
        else:
            st.caption(t("PNG export needs Chromium on the server; download the interactive HTML instead."))
        st.download_button("HTML", lambda: to_html(fig, title=heading, subtitle=caption), file_name=f"{base}.html",
                           mime="text/html", key=f"html-{base}", on_click="ignore")


@st.cache_resource(show_spinner=False)
def _browser_check() -> bool:
    import shutil

    return shutil.which("chromium") is not None or shutil.which("google-chrome") is not None or shutil.which("chrome") is not None


def _has_browser() -> bool:
    return _browser_check()


def header_config(df: pd.DataFrame) -> dict:
    """Column settings that show each column's human header (:mod:`lib.present.labels`) in the session's language."""
    return column_settings(describe(df, S.settings().lang, currency=S.settings().currency))


def column_settings(cols: list[Column]) -> dict:
    """Streamlit column settings for :func:`lib.present.labels.describe`'s columns: header and a format per kind, drawn
    by the browser (money and figures with thousands separators and cents, whole counts, shares as %, days to one
    decimal, dates as yyyy-mm-dd or yyyy-mm). A formatting of every cell in Python (pandas' Styler) cost about half a
    second of each rerun of a page with a few thousand rows (Who to contact)."""
    out: dict = {}
    for c in cols:
        if c.kind in ("money", "num"):
            out[c.name] = st.column_config.NumberColumn(c.header, format="accounting")
        elif c.kind in ("int", "plain"):
            out[c.name] = st.column_config.NumberColumn(c.header, format="localized")
        elif c.kind == "days":
            out[c.name] = st.column_config.NumberColumn(c.header, format="%.1f")
        elif c.kind == "pct":
            out[c.name] = st.column_config.NumberColumn(c.header, format="percent")
        elif c.kind in ("date", "month"):
            out[c.name] = st.column_config.DatetimeColumn(c.header, format="YYYY-MM" if c.kind == "month" else "YYYY-MM-DD")
        else:
            out[c.name] = st.column_config.TextColumn(c.header)
    return out


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with text that a spreadsheet would run as a formula neutralised, as its downloads are, and without
    direction controls (a right-to-left override would show a cell's digits reversed).

    Every ``st.dataframe`` has Streamlit's own "Download as CSV", which exports
    the shown cells: what a table shows must already be safe.
    """
    out = neutralise_frame(df)
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(lambda v: strip_controls(v) if isinstance(v, str) else v)
    return out


def show_table(df: pd.DataFrame, name: str, column_config: dict | None = None, height: int | None = None,
               overrides: dict[str, tuple[str, str]] | None = None, layout: dict[str, dict] | None = None,
               row_height: int | None = None) -> None:
    """A sortable table with human headers (:mod:`lib.present.labels`) and CSV / Excel downloads of the same (formula-safe).

    ``overrides`` gives (English header, kind) for columns of this table only;
    ``column_config`` replaces a column's settings outright; ``layout`` adds to a
    column's settings (``{"channel": {"pinned": True}, "reason": {"width": "large"}}``:
    a pinned column stays in view while the table scrolls sideways). ``row_height``
    in pixels: a taller row wraps long text over lines.
    """
    base = slug(name)
    lang, currency = S.settings().lang, S.settings().currency
    cols = describe(df, lang, overrides, currency)
    shown = safe_frame(present(df, lang, overrides, rename=False))
    config = {**column_settings(cols), **(column_config or {})}
    for col, extra in (layout or {}).items():
        if col in config:
            config[col] = {**config[col], **extra}
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, height=height or "auto", placeholder="—",
                 row_height=row_height)
    # every download is made when clicked and never reruns the page (on_click="ignore"): with a rerun, Streamlit can drop
    # the file's maker before it has run, and the click then gives nothing (2 clicks in 20 in a real browser)
    with st.popover(f"⬇ {t('Download')}", width="content"):
        def readable() -> pd.DataFrame:
            return present(df, lang, overrides, currency=currency)

        kinds = {header: c.kind for header, c in zip(unique_headers(cols), cols)}
        st.download_button("CSV", lambda: csv_bytes(readable()), file_name=f"{base}.csv", mime="text/csv", key=f"csv-{base}", on_click="ignore")
        st.download_button("Excel", lambda: excel_bytes({base[:31]: readable()}, {base[:31]: kinds}), file_name=f"{base}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"xlsx-{base}", on_click="ignore")


def choose(widget, label: str, options: dict[str, str], key: str, **kwargs: object) -> str:
    """A radio or selectbox whose choices are shown in the session's language; returns the chosen key of ``options``.

    ``options`` maps a value to its English label. The shown text is the
    widget's own value (no ``format_func``), so the widget keeps working when
    the language changes and in AppTest, which cannot apply a format function.
    """
    shown = {t(text): value for value, text in options.items()}
    return shown[widget(t(label), list(shown), key=f"{key}-{S.settings().lang}", **kwargs)]


def kpi(container, label: str, value: str, delta: str | None = None, help: str | None = None,
        inverse: bool = False) -> None:
    container.metric(t(label), value, delta=delta, help=help, delta_color="inverse" if inverse else "normal")
