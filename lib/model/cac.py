"""Customer acquisition cost by channel, the acquisition funnel, ROAS and payback.

A customer belongs to the channel of their first order (see
:mod:`lib.model.view`). CAC of a channel = its spend in the window / its new
customers in the window. Referral rewards are the referral channel's spend
(put them in the spend table under the referral channel's name).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.model.customers import acquired_between
from lib.model.ltv import ltv_curves, value_within
from lib.model.metrics import DEFAULT_MARGIN, paired_cohorts

SPEND_ENTRY_COLUMNS = ("channel", "month", "spend", "touches", "adds", "cost_per_touch")


def spend_entry(spend: pd.DataFrame | None, channels: list[str], start: pd.Timestamp, as_of: pd.Timestamp,
                platforms: bool = False) -> pd.DataFrame:
    """The spend table a person edits: the dataset's spend, else one empty row per channel and month of [start, as_of].

    Columns :data:`SPEND_ENTRY_COLUMNS`: channel, month (text "YYYY-MM"), spend, touches, adds (as in the
    spend table), cost_per_touch (empty: spend is typed, or derived as cost per touch x touches); and platform
    (``platforms``: a several-file shop's spend per platform, blank for none).
    """
    if spend is not None and len(spend):
        table = spend.assign(cost_per_touch=float("nan"))
    else:
        months = pd.period_range(start, as_of, freq="M").to_timestamp()
        table = pd.DataFrame([(c, m, None, None, None, None) for c in channels for m in months], columns=list(SPEND_ENTRY_COLUMNS))
    cols = list(SPEND_ENTRY_COLUMNS) + (["platform"] if platforms else [])
    if platforms and "platform" not in table.columns:
        table = table.assign(platform=pd.Series(pd.NA, index=table.index, dtype="string"))
    return table.assign(month=pd.to_datetime(table["month"]).dt.strftime("%Y-%m"))[cols]


def cac_by_platform(customers: pd.DataFrame, spend: pd.DataFrame | None, start: pd.Timestamp,
                    as_of: pd.Timestamp) -> pd.DataFrame:
    """CAC per acquisition platform of a several-file shop: platform, spend (the window's spend rows of that platform,
    currency), new_customers (first order in the window, acquired on it), cac = spend / new_customers (NaN without
    either). Spend rows without a platform are in no row. Empty without platforms."""
    cols = ["platform", "spend", "new_customers", "cac"]
    if "platform" not in customers.columns:
        return pd.DataFrame(columns=cols)
    new = customers.loc[acquired_between(customers, start, as_of)].groupby("platform", observed=True).size()
    sp = (spend.groupby("platform", observed=True)["spend"].sum() if spend is not None and "platform" in spend.columns
          else pd.Series(dtype=float))
    t = pd.DataFrame(index=pd.Index(sorted(set(new.index.astype(str)) | set(sp.index.astype(str))), name="platform"))
    t["spend"] = sp.reindex(t.index).astype(float)
    t["new_customers"] = new.reindex(t.index).fillna(0).astype(int)
    t["cac"] = t["spend"] / t["new_customers"].replace(0, np.nan)
    return t.reset_index()[cols]


def cost_per_add(cost_per_touch: float, touches: float, adds: float) -> float:
    """Cost of one add (follow) = cost per touch x touches / adds.

    The parcel-card example: 0.05 x 1000 / 50 = 1.00. NaN when adds is 0.
    """
    return cost_per_touch * touches / adds if adds else float("nan")


def new_customers_by_channel_month(customers: pd.DataFrame, start: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """New customers per acquisition channel and first-order month within [start, as_of].

    Columns: channel, month, new_customers.
    """
    c = customers.loc[acquired_between(customers, start, as_of)]
    return c.groupby(["channel", "cohort_month"], observed=True).size().rename("new_customers").reset_index().rename(
        columns={"cohort_month": "month"})


def payback_months(curve: pd.DataFrame, cac: float, margin: float) -> float:
    """First month k whose cumulative gross-margin LTV (ltv x margin) reaches ``cac``.

    ``curve`` has columns month and ltv (one group). NaN when not reached
    within the data or when CAC is unknown; 0 when CAC is 0.
    """
    if not np.isfinite(cac):
        return float("nan")
    if cac <= 0:
        return 0.0
    hit = curve.loc[curve["ltv"] * margin >= cac, "month"]
    return float(hit.min()) if len(hit) else float("nan")


def cac_by_channel(all_orders: pd.DataFrame, refunds: pd.DataFrame, customers: pd.DataFrame,
                   spend: pd.DataFrame | None, start: pd.Timestamp, as_of: pd.Timestamp,
                   margin: float = DEFAULT_MARGIN, ltv_months: int = 12,
                   curves: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per channel: spend, funnel, CAC, ROAS, LTV:CAC and payback.

    Columns
    -------
    channel; spend (currency, NaN = no spend recorded); touches; adds;
    new_customers (first order in the window); repeat_customers (of those, 2+
    orders ever); cost_per_touch = spend / touches; cost_per_add = spend /
    adds; add_to_buyer = new_customers / adds (0..1); cac = spend /
    new_customers; revenue (all orders in the window by the channel's new
    customers, currency); roas = revenue / spend; ltv (net revenue per
    customer at ``ltv_months`` months, all customers of the channel);
    ltv_cac = LTV x margin / CAC of the same customers: the channel's acquisition months of the window
    with spend whose customers are ``ltv_months`` old (:func:`lib.model.metrics.paired_cohorts`; NaN when
    none is); payback_months (see :func:`payback_months`);
    status: "ok", "no spend (organic)" or "spend but no new customers".
    ``curves`` may pass :func:`lib.model.ltv.ltv_curves` by channel when already computed.
    """
    new_ids = customers.loc[acquired_between(customers, start, as_of)]
    per_ch = new_ids.groupby("channel", observed=True).size()
    repeaters = new_ids.loc[new_ids["orders"] >= 2].groupby("channel", observed=True).size()
    in_window = all_orders.loc[(all_orders["order_date"] >= start) & (all_orders["order_date"] < as_of + pd.Timedelta(days=1))]
    rev = in_window.merge(new_ids[["customer_id", "channel"]].rename(columns={"channel": "acq"}), on="customer_id") \
        .groupby("acq", observed=True)["amount"].sum()
    if spend is not None and len(spend):
        sp = spend.groupby("channel", observed=True).agg(spend=("spend", "sum"),
                                                         touches=("touches", lambda s: s.sum(min_count=1)),
                                                         adds=("adds", lambda s: s.sum(min_count=1)))
    else:
        sp = pd.DataFrame(columns=["spend", "touches", "adds"], dtype=float)
    channels = sorted(set(per_ch.index) | set(sp.index))
    t = pd.DataFrame(index=pd.Index(channels, name="channel"))
    t = t.join(sp)
    t["new_customers"] = per_ch.reindex(t.index).fillna(0).astype(int)
    t["repeat_customers"] = repeaters.reindex(t.index).fillna(0).astype(int)
    t["cost_per_touch"] = t["spend"] / t["touches"].replace(0, np.nan)
    t["cost_per_add"] = t["spend"] / t["adds"].replace(0, np.nan)
    t["add_to_buyer"] = t["new_customers"] / t["adds"].replace(0, np.nan)
    t["cac"] = t["spend"] / t["new_customers"].replace(0, np.nan)
    t["revenue"] = rev.reindex(t.index).fillna(0.0)
    t["roas"] = t["revenue"] / t["spend"].replace(0, np.nan)
    if curves is None:
        curves = ltv_curves(all_orders, refunds, customers, as_of, by="channel", max_months=max(ltv_months, 36))
    ltv = curves.loc[curves["month"] == ltv_months].set_index("group")["ltv"]
    t["ltv"] = ltv.reindex(t.index)
    # LTV:CAC on the same customers: the channel's acquisition months with spend whose customers are ltv_months old
    value = value_within(all_orders, refunds, new_ids, as_of, ltv_months).to_numpy()
    mine = {ch: (new_ids["channel"] == ch).to_numpy() for ch in t.index}
    t["ltv_cac"] = [paired_cohorts(new_ids.loc[mine[ch]], value[mine[ch]], None if spend is None else spend.loc[spend["channel"] == ch],
                                   as_of, margin, ltv_months).ratio for ch in t.index]
    t["payback_months"] = [payback_months(curves.loc[curves["group"] == ch], c, margin) for ch, c in t["cac"].items()]
    t["status"] = np.where(t["spend"].isna(), "no spend (organic)",
                           np.where(t["new_customers"] == 0, "spend but no new customers", "ok"))
    return t.reset_index()


def channel_funnel(table: pd.DataFrame) -> pd.DataFrame:
    """Long funnel per channel: stage (touches, adds, buyers, repeat buyers) and count.

    Stages with no data (e.g. no touches recorded) are left out.
    """
    rows = []
    for _, r in table.iterrows():
        for stage, col in (("touches", "touches"), ("adds", "adds"), ("buyers", "new_customers"),
                           ("repeat buyers", "repeat_customers")):
            v = r[col]
            if pd.notna(v):
                rows.append((r["channel"], stage, float(v)))
    return pd.DataFrame(rows, columns=["channel", "stage", "count"])


def cac_by_month(customers: pd.DataFrame, spend: pd.DataFrame | None, start: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """CAC per channel and month: channel, month, spend, new_customers, cac (NaN without customers)."""
    new = new_customers_by_channel_month(customers, start, as_of)
    if spend is None or not len(spend):
        return new.assign(spend=np.nan, cac=np.nan)
    t = spend[["channel", "month", "spend"]].merge(new, on=["channel", "month"], how="outer")
    t["new_customers"] = t["new_customers"].fillna(0).astype(int)
    t["cac"] = t["spend"] / t["new_customers"].replace(0, np.nan)
    return t.sort_values(["channel", "month"]).reset_index(drop=True)
