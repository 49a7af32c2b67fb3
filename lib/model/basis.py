"""The revenue basis: what an order's amount counts (Shopify's two definitions).

* ``"total"``: the order total the customer paid, tax and shipping included (the
  file's amount column; every file has this basis).
* ``"net"``: **net sales**, before tax and shipping: the orders' ``net_sales``
  column (see :mod:`lib.schema`), only when the file maps a subtotal, tax or
  shipping column.

Every figure follows the basis through the order amounts: :func:`on_basis` gives
the dataset whose ``amount`` is the chosen one. A refund of a known order is
taken in the same proportion as its order (an order of 125 with net sales of
100 refunded 50 is 40 of net sales refunded); a refund whose order is not in
the data (a refund row with an id of its own) in the proportion of all orders.
"""
from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import pandas as pd

from lib.schema import Dataset, with_guests

RevenueBasis = Literal["total", "net"]
BASES: tuple[RevenueBasis, ...] = ("total", "net")
BASIS_NAMES: dict[str, str] = {"total": "order totals (with tax and shipping)", "net": "net sales (before tax and shipping)"}


def has_net_sales(ds: Dataset) -> bool:
    """Whether the dataset offers the net-sales basis (its file maps a subtotal, tax or shipping column)."""
    return "net_sales" in ds.orders.columns


NO_NET_SALES = ("This file has no subtotal, tax or shipping column, so there is no net-sales basis: its revenue is the "
                "order totals.")


def basis_name(ds: Dataset) -> str:
    """The dataset's revenue basis in words ("net sales (before tax and shipping)"; a file without the choice: its
    order amounts)."""
    return BASIS_NAMES[ds.revenue_basis] if has_net_sales(ds) else "order amounts as the file gives them"


def on_basis(ds: Dataset, basis: str) -> Dataset:
    """``ds`` with order amounts on ``basis`` (``ds`` itself for "total", or when it has no net sales).

    Orders' and guest orders' ``amount`` become their ``net_sales`` (currency); each refund of an order in
    the data is scaled by that order's net sales ÷ total (1 for an order of total 0), any other refund by
    all orders' net sales ÷ total.
    """
    if basis not in BASES:
        raise ValueError(f"Unknown revenue basis {basis!r}: one of {', '.join(BASES)}.")
    if basis == "total" or not has_net_sales(ds):
        return ds
    orders = ds.orders.assign(amount=ds.orders["net_sales"].to_numpy(float))
    guests = ds.guests if ds.guests is not None and "net_sales" in ds.guests.columns else None
    every = with_guests(ds.orders, guests)  # the orders on their totals, for each one's share of net sales
    total, net = every["amount"].to_numpy(float), every["net_sales"].to_numpy(float)
    share = pd.Series(np.where(total > 0, net / np.where(total > 0, total, 1.0), 1.0), index=every["order_id"].to_numpy())
    share = share[~share.index.duplicated()]
    overall = float(net.sum() / total.sum()) if total.sum() > 0 else 1.0
    factor = share.reindex(ds.refunds["order_id"].to_numpy()).fillna(overall).to_numpy(float)
    refunds = ds.refunds.assign(amount=ds.refunds["amount"].to_numpy(float) * factor)
    on_net = guests.assign(amount=guests["net_sales"].to_numpy(float)) if guests is not None else ds.guests
    return dataclasses.replace(ds, orders=orders, refunds=refunds, guests=on_net, revenue_basis="net")
