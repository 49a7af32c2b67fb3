"""The private-domain journey: customers acquired on a rented platform who moved to a channel the shop owns (#23).

A private-domain shop's real work is moving buyers from the platforms it rents (Taobao, Douyin,
Pinduoduo, JD) into the channels it owns (WeChat shop, Youzan, its own store), where repurchase and
sharing cost nothing. On a dataset of several files (:mod:`lib.clean.many`, orders with a ``platform``),
per acquisition platform (the platform of the customer's first order, full history): customers,
how many **moved** (a later order on an owned platform), their share, the median days to the first
owned order, their revenue in the 12 months from that order against the revenue of those who stayed in
the 12 months from their first order; which owned platform they moved to; and the platform customers
who have not moved yet but have a phone to reach them. Money in the shop's currency, before refunds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.model.view import View
from lib.schema import DAYS_PER_MONTH

RENTED = ("Taobao", "Tmall", "Douyin", "Pinduoduo", "JD", "Kuaishou")  # platforms a shop rents (words in a platform's name)
OWNED = ("Youzan", "WeChat", "Weidian", "Shopify", "WooCommerce", "Square")  # channels it owns
NEEDS_PLATFORMS = ("The journey needs the files of a platform (Taobao, Douyin, Pinduoduo …) and of a channel the shop "
                   "owns (Youzan, WeChat shop, its own store) read together.")


def kind(platform: str, rented: tuple[str, ...] = RENTED, owned: tuple[str, ...] = OWNED) -> str:
    """"rented", "owned" or "" (neither) for a platform's name, by the words in it."""
    if any(w.lower() in platform.lower() for w in rented):
        return "rented"
    return "owned" if any(w.lower() in platform.lower() for w in owned) else ""


@dataclass(frozen=True)
class Journey:
    """by_platform: acquisition platform, customers, moved, share (0..1), median_days_to_move, value_after_move
    (mean revenue in the 12 months from the first owned order, currency), value_stayed (mean revenue of those who
    stayed, in the 12 months from their first order); moved_to: first owned platform, customers; not_moved:
    customer_id, (customer_name,) phone, platform, first_order, orders, spend (currency): the platform customers who
    have not moved and have a phone to reach them, biggest spenders first."""

    by_platform: pd.DataFrame
    moved_to: pd.DataFrame
    not_moved: pd.DataFrame


def journey(view: View, reach: pd.DataFrame | None = None, months: int = 12, rented: tuple[str, ...] = RENTED,
            owned: tuple[str, ...] = OWNED, owned_platforms: tuple[str, ...] | None = None) -> Journey | str:
    """The journey of the view's customers (history up to its end), or why there is none (:data:`NEEDS_PLATFORMS`);
    ``reach``: the dataset's contacts (``Dataset.contacts``), for whom to call among those who have not moved;
    ``owned_platforms``: the platforms the shop owns, by name (the person's choice), every other one rented;
    None: by the words in :data:`RENTED` and :data:`OWNED`."""
    o = view.all_orders
    if "platform" not in o.columns:
        return NEEDS_PLATFORMS
    chosen = set(owned_platforms or ())
    which = (lambda p: "owned" if p in chosen else "rented") if owned_platforms is not None else (
        lambda p: kind(p, rented, owned))
    o = o.assign(customer_id=o["customer_id"].astype(str), kind=o["platform"].astype(str).map(which))
    if not ((o["kind"] == "rented").any() and (o["kind"] == "owned").any()):
        return NEEDS_PLATFORMS
    o = o.sort_values(["customer_id", "order_date"], kind="stable")
    first = o.groupby("customer_id", sort=False).first()
    on_platform = first.index[first["kind"] == "rented"]
    later = o.loc[o["customer_id"].isin(on_platform) & (o["kind"] == "owned")]
    move = later.groupby("customer_id", sort=False).first()
    horizon = pd.Timedelta(days=months * DAYS_PER_MONTH)

    def value_from(start: pd.Series) -> pd.Series:
        """Revenue of each customer of ``start`` (their start date) in the ``months`` months from it."""
        mine = o.loc[o["customer_id"].isin(start.index)]
        at = start.reindex(mine["customer_id"]).to_numpy("datetime64[ns]")
        dates = mine["order_date"].to_numpy("datetime64[ns]")
        inside = (dates >= at) & (dates < at + horizon.to_timedelta64())
        return mine.loc[inside].groupby("customer_id")["amount"].sum().reindex(start.index).fillna(0.0)

    c = first.loc[on_platform, ["platform", "order_date"]].rename(columns={"order_date": "first_order"})
    c["moved"] = c.index.isin(move.index)
    c["days"] = (move["order_date"].reindex(c.index) - c["first_order"]).dt.total_seconds() / 86400
    c["after"] = value_from(move["order_date"]).reindex(c.index)
    c["stayed"] = value_from(c.loc[~c["moved"], "first_order"]).reindex(c.index)
    g = c.groupby("platform", sort=True)
    by = pd.DataFrame({"customers": g.size(), "moved": g["moved"].sum().astype(int),
                       "median_days_to_move": g["days"].median(), "value_after_move": g["after"].mean(),
                       "value_stayed": g["stayed"].mean()}).reset_index()
    by.insert(3, "share", by["moved"] / by["customers"])
    moved_to = move["platform"].value_counts().rename_axis("platform").rename("customers").reset_index()
    return Journey(by, moved_to, _not_moved(o, c.loc[~c["moved"]], reach))


def _not_moved(o: pd.DataFrame, stayed: pd.DataFrame, reach: pd.DataFrame | None) -> pd.DataFrame:
    """The platform customers who have not moved and have a phone: customer_id, (customer_name,) phone, platform,
    first_order, orders, spend."""
    mine = o.loc[o["customer_id"].isin(stayed.index)].groupby("customer_id")
    out = pd.DataFrame({"platform": stayed["platform"], "first_order": stayed["first_order"],
                        "orders": mine.size().reindex(stayed.index).astype(np.int64),
                        "spend": mine["amount"].sum().reindex(stayed.index)}).rename_axis("customer_id").reset_index()
    cols = [c for c in ("customer_name", "phone") if reach is not None and c in reach.columns]
    if reach is None or "phone" not in cols:
        return out.iloc[:0].assign(phone=pd.Series([], dtype="string"))
    known = reach.assign(customer_id=reach["customer_id"].astype(str)).set_index("customer_id")[cols]
    out = out.join(known, on="customer_id")
    out = out.loc[out["phone"].notna()]
    return out[["customer_id", *cols, "platform", "first_order", "orders", "spend"]].sort_values(
        ["spend", "customer_id"], ascending=[False, True], ignore_index=True)
