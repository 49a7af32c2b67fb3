"""Chart export: PNG/SVG through kaleido and the system Chromium, HTML without a browser."""
from __future__ import annotations

import os
import shutil

import pytest

from lib.model.planner import project_revenue
from lib.present import charts
from lib.present.chart_export import ExportUnavailable, to_html, to_image

HAS_BROWSER = shutil.which("chromium") is not None
needs_browser = pytest.mark.skipif(not HAS_BROWSER and not os.environ.get("REQUIRE_BROWSER"),
                                   reason="no Chromium on this machine (CI installs it)")


def _fig():
    return charts.planner_chart(project_revenue(100, 0.5, 0, 0, 0), title="翻倍计划 planner")


@needs_browser
def test_png_and_svg_export():
    png = to_image(_fig(), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    svg = to_image(_fig(), "svg")
    assert svg.lstrip().startswith(b"<svg") and "翻倍计划".encode() in svg


def test_html_export_is_self_contained():
    html = to_html(_fig()).decode()
    assert "<html" in html and "Plotly.newPlot" in html and "<script src=\"http" not in html and len(html) > 1_000_000


def test_missing_browser_raises_export_unavailable(monkeypatch):
    import lib.present.chart_export as ce

    def no_browser(*a, **k):
        raise RuntimeError("Kaleido requires Google Chrome to be installed.")

    monkeypatch.setattr(ce, "_started", False)
    monkeypatch.setattr(ce, "_ensure_server", no_browser)
    with pytest.raises(ExportUnavailable):
        to_image(_fig())


@needs_browser
def test_an_exported_chart_says_what_it_shows():
    svg = to_image(_fig(), "svg", title="Value ladder", subtitle="2025-01-01 – 2025-06-30 · SMS, <a href='x'>evil</a>")
    assert b"Value ladder" in svg and "2025-01-01 – 2025-06-30 · SMS".encode() in svg
    assert b"<a href" not in svg  # a channel name from the file is text, never a link


def test_html_export_carries_title_and_view():
    html = to_html(_fig(), title="Cohort heatmap", subtitle="2025-01-01 – 2025-06-30 · All channels").decode()
    assert "Cohort heatmap" in html and "2025-01-01 \\u2013 2025-06-30 \\u00b7 All channels" in html  # JSON-escaped in the page
