"""A Shopify orders export (CSV, 79 columns, one row per line item): the other shape users upload.

    python bench/shopify_export.py --rows 200000 [--mapped]

Orders have one to three lines; as Shopify writes them, the order's fields
(email, status, totals, addresses, dates) are on its first line only and the
other lines carry the name and the line item. ``--mapped`` writes the same rows
cut to the columns the proposed mapping reads, for the wide-vs-narrow
comparison. Files are cached in bench/out/.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "exports"))

from make_exports import SHOPIFY  # noqa: E402 - the real export's 79 column names, kept with the fixtures

HEADER = list(SHOPIFY)
PRODUCTS = [("Sencha 100g", "TEA-SEN", 18.0), ("Oolong gift box", "TEA-OOL", 42.0), ("Matcha tin", "TEA-MAT", 29.5),
            ("Glass cup", "CUP-GL", 12.0), ("Travel tea set", "SET-TR", 55.0), ("Jasmine pearls", "TEA-JAS", 24.0)]
CITIES = [("Paris", "75008", "FR"), ("Lyon", "69002", "FR"), ("Berlin", "10115", "DE"), ("London", "EC1A", "GB"),
          ("New York", "10001", "US"), ("Toronto", "M5H", "CA")]


def rows(n: int, seed: int = 3) -> list[list[str]]:
    """``n`` line rows of a Shopify export."""
    rng = np.random.default_rng(seed)
    customers = max(n // 5, 1)
    start = datetime(2023, 1, 1)
    out: list[list[str]] = []
    order = 1000
    while len(out) < n:
        order += 1
        c = int(rng.integers(customers))
        lines = int(rng.integers(1, 4))
        when = start + timedelta(minutes=int(rng.integers(0, 60 * 24 * 700)))
        city, zip_, country = CITIES[c % len(CITIES)]
        status = "paid" if rng.random() < 0.9 else "refunded" if rng.random() < 0.5 else "pending"
        items = [PRODUCTS[int(i)] for i in rng.integers(0, len(PRODUCTS), lines)]
        qty = [int(q) for q in rng.integers(1, 4, lines)]
        subtotal = sum(p[2] * q for p, q in zip(items, qty))
        for k, ((name, sku, price), q) in enumerate(zip(items, qty)):
            r = dict.fromkeys(HEADER, "")
            r.update({"Name": f"#{order}", "Lineitem quantity": str(q), "Lineitem name": name, "Lineitem price": f"{price:.2f}",
                      "Lineitem sku": sku, "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                      "Lineitem fulfillment status": "fulfilled", "Vendor": "Leaf & Co", "Lineitem discount": "0.00"})
            if k == 0:
                stamp = when.strftime("%Y-%m-%d %H:%M:%S +0100")
                r.update({"Email": f"customer{c}@example.com", "Financial Status": status, "Paid at": stamp,
                          "Fulfillment Status": "fulfilled", "Fulfilled at": stamp, "Accepts Marketing": "no", "Currency": "EUR",
                          "Subtotal": f"{subtotal:.2f}", "Shipping": "5.00", "Taxes": f"{subtotal * 0.2:.2f}",
                          "Total": f"{subtotal + 5:.2f}", "Shipping Method": "Standard", "Created at": stamp,
                          "Billing Name": f"Customer {c}", "Billing Street": f"{c % 90 + 1} Rue des Fleurs",
                          "Billing Address1": f"{c % 90 + 1} Rue des Fleurs", "Billing City": city, "Billing Zip": zip_,
                          "Billing Country": country, "Billing Phone": f"+33 6 {c % 100:02d} {c // 100 % 100:02d} 00 00",
                          "Shipping Name": f"Customer {c}", "Shipping Street": f"{c % 90 + 1} Rue des Fleurs",
                          "Shipping Address1": f"{c % 90 + 1} Rue des Fleurs", "Shipping City": city, "Shipping Zip": zip_,
                          "Shipping Country": country, "Payment Method": "Shopify Payments",
                          "Payment Reference": f"c{order}.1", "Refunded Amount": f"{subtotal + 5:.2f}" if status == "refunded" else "0.00",
                          "Outstanding Balance": "0.00", "Id": str(5_000_000_000 + order), "Risk Level": "Low", "Source": "web",
                          "Tax 1 Name": "VAT 20%", "Tax 1 Value": f"{subtotal * 0.2:.2f}", "Phone": "",
                          "Payment ID": f"c{order}.1", "Payment References": f"c{order}.1"})
            out.append([r[h] for h in HEADER])
    return out[:n]


MAPPED = ["Name", "Email", "Financial Status", "Total", "Discount Code", "Created at", "Lineitem quantity", "Lineitem name",
          "Lineitem price", "Lineitem sku", "Billing Name", "Cancelled at", "Refunded Amount", "Source", "Phone", "Currency"]


def csv_file(n: int, mapped: bool = False) -> Path:
    """The cached export of ``n`` line rows (written on first use); ``mapped``: only the columns the mapping reads."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"shopify_{'mapped' if mapped else 'wide'}_{n}.csv"
    if not path.exists():
        t = time.perf_counter()
        keep = [HEADER.index(c) for c in MAPPED] if mapped else list(range(len(HEADER)))
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([HEADER[i] for i in keep])
            w.writerows([r[i] for i in keep] for r in rows(n))
        tmp.replace(path)
        print(f"wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--mapped", action="store_true")
    a = ap.parse_args()
    print(csv_file(a.rows, a.mapped))
