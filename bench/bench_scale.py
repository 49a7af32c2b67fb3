"""Benchmark: the dashboard's figures at 1M, 10M and 100M orders, beside plain DuckDB SQL of the same figures.

    python bench/bench_scale.py --orders 1000000 10000000 100000000

For each size a synthetic shop is written once as Parquet (bench/out/scale_<n>.parquet: order id, customer id,
order date, amount, channel, referrer; ~0.43 customers per order over two years, seeded) and measured, each in its
own process so that its peak memory is its own:

* **ours**: what the app does for a first Overview: ``lib.clean.load`` of the file (the parse child, cleaning),
  the view (``apply_filters``), the Overview figures, the monthly cohort table and the LTV curves by channel; then a
  filter change (one acquisition channel) and its Overview. Today every order is held in memory as pandas frames,
  so sizes past ``--ours-max`` are not run (issue #22: the metrics as queries on an engine).
* **floor**: plain DuckDB SQL over the Parquet file of the same figures (customers, orders, revenue, AOV,
  repurchase rate, new customers; the monthly cohort matrix of active customers and revenue; cumulative LTV by
  channel and month), with a memory limit and a spill folder: what an engine can do on this machine.

Prints seconds and peak memory (MB, the process's maximum resident set) side by side, and issue #22's goals
(10M: first Overview <= 5 s after the store is built, a filter change <= 1 s, peak <= 2 GB; 100M: peak <= 4 GB,
Overview <= 60 s; within 2x of the floor at every size) as met or not. Figures are checked against each other:
the orders, customers and revenue of ours and of the floor must agree.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
CHANNELS = ["Parcel card", "Phone call", "SMS", "WeChat", "Douyin", "Poster", "Referral", "Youzan"]
CHUNK = 5_000_000  # rows written per row group batch: bounded memory whatever the size


def write_shop(n: int) -> Path:
    """``n`` synthetic orders as Parquet (cached): written in chunks, so 100M orders need no 100M-row frame."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = OUT / f"scale_{n}.parquet"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(11)
    n_cust = max(int(n * 0.43), 10)
    channel_of = rng.integers(0, len(CHANNELS), n_cust)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    tmp = path.with_suffix(".part")
    writer = None
    try:
        for lo in range(0, n, CHUNK):
            m = min(CHUNK, n - lo)
            cust = rng.integers(0, n_cust, m)
            ref = np.where(rng.random(m) < 0.3, cust - rng.integers(1, 50, m), -1)
            when = start + rng.integers(0, 730 * 86400, m).astype("timedelta64[s]")
            table = pa.table({
                "order_id": pa.array(np.char.add("O", np.arange(lo, lo + m).astype(str))),
                "customer_id": pa.array(np.char.add("U", cust.astype(str))),
                "order_date": pa.array(when, pa.timestamp("s")),
                "amount": pa.array(np.round(rng.lognormal(4.8, 0.5, m), 2)),
                "channel": pa.array(np.array(CHANNELS)[channel_of[cust]]),
                "referrer_id": pa.array(np.where(ref >= 0, np.char.add("U", np.maximum(ref, 0).astype(str)), None)),
            })
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=1_000_000)
    finally:
        if writer is not None:
            writer.close()
    tmp.rename(path)
    return path


