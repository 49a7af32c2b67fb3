"""Chart export: PNG/SVG through kaleido and the system Chromium, HTML without a browser."""
from __future__ import annotations

import os
import shutil

import pytest

from lib import charts
from lib.chart_export import ExportUnavailable, to_html, to_image
from lib.planner import project_revenue

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
    import lib.chart_export as ce

    def no_browser(*a, **k):
        raise RuntimeError("Kaleido requires Google Chrome to be installed.")

    monkeypatch.setattr(ce, "_started", False)
    monkeypatch.setattr(ce, "_ensure_server", no_browser)
    with pytest.raises(ExportUnavailable):
        to_image(_fig())
