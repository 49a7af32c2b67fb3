"""Benchmark: each page's switch time on the sample shop in a real browser, beside the bare rerun.

    python bench/bench_pages.py [--rounds 3]

Starts ``python -m lib serve`` on a free port (bench_serve.Server) and drives one Chromium session: the Overview
drawn, then every page of the sidebar in turn, ``--rounds`` times. Per page it prints the first switch (its
figures computed: nothing cached yet), the median of the later switches (what a person clicking around sees) and,
beside them, the bare rerun: the same page clicked again, which recomputes nothing and draws the same elements
(Streamlit's own floor for that page). A switch ends when the page's title is drawn, the script has finished and
its charts are on screen. Goal (issue #25): every page <= 1 s on the sample. Times are printed, never asserted.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_serve import ARGS, CHROMIUM, READY, Server  # noqa: E402

PAGES = ["Overview", "LTV", "Repurchase cohorts", "CAC by channel", "Referrals", "Product journey", "Who to contact",
         "Growth planner", "Data"]


def _switch(pg, to: str) -> float:  # noqa: ANN001 - a Playwright page
    """Click ``to`` in the sidebar and wait until its title is drawn, its script has finished and its charts have
    drawn; seconds."""
    t = time.perf_counter()
    pg.locator('[data-testid="stSidebarNav"] a', has_text=to).first.click()
    pg.wait_for_function(f"() => document.querySelector('h1') && document.querySelector('h1').innerText.trim() === {to!r}",
                         timeout=180_000)
    pg.wait_for_timeout(50)  # the script's state flips to running within a frame of the click
    pg.wait_for_selector(READY, timeout=180_000)
    pg.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))",
                         timeout=180_000)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not Path(shutil.which("chromium") or CHROMIUM).exists():
        raise SystemExit("Chromium is needed for the page-switch benchmark (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    first: dict[str, float] = {}
    later: dict[str, list[float]] = {p: [] for p in PAGES}
    again: dict[str, list[float]] = {p: [] for p in PAGES}
    with tempfile.TemporaryDirectory(prefix="ltv-pages-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        server = Server(Path(tmp) / "store")
        try:
            pg = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            pg.goto(server.url)
            pg.wait_for_selector(READY, timeout=180_000)
            for r in range(args.rounds):
                for page in PAGES[1:] + PAGES[:1]:
                    took = _switch(pg, page)
                    if r == 0:
                        first[page] = took
                    else:
                        later[page].append(took)
                    again[page].append(_switch(pg, page))  # the same page again: the bare rerun
        finally:
            server.stop()
            browser.close()
    print(f"Page switches on the sample shop, real browser ({args.rounds} rounds), seconds")
    print(f"{'page':<22} {'first':>7} {'later':>7} {'rerun':>7}  goal <= 1 s")
    for page in PAGES:
        median = statistics.median(later[page]) if later[page] else float("nan")
        rerun = statistics.median(again[page])
        print(f"{page:<22} {first[page]:>7.2f} {median:>7.2f} {rerun:>7.2f}  {'met' if median <= 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
