"""Benchmark: one shop's monthly exports read together against the same rows as one file, side by side.

    python bench/bench_many.py --files 12 --rows 100000

Each monthly file is an order export of ``--rows`` rows (CSV, the columns a shop's report has that the dashboard
maps); the one file holds every month's rows. Both are read by our loader in one run: ``lib.clean.load_many``
(each file its own parse child, cleaned on its own, then combined: lib/clean/many.py) and ``lib.clean.load``.
Prints wall and CPU seconds (this process and its children) and the ratio. Goal (issue #23): several files in
under twice the time of one, at the issue's size: twelve monthly files of 100,000 rows against one of 1,200,000 (a CSV
file has no row limit, only what its table takes: LTV_TABLE_MB).
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"


def write_months(files: int, rows: int) -> tuple[list[Path], Path]:
    """``files`` monthly CSVs of ``rows`` orders each, and one CSV of them all (cached in bench/out)."""
    import numpy as np
    import pandas as pd

    months = [OUT / f"many_{files}x{rows}_{m:02d}.csv" for m in range(1, files + 1)]
    whole = OUT / f"many_{files}x{rows}_all.csv"
    if whole.exists() and all(p.exists() for p in months):
        return months, whole
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(7)
    frames = []
    for m, path in enumerate(months):
        start = pd.Timestamp("2024-01-01") + pd.DateOffset(months=m)
        seconds = rng.integers(0, 28 * 86400, rows)
        df = pd.DataFrame({
            "订单编号": [f"{m:02d}{i:07d}" for i in range(rows)],
            "买家会员名": [f"tb_{c}" for c in rng.integers(0, rows * 2, rows)],
            "订单创建时间": (start + pd.to_timedelta(np.sort(seconds), unit="s")).strftime("%Y/%m/%d %H:%M"),
            "买家实际支付金额": rng.gamma(2.0, 60.0, rows).round(2),
            "订单状态": "交易成功",
            "联系手机": [f"186{c:08d}" for c in rng.integers(0, rows * 2, rows)],
        })
        df.to_csv(path, index=False)
        frames.append(df)
    pd.concat(frames).to_csv(whole, index=False)
    return months, whole


def cpu() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def timed(run) -> tuple[float, float, int]:  # noqa: ANN001 - a function giving a Dataset
    c0, t0 = cpu(), time.perf_counter()
    ds = run()
    return time.perf_counter() - t0, cpu() - c0, len(ds.orders)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    from lib.clean import load, load_many

    months, whole = write_months(args.files, args.rows)
    many = timed(lambda: load_many([str(p) for p in months]))
    one = timed(lambda: load(str(whole)))
    print(f"{args.files} files x {args.rows:,} rows vs one file of {args.files * args.rows:,} rows (our loader)")
    print(f"{'':<22} {'wall s':>8} {'CPU s':>8} {'orders':>10}")
    print(f"{'several files':<22} {many[0]:>8.2f} {many[1]:>8.2f} {many[2]:>10,}")
    print(f"{'one file':<22} {one[0]:>8.2f} {one[1]:>8.2f} {one[2]:>10,}")
    ratio = many[0] / one[0]
    print(f"several / one, wall: {ratio:.2f}x (goal <= 2x: {'met' if ratio <= 2 else 'NOT met'})")
    assert many[2] == one[2], "the files and the one file must give the same orders"


if __name__ == "__main__":
    main()
