"""Static and interactive chart export: PNG/SVG with kaleido (system Chromium), HTML without a browser.

One kaleido server is started on first use and kept warm (about 0.2 s an
export after the first ~3 s). Without Chromium, :func:`to_image` raises
:class:`ExportUnavailable` and callers offer :func:`to_html` instead.
"""
from __future__ import annotations

import html
import threading
import warnings

import plotly.graph_objects as go

_lock = threading.Lock()
_started = False


class ExportUnavailable(RuntimeError):
    """No browser to render static images on this server."""


def _ensure_server() -> None:
    global _started
    if _started:
        return
    import kaleido

    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    _started = True


EXPORT_TEMPLATE = "plotly_white"
TITLE_PAD = 14  # px between the image's top edge and the title
TITLE_ROOM = 56  # px the title and subtitle add above the plot


def _for_export(fig: go.Figure, title: str | None = None, subtitle: str | None = None) -> go.Figure:
    """A copy with a white template (on screen Streamlit's theme styles the charts instead), and, for a deck,
    the chart's ``title`` and a ``subtitle`` saying what it shows (dates, channels) written on it.

    Both are escaped: they may hold a customer id or a channel name from the user's file, and Plotly
    reads ``<a href>`` and friends in titles.
    """
    out = go.Figure(fig)
    out.update_layout(template=EXPORT_TEMPLATE)
    if title or subtitle:
        # the title's top sits TITLE_PAD px below the image's edge (a multi-line title anchored at y=0.98 of the
        # paper had its first line cut off), the subtitle under it, and the plot's top margin makes room for both
        out.update_layout(title={"text": f"<b>{html.escape(title or '')}</b>", "subtitle": {"text": html.escape(subtitle or "")},
                                 "x": 0.01, "xanchor": "left", "yref": "container", "y": 1.0, "yanchor": "top",
                                 "pad": {"t": TITLE_PAD}},
                          margin={"t": max(int(out.layout.margin.t or 30), 60) + TITLE_ROOM})
    return out


def to_image(fig: go.Figure, fmt: str = "png", scale: float = 2.0, width: int = 1100, height: int | None = None,
             title: str | None = None, subtitle: str | None = None) -> bytes:
    """PNG or SVG bytes of a figure (with ``title`` and ``subtitle`` on it); raises :class:`ExportUnavailable` without Chromium."""
    fig = _for_export(fig, title, subtitle)
    with _lock:
        try:
            _ensure_server()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fig.to_image(format=fmt, scale=scale, width=width,
                                    height=(height or fig.layout.height or 500) + (60 if title or subtitle else 0))
        except (RuntimeError, OSError, ValueError) as exc:
            raise ExportUnavailable(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - kaleido raises its own types (e.g. ChromeNotFoundError)
            raise ExportUnavailable(str(exc)) from exc


def to_html(fig: go.Figure, title: str | None = None, subtitle: str | None = None) -> bytes:
    """A self-contained interactive HTML file (plotly.js embedded, works offline), titled like :func:`to_image`."""
    return _for_export(fig, title, subtitle).to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False}).encode("utf-8")