FLOOR_SQL = {
    "overview": """
        WITH per AS (SELECT customer_id, count(*) AS n, min(order_date) AS first FROM o GROUP BY 1)
        SELECT (SELECT count(*) FROM per) AS customers, (SELECT count(*) FROM o) AS orders,
               (SELECT sum(amount) FROM o) AS revenue, (SELECT sum(amount) / count(*) FROM o) AS aov,
               (SELECT avg((n >= 2)::DOUBLE) FROM per) AS repurchase,
               (SELECT count(*) FROM per WHERE first >= (SELECT max(order_date) FROM o) - INTERVAL 365 DAY) AS new_customers
    """,
    "cohorts": """
        WITH f AS (SELECT customer_id, date_trunc('month', min(order_date)) AS cohort FROM o GROUP BY 1)
        SELECT f.cohort, datediff('month', f.cohort, date_trunc('month', o.order_date)) AS period,
               count(DISTINCT o.customer_id) AS active, sum(o.amount) AS revenue
        FROM o JOIN f USING (customer_id) GROUP BY 1, 2 ORDER BY 1, 2
    """,
    "ltv": """
        WITH f AS (SELECT customer_id, min(order_date) AS first, arg_min(channel, order_date) AS channel FROM o GROUP BY 1),
        m AS (SELECT f.channel, floor(date_diff('second', f.first, o.order_date) / 86400.0 / 30.4375)::INT AS month,
                     sum(o.amount) AS revenue
              FROM o JOIN f USING (customer_id) GROUP BY 1, 2),
        size AS (SELECT channel, count(*) AS customers FROM f GROUP BY 1)
        SELECT m.channel, m.month, sum(m.revenue) OVER (PARTITION BY m.channel ORDER BY m.month) / size.customers AS ltv
        FROM m JOIN size USING (channel) ORDER BY 1, 2
    """,
    "filter": """
        WITH c AS (SELECT customer_id FROM o GROUP BY 1 HAVING arg_min(channel, order_date) = 'WeChat')
        SELECT count(DISTINCT customer_id) AS customers, count(*) AS orders, sum(amount) AS revenue
        FROM o WHERE customer_id IN (SELECT customer_id FROM c)
    """,
}


