"""Benchmark: ``python -m lib products`` and ``python -m lib contacts`` on the wide Taobao report, in seconds.

    python bench/bench_actions.py --rows 1000000

Each command runs in a fresh process on the same cached file (bench/wide_export.py:
41 columns, shared strings, product titles as order lines), so each time includes
reading the file; the load alone is timed too, to show what the command adds.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from wide_export import workbook  # noqa: E402


def timed(args: list[str]) -> float:
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "lib", *args], capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        raise SystemExit(f"lib {' '.join(args)} failed: {res.stderr[-1500:]}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    path = str(workbook(args.rows))
    load_s = timed(["load", path, "--json"])
    products_s = timed(["products", path, "--json"])
    contacts_s = timed(["contacts", path, "--json"])
    print(f"Taobao order report, {args.rows:,} rows x 41 columns (each command reads the file itself):")
    print(f"  lib load      {load_s:7.2f} s")
    print(f"  lib products  {products_s:7.2f} s  (+{products_s - load_s:.2f} s after the load)")
    print(f"  lib contacts  {contacts_s:7.2f} s  (+{contacts_s - load_s:.2f} s after the load: rhythms, MBG/NBD + Gamma-Gamma, lists)")


if __name__ == "__main__":
    main()
