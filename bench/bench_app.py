"""Benchmark: a workbook from upload to a fully drawn Overview, and a filter change after that (AppTest).

    python bench/bench_app.py --rows 1000000

Goals on the 2-core reference machine: upload to Overview <= 6 s at 1,000,000
rows; a filter change <= 0.5 s after that. Prints the figures.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def main() -> None:
    import os

    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # AppTest's bare-mode warnings hide the figures
    import logging

    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)

    from bench_load import make_workbook

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    path = ROOT / "bench" / "out" / f"orders_{args.rows}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        make_workbook(args.rows, path)
    data = path.read_bytes()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    t = time.perf_counter()
    at.file_uploader[0].set_value((path.name, data, XLSX)).run()
    upload_s = time.perf_counter() - t
    assert not at.exception, at.exception
    customers = {m.label: m.value for m in at.metric}.get("Customers")
    print(f"upload -> Overview drawn: {upload_s:6.2f} s  ({args.rows:,} rows, {customers} customers; goal <= 6 s at 1M)")
    dates = [w for w in at.date_input if w.key.startswith("dates-")][0]
    t = time.perf_counter()
    dates.set_value((date(2024, 3, 1), date(2024, 12, 31))).run()
    filter_s = time.perf_counter() - t
    assert not at.exception
    print(f"date filter change:       {filter_s:6.2f} s  (goal <= 0.5 s)")
    chans = [w for w in at.multiselect if w.key.startswith("channels-")][0]
    t = time.perf_counter()
    chans.set_value([chans.options[0]]).run()
    print(f"channel filter change:    {time.perf_counter() - t:6.2f} s")
    t = time.perf_counter()
    at.run()
    print(f"rerun, nothing changed:   {time.perf_counter() - t:6.2f} s")


if __name__ == "__main__":
    main()
