"""Order-level figures for a file that names no customers (masked buyers: Douyin's ***, Taobao's 密文; no customer
column mapped): what the Overview can still say when customers cannot be followed.

Every table counts the window's orders (customers' and guest orders alike, as the Overview's order totals do) and
the refunds dated in the window; money in the shop's currency, before refunds unless named ``refunds``/``net``.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.model.money import money_back
from lib.model.products import non_product, product_names
from lib.model.view import View
from lib.schema import NO_CHANNEL

OTHERS = "(others)"
UNNAMED = "(no name)"  # a line with neither a product name nor a SKU: its money still counts


@dataclass
class OrderBreakdown:
    """``by_month``: month (first day), orders, revenue, refunds, net (revenue − refunds), aov (revenue ÷ orders);
    every month from the window's first to its last. ``by_channel``: channel, orders, revenue, share (of revenue,
    0..1), biggest first; None without a channel column. ``by_product``: product, orders (with the product),
    quantity, revenue (line amounts), share; the ``top`` products and the rest as "(others)"; None without product
    lines. ``refund_rate``: refunds ÷ revenue (0..1, NaN without revenue)."""

    by_month: pd.DataFrame
    by_channel: pd.DataFrame | None
    by_product: pd.DataFrame | None
    refund_rate: float


def _months(view: View, orders: pd.DataFrame, refunds: pd.DataFrame) -> pd.DataFrame:
    months = pd.period_range(view.start, view.as_of, freq="M")
    o = orders.groupby(orders["order_date"].dt.to_period("M")).agg(orders=("amount", "size"), revenue=("amount", "sum"))
    r = refunds.groupby(refunds["refund_date"].dt.to_period("M"))["amount"].sum().rename("refunds")
    out = o.reindex(months).join(r.reindex(months)).fillna(0.0)
    out["orders"] = out["orders"].astype(int)
    out["net"] = out["revenue"] - out["refunds"]
    out["aov"] = (out["revenue"] / out["orders"]).where(out["orders"] > 0)
    out.index = out.index.to_timestamp()
    return out.rename_axis("month").reset_index()


def _channels(orders: pd.DataFrame) -> pd.DataFrame | None:
    if "channel" not in orders.columns or orders["channel"].isna().all():
        return None
    out = orders.groupby(orders["channel"].fillna(NO_CHANNEL), observed=True).agg(
        orders=("amount", "size"), revenue=("amount", "sum")).sort_values("revenue", ascending=False)
    total = out["revenue"].sum()
    out["share"] = out["revenue"] / total if total else float("nan")
    return out.rename_axis("channel").reset_index()


def _products(lines: pd.DataFrame | None, orders: pd.DataFrame, top: int) -> pd.DataFrame | None:
    if lines is None or not len(lines):
        return None
    mine = lines.loc[lines["order_id"].isin(orders["order_id"])]
    mine = mine.loc[~non_product(mine)]
    if not len(mine):
        return None
    d = pd.DataFrame({"product": product_names(mine).fillna(UNNAMED).to_numpy(), "order_id": mine["order_id"].to_numpy(),
                      "quantity": pd.to_numeric(mine["quantity"], errors="coerce").to_numpy(),
                      "revenue": mine["amount"].to_numpy(float)})
    per = d.groupby("product").agg(orders=("order_id", "nunique"), quantity=("quantity", "sum"),
                                   revenue=("revenue", "sum")).sort_values("revenue", ascending=False)
    if len(per) > top:
        rest = per.iloc[top:]
        rest_orders = d.loc[d["product"].isin(rest.index), "order_id"].nunique()
        per = pd.concat([per.iloc[:top], pd.DataFrame({"orders": [rest_orders], "quantity": [rest["quantity"].sum()],
                                                       "revenue": [rest["revenue"].sum()]}, index=[OTHERS])])
    total = per["revenue"].sum()
    per["share"] = per["revenue"] / total if total else float("nan")
    return per.rename_axis("product").reset_index()


def order_breakdown(view: View, lines: pd.DataFrame | None = None, top: int = 15) -> OrderBreakdown:
    """The window's orders by month, channel and product, and its refunds (see :class:`OrderBreakdown`). ``lines``:
    the dataset's order lines (``Dataset.lines``), for the products."""
    orders = view.every_order()
    refunds = money_back(view.refunds)
    revenue = float(orders["amount"].sum())
    return OrderBreakdown(_months(view, orders, refunds), _channels(orders), _products(lines, orders, top),
                          float(refunds["amount"].sum()) / revenue if revenue else float("nan"))
