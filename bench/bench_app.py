"""Benchmark: a workbook from upload to a fully drawn Overview, and a filter change after that (AppTest).

    python bench/bench_app.py --rows 1000000

Goals on the 2-core reference machine: upload to Overview <= 6 s at 1,000,000
rows; a filter change <= 0.5 s after that. Prints the figures.
"""
from __future__ import annotations

import argparse
import sys
import time
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
    ap.add_argument("--file", help="upload this workbook instead of the generated one")
    ap.add_argument("--json", action="store_true", help="print one JSON line (for bench_wide.py)")
    args = ap.parse_args()
    if args.file:
        path = Path(args.file)
    else:
        path = ROOT / "bench" / "out" / f"orders_{args.rows}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            make_workbook(args.rows, path)
    data = path.read_bytes()
    if args.json:
        import contextlib
        import io
        import json

        with contextlib.redirect_stdout(io.StringIO()):
            figures = _figures(AppTest, path, data)
        print(json.dumps(figures))
        return
    figures = _figures(AppTest, path, data)
    print(f"upload -> Overview drawn: {figures['upload_s']:6.2f} s  ({path.name}, {figures['customers']} customers; "
          "goal <= 6 s at 1M)")
    print(f"date filter change:       {figures['filter_s']:6.2f} s  (goal <= 0.5 s; the window's start)")
    print(f"window end change:        {figures['end_s']:6.2f} s")
    print(f"channel filter change:    {figures['channel_s']:6.2f} s" if figures["channel_s"] is not None else
          "channel filter change:    not measured (the file has one channel)")
    print(f"rerun, nothing changed:   {figures['rerun_s']:6.2f} s")


def _figures(AppTest, path: Path, data: bytes) -> dict:  # noqa: N803 - the class, imported late for the log level
    """Seconds from upload to a drawn Overview, for a date and a channel filter change, and a plain rerun."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    t = time.perf_counter()
    at.file_uploader[0].set_value((path.name, data, XLSX)).run()
    upload_s = time.perf_counter() - t
    assert not at.exception, at.exception
    customers = {m.label: m.value for m in at.metric}.get("Customers")
    dates = [w for w in at.date_input if w.key.startswith("dates-")][0]
    lo, hi = dates.value
    t = time.perf_counter()
    dates.set_value((lo + (hi - lo) / 4, hi)).run()
    filter_s = time.perf_counter() - t
    assert not at.exception
    t = time.perf_counter()  # moving the window's end: every figure over the history up to it is new
    [w for w in at.date_input if w.key.startswith("dates-")][0].set_value((lo + (hi - lo) / 4, hi - (hi - lo) / 8)).run()
    end_s = time.perf_counter() - t
    assert not at.exception
    chans = [w for w in at.multiselect if w.key.startswith("channels-")][0]
    channel_s = None  # a file of one channel (the Taobao report has none): choosing it changes nothing
    if len(chans.options) > 1:
        t = time.perf_counter()
        chans.set_value([chans.options[0]]).run()
        channel_s = time.perf_counter() - t
        assert not at.exception
    t = time.perf_counter()
    at.run()
    return {"upload_s": upload_s, "filter_s": filter_s, "end_s": end_s, "channel_s": channel_s, "rerun_s": time.perf_counter() - t,
            "customers": customers}

if __name__ == "__main__":
    main()
