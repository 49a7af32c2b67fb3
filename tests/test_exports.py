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


@needs_browser
def test_an_exported_title_is_drawn_whole_below_the_top_edge():
    """A title and subtitle drawn as two lines of one text anchored near the top had the first line's
    baseline 11 px from the edge with a 17 px font: the title was cut (English and 中文). The title is one
    line whose top is below the edge, and the subtitle a text of its own under it."""
    import re

    svg = to_image(_fig(), "svg", title="按渠道的LTV", subtitle="2024-01-01 – 2025-06-30 · 全部渠道").decode()
    title = re.search(r'<text class="gtitle" [^>]*y="([\d.]+)" [^>]*dy="0.7em"[^>]*font-size: (\d+)px[^>]*>(.*?)</text>', svg)
    assert title and 'class="line"' not in title.group(3)  # one line, placed by its own y and dy
    top = float(title.group(1)) + 0.7 * int(title.group(2)) - int(title.group(2))  # baseline minus the font's height
    assert top >= 0
    sub = re.search(r'<text class="gtitle-subtitle" [^>]*y="([\d.]+)"', svg)
    assert sub and float(sub.group(1)) > float(title.group(1)) + int(title.group(2))
