"""Benchmark: every metric of the calculation core on synthetic canonical orders.

    python bench/bench_metrics.py --orders 1000000

Prints seconds per metric and the total. Goals on the 2-core reference
machine: all metrics together <= 3 s at 1M orders / ~400k customers; a
BG/NBD + Gamma-Gamma fit on 100k customers <= 5 s; a referral forest of
1M customers with chains 50 deep in about a second.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.model.btyd import fit_gamma_gamma, fit_mbgnbd, rfm_summary  # noqa: E402
from lib.model.cac import cac_by_channel  # noqa: E402
from lib.model.cohorts import (  # noqa: E402
    cohort_table,
    days_between_orders,
    order_funnel,
    repurchase_by_cohort,
)
from lib.model.ltv import ltv_curves  # noqa: E402
from lib.model.metrics import overview, value_decomposition, value_ladder  # noqa: E402
from lib.model.referrals import referral_forest  # noqa: E402
from lib.model.rfm import rfm_scores  # noqa: E402
from lib.model.view import Filters, apply_filters, prepare  # noqa: E402
from lib.schema import Dataset, QualityReport  # noqa: E402

CHANNELS = np.array(["Parcel card", "Phone call", "SMS", "AI voice call", "WeChat", "Douyin", "Poster", "Referral"])


def synthetic(n_orders: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_cust = max(int(n_orders * 0.43), 10)
    cust = rng.integers(0, n_cust, n_orders)  # ~0.4 customers per order, as in the goal
    ids = pd.array(np.char.add("U", cust.astype(str)), dtype="string")
    days = rng.integers(0, 730, n_orders)
    date = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    ch_of = CHANNELS[rng.integers(0, len(CHANNELS), n_cust)]
    ref = np.where(rng.random(n_orders) < 0.3, cust - rng.integers(1, 50, n_orders), -1)
    orders = pd.DataFrame({
        "order_id": pd.array(np.char.add("O", np.arange(n_orders).astype(str)), dtype="string"),
        "customer_id": ids, "order_date": date.astype("datetime64[ns]"),
        "amount": np.round(rng.lognormal(4.8, 0.5, n_orders), 2),
        "channel": pd.array(ch_of[cust], dtype="string"),
        "referrer_id": pd.array(np.where(ref >= 0, np.char.add("U", np.maximum(ref, 0).astype(str)), None), dtype="string"),
        "is_member": rng.random(n_orders) < 0.1,
    })
    refunds = pd.DataFrame({"order_id": orders["order_id"][:1000], "customer_id": orders["customer_id"][:1000],
                            "refund_date": orders["order_date"][:1000], "amount": 10.0,
                            "kind": pd.array(["refund"] * min(1000, n_orders), dtype="string")})
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    spend = pd.DataFrame([(c, m, 1000.0, 10000.0, 500.0) for c in CHANNELS for m in months],
                         columns=["channel", "month", "spend", "touches", "adds"])
    spend["channel"] = spend["channel"].astype("string")
    return orders, refunds, spend


def chain_customers(n: int, depth: int) -> pd.DataFrame:
    idx = np.arange(n)
    parent = np.where(idx % depth == 0, -1, idx - 1)
    return pd.DataFrame({
        "customer_id": pd.array(np.char.add("c", idx.astype(str)), dtype="string"),
        "referrer_id": pd.array(np.where(parent >= 0, np.char.add("c", np.maximum(parent, 0).astype(str)), None), dtype="string"),
        "first_order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(idx % 700, unit="D"),
        "revenue": np.ones(n),
    })


def timed(label: str, fn, results: dict[str, float]):
    t = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t
    print(f"  {label:<34} {results[label]:7.3f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--fit-customers", type=int, default=None, help="customers for the model fit (default 100k, capped)")
    args = ap.parse_args()
    orders, refunds, spend = synthetic(args.orders)
    as_of = orders["order_date"].max()
    print(f"{len(orders):,} orders, {orders['customer_id'].nunique():,} customers")
    r: dict[str, float] = {}
    ds = Dataset(orders, refunds, spend, QualityReport())
    view = timed("view (customers table, filters)", lambda: apply_filters(ds), r)
    cust, orders, refunds = view.customers, view.all_orders, view.all_refunds
    forest = timed("referral forest", lambda: referral_forest(cust), r)  # built once, as the app does
    timed("overview (KPIs)", lambda: overview(view, forest=forest), r)
    timed("value decomposition", lambda: value_decomposition(view, forest), r)
    timed("value ladder", lambda: value_ladder(cust), r)
    timed("RFM scores", lambda: rfm_scores(cust, as_of), r)
    timed("cohort table (monthly)", lambda: cohort_table(orders, refunds, cust, as_of), r)
    timed("N-day repurchase by cohort", lambda: repurchase_by_cohort(orders, cust, as_of), r)
    gaps = timed("days between orders", lambda: days_between_orders(orders, cust), r)
    timed("order funnel", lambda: order_funnel(orders, cust, gaps), r)
    curves = timed("LTV curves by channel", lambda: ltv_curves(orders, refunds, cust, as_of, by="channel", max_months=36), r)
    timed("CAC by channel", lambda: cac_by_channel(orders, refunds, cust, spend, view.start, as_of, curves=curves), r)
    print(f"all metrics: {sum(r.values()):.2f} s (goal <= 3 s at 1M orders)")
    p = prepare(ds)
    mid = view.start + (view.as_of - view.start) / 2
    timed("a date filter ending mid-data (history recomputed as of its end)", lambda: apply_filters(p, Filters(view.start, mid)), {})
    n_fit = args.fit_customers or min(100_000, cust.shape[0])
    fit_ids = cust["customer_id"].iloc[:n_fit]
    fit_orders = orders.loc[orders["customer_id"].isin(fit_ids)]
    f: dict[str, float] = {}
    summary = timed("RFM summary", lambda: rfm_summary(fit_orders, as_of), f)
    timed("MBG/NBD fit (the one the app uses)", lambda: fit_mbgnbd(summary), f)
    timed("Gamma-Gamma fit", lambda: fit_gamma_gamma(summary), f)
    print(f"model fit on {len(summary):,} customers: {sum(f.values()):.2f} s (goal <= 5 s at 100k)")
    n_chain = max(args.orders, 1000)
    chains = chain_customers(n_chain, 50)
    c: dict[str, float] = {}
    forest = timed(f"forest, {n_chain:,} customers, depth 50", lambda: referral_forest(chains), c)
    assert forest.nodes["generation"].max() == 49


if __name__ == "__main__":
    main()