def run_floor(path: str, memory: str) -> dict:
    """The plain-SQL floor, in this (child) process: seconds per figure, and the totals to compare."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="ltv-floor-") as spill:
        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{memory}'")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute(f"CREATE VIEW o AS SELECT * FROM read_parquet('{path}')")
        out: dict = {"seconds": {}}
        for name, sql in FLOOR_SQL.items():
            t = time.perf_counter()
            rows = con.execute(sql).fetchall()
            out["seconds"][name] = time.perf_counter() - t
            if name == "overview":
                out["orders"], out["customers"], out["revenue"] = int(rows[0][1]), int(rows[0][0]), float(rows[0][2])
    return out


def run_ours(path: str) -> dict:
    """What the app computes for a first Overview and a filter change, in this (child) process."""
    from lib.clean import load
    from lib.errors import DataError
    from lib.model.cohorts import cohort_table
    from lib.model.ltv import ltv_curves
    from lib.model.metrics import overview
    from lib.model.view import Filters, apply_filters, prepare

    out: dict = {"seconds": {}}
    t = time.perf_counter()
    try:
        ds = load(path)
    except DataError as err:
        return {"refused": str(err)}
    out["seconds"]["load"] = time.perf_counter() - t
    t = time.perf_counter()
    p = prepare(ds)
    view = apply_filters(p)
    ov = overview(view)
    out["seconds"]["overview"] = time.perf_counter() - t
    t = time.perf_counter()
    cohort_table(view.all_orders, view.all_refunds, view.customers, view.as_of)
    out["seconds"]["cohorts"] = time.perf_counter() - t
    t = time.perf_counter()
    ltv_curves(view.all_orders, view.all_refunds, view.customers, view.as_of, by="channel", max_months=24)
    out["seconds"]["ltv"] = time.perf_counter() - t
    t = time.perf_counter()
    overview(apply_filters(p, Filters(channels=("WeChat",))))
    out["seconds"]["filter"] = time.perf_counter() - t
    out["orders"], out["customers"], out["revenue"] = int(ov.orders), int(ov.customers), float(ov.revenue_gross)
    return out


def own_peak_mb() -> float:
    """This process's peak resident memory (VmHWM: its own, unlike ru_maxrss, which keeps the high-water mark of
    the process it was forked from across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(what: str, path: Path, memory: str) -> dict:
    """Run ``what`` (ours / floor) on ``path`` in a fresh process; its result with its peak resident MB (and the
    parse child's, apart: the web process is what holds a dataset)."""
    proc = subprocess.run([sys.executable, __file__, "--child", what, str(path), memory],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"failed": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cell(r: dict, key: str) -> str:
    if "seconds" not in r:
        return "—"
    return f"{r['seconds'][key]:.2f}" if key in r["seconds"] else "—"


def report(n: int, ours: dict, floor: dict) -> None:
    print(f"\n{n:,} orders")
    print(f"  {'':<26} {'ours':>10} {'DuckDB SQL':>12}")
    for key, label in (("load", "read + clean (store)"), ("overview", "first Overview"), ("cohorts", "cohort matrix"),
                       ("ltv", "LTV curves by channel"), ("filter", "a channel filter")):
        print(f"  {label:<26} {_cell(ours, key):>10} {_cell(floor, key):>12}")
    peak = [f"{r['peak_mb']:,.0f}" if r.get("peak_mb") else "—" for r in (ours, floor)]
    print(f"  {'peak memory, MB':<26} {peak[0]:>10} {peak[1]:>12}")
    if ours.get("child_peak_mb"):
        print(f"  {'  (the parse child)':<26} {ours['child_peak_mb']:>10,.0f}")
    for r, who in ((ours, "ours"), (floor, "floor")):
        for why in ("refused", "failed", "skipped"):
            if why in r:
                print(f"  {who}: {why}: {r[why]}")
    if "seconds" in ours and "seconds" in floor:
        same = ours["orders"] == floor["orders"] and ours["customers"] == floor["customers"] \
            and abs(ours["revenue"] - floor["revenue"]) <= 1e-6 * max(1.0, abs(floor["revenue"]))
        print(f"  figures agree (orders, customers, revenue): {'yes' if same else 'NO'}")
        first = sum(ours["seconds"][k] for k in ("overview", "cohorts", "ltv"))
        floor_first = sum(floor["seconds"][k] for k in ("overview", "cohorts", "ltv"))
        ratio = first / max(floor_first, 1e-9)
        print(f"  ours / floor (Overview + cohorts + LTV): {ratio:.1f}x (goal <= 2x: {'met' if ratio <= 2 else 'NOT met'})")
    goals(n, ours)


def goals(n: int, ours: dict) -> None:
    if n < 10_000_000:
        return
    s, peak = ours.get("seconds"), ours.get("peak_mb")
    if s is None:
        print("  goals (issue #22): NOT met: ours did not run at this size")
        return
    if n < 100_000_000:
        checks = [("first Overview <= 5 s", s["overview"] <= 5), ("a filter change <= 1 s", s["filter"] <= 1),
                  ("peak <= 2 GB", peak is not None and peak <= 2048)]
    else:
        checks = [("Overview <= 60 s", s["overview"] <= 60), ("peak <= 4 GB", peak is not None and peak <= 4096)]
    print("  goals (issue #22): " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        what, path, memory = sys.argv[2:5]
        out = run_ours(path) if what == "ours" else run_floor(path, memory)
        out["peak_mb"] = own_peak_mb()
        out["child_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KB on Linux
        print(json.dumps(out))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, nargs="+", default=[1_000_000, 10_000_000, 100_000_000])
    ap.add_argument("--ours-max", type=int, default=10_000_000, help="largest size our path is run at (held in memory)")
    ap.add_argument("--memory", default="3GB", help="DuckDB's memory limit for the floor (it spills past it)")
    args = ap.parse_args()
    for n in args.orders:
        t = time.perf_counter()
        path = write_shop(n)
        print(f"(shop of {n:,} orders: {path.stat().st_size / 1e6:,.0f} MB Parquet, ready in {time.perf_counter() - t:.1f} s)")
        floor = measured("floor", path, args.memory)
        ours = measured("ours", path, args.memory) if n <= args.ours_max else {
            "skipped": f"the pandas path holds every order in memory; past {args.ours_max:,} orders it needs the engine "
                       "(issue #22)"}
        report(n, ours, floor)


if __name__ == "__main__":
    main()
