"""Net sales: each order's value before tax and shipping (Shopify's "net sales"), when the file says what they are.

The orders get a ``net_sales`` column only when the mapping has a subtotal, tax or shipping
(:data:`lib.schema.NET_SALES_FIELDS`): the order's subtotal where the file writes one, else its amount
less its tax and shipping (a blank tax or shipping is 0), never below 0. Each field is read per row
(:func:`read_net_sales_fields`), merged per order with the lines (:func:`net_sales_fields_per_order`:
taken once when it is the order's, written on each of its lines, else summed), then combined
(:func:`with_net_sales`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.typing import DataFrameGroupBy

from lib import coerce
from lib.clean.groups import OrderGroups, constant_in_orders
from lib.schema import NET_SALES_FIELDS, Mapping, QualityReport


def _varies_in_orders(values: pd.Series, groups: OrderGroups) -> bool:
    """Whether some multi-row order has two different filled values (blanks ignored)."""
    v = values.to_numpy(dtype=float, na_value=np.nan)
    keep = groups.multi & np.isfinite(v)
    if not keep.any():
        return False
    return bool((pd.Series(v[keep]).groupby(groups.codes[keep], sort=False).nunique() > 1).any())


def read_net_sales_fields(df: pd.DataFrame, mapping: Mapping, groups: OrderGroups | None, level: set[str],
                          report: QualityReport) -> tuple[dict[str, pd.Series], set[str]]:
    """Each row's subtotal, tax and shipping (currency, NaN when blank), for the fields mapped, and those of them
    taken once per order.

    Parameters
    ----------
    df : pd.DataFrame
        The sheet's rows (columns as in the file), order fields carried down.
    mapping : Mapping
        Field -> column; reads ``subtotal``, ``tax``, ``shipping``.
    groups : OrderGroups or None
        The rows grouped by order id (None when every id is unique).
    level : set of str
        Fields already known to be the order's (the export's profile, carried down from first rows, an amount
        that repeats on every line).
    report : QualityReport
        Gets a note when tax or shipping cannot be taken off.

    Returns
    -------
    dict, set
        Column name (the field's) -> values on ``df``'s index; the fields taken once per order: those in
        ``level``; a tax or shipping the same on every line of each order (they are the order's); a subtotal
        that repeats on every line of every multi-row order, or never varies within an order whose amount
        is the order's.

    Without an amount column the amount is the lines' quantity × unit price, which holds no shipping: tax
    and shipping are then not taken off (their values are NaN).
    """
    out: dict[str, pd.Series] = {}
    once: set[str] = set()
    for f in NET_SALES_FIELDS:
        if f not in mapping:
            continue
        values = coerce.to_money(df[mapping[f]]).values
        if f != "subtotal" and "amount" not in mapping:
            values = pd.Series(np.nan, index=df.index)
        out[f] = values
        if f in level:
            once.add(f)
        elif groups is None:
            continue  # one row per order: nothing to merge
        elif f == "subtotal":
            if constant_in_orders(values, groups) or ("amount" in level and not _varies_in_orders(values, groups)):
                once.add(f)
        elif not _varies_in_orders(values, groups):
            once.add(f)
    if "amount" not in mapping and ({"tax", "shipping"} & out.keys()):
        report.notes.append("Net sales: the amount is quantity × unit price, before shipping: tax and shipping are "
                            "not taken off it.")
    return out, once


def net_sales_fields_per_order(g: DataFrameGroupBy, level: frozenset[str] | set[str]) -> dict[str, pd.Series]:
    """The subtotal, tax and shipping of each order (on the order ids of ``g``, the rows grouped by order id),
    for those the rows carry: the first filled when the field is in ``level``, else the sum (NaN when blank
    on every line)."""
    have = [f for f in NET_SALES_FIELDS if f in g.obj.columns]
    return {f: g[f].first() if f in level else g[f].sum(min_count=1) for f in have}


def with_net_sales(orders: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    """The orders with ``net_sales`` (currency, >= 0) in place of their subtotal, tax and shipping columns, or as
    they are without those columns.

    ``net_sales`` is the subtotal where there is one, else amount − tax − shipping (blank tax or shipping: 0);
    with both, the smaller (a store whose prices include tax writes them in its subtotal: Shopify in the EU).
    Below 0 it is 0, and such orders of a positive amount are counted in ``report`` (code
    ``net_sales_below_zero``, with their amount).
    """
    have = [f for f in NET_SALES_FIELDS if f in orders.columns]
    if not have:
        return orders
    zero = pd.Series(0.0, index=orders.index)
    taken_off = orders["tax"].fillna(0.0) if "tax" in orders.columns else zero
    taken_off = taken_off + (orders["shipping"].fillna(0.0) if "shipping" in orders.columns else zero)
    net = orders["amount"].astype("float64") - taken_off
    if "subtotal" in orders.columns:  # the smaller: a tax-inclusive store's subtotal holds its tax (EU, UK, AU)
        sub = orders["subtotal"]
        net = sub.where(sub.notna(), net) if have == ["subtotal"] else pd.Series(np.fmin(sub, net), index=orders.index)
    below = (net < 0) & (orders["amount"] > 0)
    report.add("net_sales_below_zero", int(below.sum()), "changed", float(orders.loc[below, "amount"].sum()))
    return orders.drop(columns=have).assign(net_sales=net.clip(lower=0.0).astype("float64"))
