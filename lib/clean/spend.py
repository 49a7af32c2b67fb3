"""Channel spend: a spend sheet cleaned to (channel, month, spend, touches, adds)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib import coerce
from lib.clean.amounts import absurd
from lib.errors import DataError
from lib.schema import MAX_AMOUNT, SPEND_COLUMNS, Mapping, QualityReport


def clean_spend(raw: pd.DataFrame, mapping: Mapping, report: QualityReport) -> pd.DataFrame:
    """Canonical spend: channel, month, spend, touches, adds (sums per channel and month), and platform when the
    mapping has one (a several-file shop's spend per platform: sums per channel, month and platform).

    Spend may be given directly or as cost per touch × touches. Rows without a
    channel or month, or without any spend, with a spend, touches or adds no month holds
    (:func:`lib.clean.amounts.absurd`: infinite, beyond ±MAX_AMOUNT) or a negative spend are dropped and counted.
    """
    if "channel" not in mapping or "month" not in mapping or not ({"spend"} & mapping.keys() or
                                                                 {"cost_per_touch", "touches"} <= mapping.keys()):
        raise DataError("The spend sheet needs a channel, a month (or date) and a spend column "
                        "(or cost per touch and touches).")
    out = pd.DataFrame(index=raw.index)
    out["channel"] = raw[mapping["channel"]].astype("string").str.strip()
    out["month"] = coerce.month_start(raw[mapping["month"]]).values
    touches = coerce.to_money(raw[mapping["touches"]]).values if "touches" in mapping else pd.Series(np.nan, index=raw.index)
    adds = coerce.to_money(raw[mapping["adds"]]).values if "adds" in mapping else pd.Series(np.nan, index=raw.index)
    spend = coerce.to_money(raw[mapping["spend"]]).values if "spend" in mapping else pd.Series(np.nan, index=raw.index)
    if "cost_per_touch" in mapping:
        cpt = coerce.to_money(raw[mapping["cost_per_touch"]]).values
        derived = cpt * touches
        report.add("spend_from_cost_per_touch", int((spend.isna() & derived.notna()).sum()), "changed")
        spend = spend.where(spend.notna(), derived)
    out["spend"], out["touches"], out["adds"] = spend, touches, adds
    keys = ["channel", "month"]
    if "platform" in mapping:
        platform = raw[mapping["platform"]].astype("string").str.strip()
        out["platform"] = platform.mask(platform == "", pd.NA)
        keys.append("platform")
    bad = out["channel"].isna() | (out["channel"] == "") | out["month"].isna() | out["spend"].isna()
    report.add("spend_row_incomplete", int(bad.sum()), "dropped")
    out = out.loc[~bad]
    wild = absurd(out["spend"]) | absurd(out["touches"]) | absurd(out["adds"])  # inf, 1e308: no spend of a month
    report.add("bad_amount", int(wild.sum()), "dropped", bound=MAX_AMOUNT)
    out = out.loc[~wild]
    neg = out["spend"] < 0
    report.add("spend_negative", int(neg.sum()), "dropped")
    out = out.loc[~neg]
    spend_t = (out.groupby(keys, as_index=False, sort=True, dropna=False)
               .agg(spend=("spend", "sum"), touches=("touches", lambda s: s.sum(min_count=1)),
                    adds=("adds", lambda s: s.sum(min_count=1))))
    for col in ("channel", "platform"):
        if col in spend_t.columns:
            spend_t[col] = spend_t[col].astype("string")
    return spend_t[list(SPEND_COLUMNS) + (["platform"] if "platform" in keys else [])]
