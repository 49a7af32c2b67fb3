"""RFM: recency, frequency and monetary scores per customer, and the named segments they put customers in."""
from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = (
    ("Champions", (4, 5), (4, 5)),
    ("Loyal", (3, 5), (3, 5)),
    ("Potential loyalists", (4, 5), (2, 3)),
    ("New customers", (4, 5), (1, 1)),
    ("Need attention", (3, 3), (1, 3)),
    ("Can't lose them", (1, 2), (4, 5)),
    ("At risk", (1, 2), (2, 3)),
    ("Hibernating", (1, 2), (1, 1)),
)


def rfm_scores(customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Recency, frequency, monetary scores (1-5, 5 best) and a named segment per customer.

    recency_days = days from the last order to ``as_of``; scores are quintiles
    by rank, R reversed so recent = 5. Equal values get the same score, the
    quintile of the lowest rank they share: every one-time buyer has F = 1,
    whichever came first.
    Segment rules on (R, F), first match wins: Champions R4-5 F4-5; Loyal
    R3-5 F3-5; Potential loyalists R4-5 F2-3; New customers R4-5 F1; Need
    attention R3 F1-3; Can't lose them R1-2 F4-5; At risk R1-2 F2-3;
    Hibernating R1-2 F1. Columns: customer_id, recency_days, frequency,
    monetary, r, f, m, segment.
    """
    c = customers
    rec = (pd.Timestamp(as_of) - c["last_order_date"]).dt.days.clip(lower=0)

    def score(x: pd.Series, reverse: bool = False) -> np.ndarray:
        r = x.rank(method="min", ascending=not reverse)
        return np.ceil(r / len(x) * 5).clip(1, 5).astype(int).to_numpy()

    out = pd.DataFrame({
        "customer_id": c["customer_id"].to_numpy(), "recency_days": rec.to_numpy(),
        "frequency": c["orders"].to_numpy(), "monetary": c["revenue"].to_numpy(),
    })
    if out.empty:
        return out.assign(r=[], f=[], m=[], segment=[])
    out["r"] = score(rec, reverse=True)
    out["f"] = score(c["orders"])
    out["m"] = score(c["revenue"])
    seg = np.full(len(out), "Other", dtype=object)
    done = np.zeros(len(out), dtype=bool)
    for name, (r_lo, r_hi), (f_lo, f_hi) in SEGMENTS:
        hit = ~done & out["r"].between(r_lo, r_hi).to_numpy() & out["f"].between(f_lo, f_hi).to_numpy()
        seg[hit] = name
        done |= hit
    out["segment"] = seg
    return out


def segment_summary(rfm: pd.DataFrame) -> pd.DataFrame:
    """Customers, revenue and average recency per RFM segment, biggest revenue first."""
    return (rfm.groupby("segment").agg(customers=("customer_id", "size"), revenue=("monetary", "sum"),
                                       avg_recency_days=("recency_days", "mean"), avg_orders=("frequency", "mean"))
            .sort_values("revenue", ascending=False).reset_index())
