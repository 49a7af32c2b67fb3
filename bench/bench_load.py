"""Benchmark: the loader against pandas.read_excel(engine="openpyxl") on one generated workbook.

    python bench/bench_load.py --rows 1000000

Prints seconds, peak memory (this process and its parse child) and the ratio.
Goal on the 2-core reference machine: >= 15x faster, peak <= 1.5 GB, isolation included.
The workbook is cached in bench/out/ so repeated runs skip the (slow) writing.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHANNELS = ["Parcel card", "Phone call", "SMS", "AI voice call", "WeChat official account", "Douyin short video"]


def make_workbook(rows: int, path: Path) -> None:
    import numpy as np
    import openpyxl
    import pandas as pd

    rng = np.random.default_rng(1)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Orders")
    ws.append(["订单号", "客户", "下单时间", "实付金额", "渠道", "推荐人", "会员", "状态"])
    customers = max(rows // 2, 1)
    cust = rng.integers(0, customers, rows)
    days = rng.integers(0, 730, rows)
    amounts = np.round(rng.lognormal(4.8, 0.5, rows), 2)
    chan = rng.integers(0, len(CHANNELS), rows)
    base = pd.Timestamp("2024-01-01").to_pydatetime()
    from datetime import timedelta

    for i in range(rows):
        ref = f"U{rng.integers(0, customers)}" if i % 7 == 0 else None
        ws.append([f"SO{i}", f"U{cust[i]}", base + timedelta(days=int(days[i])), float(amounts[i]),
                   CHANNELS[chan[i]], ref, "是" if i % 5 == 0 else "否", "已完成"])
    wb.save(path)


def peak_mb_self() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"orders_{args.rows}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        make_workbook(args.rows, path)
        print(f"wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")

    from lib.clean import load

    t = time.perf_counter()
    ds = load(path)
    ours = time.perf_counter() - t
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"loader:    {ours:7.2f} s  orders {len(ds.orders):,}  peak memory: parent {peak_mb_self():,.0f} MB, "
          f"largest parse process {child_mb:,.0f} MB (a big sheet is parsed by two processes at once)")
    if args.no_baseline:
        return
    code = ("import time,resource,pandas as pd,sys;t=time.perf_counter();"
            f"df=pd.read_excel(r'{path}',engine='openpyxl');"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base_s, base_mb = (float(x) for x in res.stdout.split())
    print(f"baseline:  {base_s:7.2f} s  pandas.read_excel(engine='openpyxl'), peak memory {base_mb:,.0f} MB")
    print(f"ratio:     {base_s / ours:7.1f}x faster (goal >= 15x at 1,000,000 rows)")


if __name__ == "__main__":
    main()
