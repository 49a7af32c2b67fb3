"""Product journeys: which first product brings customers back, and what they buy next.

Inputs are a :class:`lib.model.view.View` and the dataset's order lines
(``Dataset.lines``, see :mod:`lib.schema`). A *product* is the line's product
name as the file writes it, or its SKU when the file has no names. Lines that
are not products (postage, fees, manual adjustments: stock codes ``POST``,
``DOT``, ``M`` … in the UCI Online Retail data, 运费, 邮费 …) are left out of every
table and counted in :attr:`Journey.left_out`.

The customers are those **acquired in the view's window** (first order ever in
it), like the cohort views; their later orders count up to the window's end.
A customer belongs to the group of **every product of their first order** (a
first order of tea and a cup puts them in both groups) and to no other.

Figures per first product (``Journey.first``):

===================  ========================================================
column               meaning
===================  ========================================================
product              product name (or SKU)
customers            customers whose first order held it
share                customers ÷ all acquired customers with products (0..1)
repeat_rate          share of them with a 2nd order by the window's end (0..1)
median_days_to_2nd   median days from 1st to 2nd order, of those who came back
ltv_12m              net revenue per customer in the 12 months from the first
                     order, of customers 12+ months old at the window's end
                     (NaN when none is); the same definition as
                     :func:`lib.model.ltv.ltv_curves` at month 12
ltv_customers        customers the 12-month LTV is measured on
repeat_vs_shop       repeat_rate − the shop's repeat rate (percentage points as 0..1)
ltv_vs_shop          ltv_12m ÷ the shop's 12-month LTV (1.0 = the same)
===================  ========================================================
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.coerce import ids_in
from lib.model.customers import customer_runs
from lib.model.ltv import value_within
from lib.model.view import View

# UCI Online Retail's non-product stock codes, and words that name postage, fees and adjustments in exports.
NON_PRODUCT_CODES = frozenset({"POST", "DOT", "M", "C2", "D", "S", "B", "CRUK", "PADS", "BANK CHARGES", "AMAZONFEE",
                               "ADJUST", "ADJUST2", "TEST001", "TEST002"})
_NON_PRODUCT_WORDS = re.compile(
    r"^(?:postage|carriage|shipping|delivery|dotcom postage|manual|discount|bank charges|amazon fee|adjust bad debt|"
    r"samples?|fee|handling|tip|gift ?wrap(?:ping)?|运费|邮费|快递费|补运费|补差价?|补差价链接|手续费|包装费|优惠|折扣|调整)\b",
    re.IGNORECASE)


NO_PRODUCTS = ("This file has no product column, so product journeys cannot be shown. Map a product or SKU column "
               "(Product, Lineitem name, StockCode, 宝贝标题, 商品名称 …) in the column mapping, or upload an export with "
               "order lines.")


@dataclass(frozen=True)
class Journey:
    """What :func:`journey` returns (columns in the module docstring)."""

    first: pd.DataFrame        # per first product
    next: pd.DataFrame         # first product -> product of the 2nd order: first, second, customers, share
    shop: dict[str, float]     # customers, repeat_rate, median_days_to_2nd, ltv_12m, ltv_customers
    left_out: pd.DataFrame     # non-product lines: item, lines, amount
    customers_without_lines: int  # acquired customers whose first order has no product line


def standouts(j: Journey) -> tuple[pd.Series, pd.Series] | None:
    """The first products whose new customers come back most and least: rows of ``j.first`` (highest, lowest
    repeat_rate), among products with at least 10 customers and 2% of the shop's; None with fewer than two such."""
    big = j.first.loc[j.first["customers"] >= max(10, 0.02 * j.shop["customers"])].sort_values("repeat_rate")
    return (big.iloc[-1], big.iloc[0]) if len(big) >= 2 else None


def product_names(lines: pd.DataFrame) -> pd.Series:
    """The product each line stands for: its name, else its SKU (text; <NA> when neither)."""
    name = lines["product"].astype("string").str.strip().replace("", pd.NA)
    sku = lines["sku"].astype("string").str.strip().replace("", pd.NA)
    return name.fillna(sku)


def non_product(lines: pd.DataFrame) -> np.ndarray:
    """Per line: postage, a fee, a manual adjustment … rather than a product (bool array)."""
    sku = lines["sku"].astype("string").str.strip().str.upper()
    name = lines["product"].astype("string").str.strip()
    by_code = sku.isin(NON_PRODUCT_CODES).fillna(False).to_numpy(dtype=bool)
    by_name = name.str.contains(_NON_PRODUCT_WORDS).fillna(False).to_numpy(dtype=bool)
    return by_code | by_name


def nth_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Each customer's 1st and 2nd order: customer_id, first_order_id, first_date, second_order_id, second_date."""
    codes, uniq = pd.factorize(orders["customer_id"])
    order, starts = customer_runs(codes, orders["order_date"].to_numpy("datetime64[ns]"))
    counts = np.diff(np.r_[starts, len(order)])
    first = order[starts]
    second = order[np.minimum(starts + 1, max(len(order) - 1, 0))]
    has2 = counts >= 2
    ids = orders["order_id"].astype("string").to_numpy(dtype=object)
    dates = orders["order_date"].to_numpy("datetime64[ns]")
    return pd.DataFrame({
        "customer_id": pd.Series(np.asarray(uniq, dtype=object)[codes[first]], dtype="string"),
        "first_order_id": pd.Series(ids[first], dtype="string"),
        "first_date": dates[first],
        "second_order_id": pd.Series(np.where(has2, ids[second], None), dtype="string"),
        "second_date": np.where(has2, dates[second], np.datetime64("NaT")),
    })


def first_order_groups(view: View, lines: pd.DataFrame | None, top: int = 15) -> dict[str, list[str]]:
    """The groups a cohort view can be narrowed to: {"product": the ``top`` commonest first products of the view's
    new customers, "discount_code": every code on a first order}; a key is missing when the file has none."""
    out: dict[str, list[str]] = {}
    if lines is not None:
        j = journey(view, lines)
        out["product"] = j.first["product"].head(top).astype(str).tolist()
    if "discount_code" in view.all_orders.columns:
        first_codes = _first_codes(view.all_orders, nth_orders(view.all_orders)).dropna()
        if len(first_codes):
            out["discount_code"] = first_codes.value_counts().index.astype(str).tolist()
    return out


def _first_codes(orders: pd.DataFrame, nth: pd.DataFrame) -> pd.Series:
    """The discount code of each customer's first order, in the rows of ``nth`` (text, <NA> for none)."""
    codes = orders.set_index(orders["order_id"].astype("string"))["discount_code"]
    return pd.Series(codes.reindex(nth["first_order_id"]).to_numpy(), dtype="string")


def customers_of(view: View, lines: pd.DataFrame | None, kind: str, value: str) -> pd.Index:
    """Customer ids whose first order held product ``value`` (``kind`` "product", non-product lines aside) or
    carried discount code ``value`` (``kind`` "discount_code")."""
    nth = nth_orders(view.all_orders)
    if kind == "product":
        if lines is None:
            return pd.Index([], dtype="string")
        keep = ~non_product(lines)
        names = product_names(lines)
        hit = lines.loc[keep & (names == value).fillna(False).to_numpy(), "order_id"].astype("string")
        return pd.Index(nth.loc[ids_in(nth["first_order_id"], hit), "customer_id"])
    first = _first_codes(view.all_orders, nth)
    return pd.Index(nth.loc[first.eq(value).fillna(False).to_numpy(dtype=bool), "customer_id"])


def journey(view: View, lines: pd.DataFrame, months: int = 12, top_pairs: int = 20) -> Journey:
    """First-product groups and first -> second product flows for the view's new customers."""
    lines = lines.loc[ids_in(lines["order_id"], view.all_orders["order_id"])]
    off = non_product(lines)
    items = product_names(lines)
    left = lines.loc[off].assign(item=items[off])
    left_out = (left.groupby("item", dropna=False, observed=True)
                .agg(lines=("order_id", "size"), amount=("amount", "sum")).reset_index()
                .sort_values("lines", ascending=False, ignore_index=True))
    kept = pd.DataFrame({"order_id": lines["order_id"].astype("string").to_numpy()[~off],
                         "product": items.to_numpy()[~off]}).dropna().drop_duplicates()
    acquired = view.customers.loc[view.acquired(), "customer_id"].astype("string")
    nth = nth_orders(view.all_orders)
    nth = nth.loc[ids_in(nth["customer_id"], acquired)].reset_index(drop=True)
    value = value_within(view.all_orders, view.all_refunds, view.customers, view.as_of, months)
    value.index = value.index.astype("string")
    nth["ltv"] = value.reindex(nth["customer_id"]).to_numpy()
    nth["days_to_2nd"] = (nth["second_date"] - nth["first_date"]).dt.total_seconds() / 86400
    firsts = nth.merge(kept, left_on="first_order_id", right_on="order_id", how="inner")
    with_lines = firsts["customer_id"].nunique()
    shop_rows = nth.loc[ids_in(nth["customer_id"], firsts["customer_id"])]
    shop = _figures(shop_rows)
    g = firsts.groupby("product", observed=True)
    first = pd.DataFrame({
        "customers": g["customer_id"].nunique(),
        # counted, not applied per group: an empty window's table stays numeric (apply kept the ids' text dtype)
        "repeat_rate": g["second_order_id"].count() / g.size(),
        "median_days_to_2nd": g["days_to_2nd"].median(),
        "ltv_12m": g["ltv"].mean(),
        "ltv_customers": g["ltv"].count(),
    }).reset_index()
    first["share"] = first["customers"] / max(with_lines, 1)
    first["repeat_vs_shop"] = first["repeat_rate"] - shop["repeat_rate"]
    first["ltv_vs_shop"] = first["ltv_12m"] / shop["ltv_12m"] if shop["ltv_12m"] else np.nan
    first = first[["product", "customers", "share", "repeat_rate", "median_days_to_2nd", "ltv_12m", "ltv_customers",
                   "repeat_vs_shop", "ltv_vs_shop"]].sort_values(["customers", "product"], ascending=[False, True],
                                                                    ignore_index=True)
    seconds = firsts.dropna(subset=["second_order_id"]).merge(
        kept.rename(columns={"order_id": "second_order_id", "product": "second"}), on="second_order_id", how="inner")
    pairs = (seconds.groupby(["product", "second"], observed=True)["customer_id"].nunique()
             .rename("customers").reset_index().rename(columns={"product": "first"}))
    repeaters = firsts.dropna(subset=["second_order_id"]).groupby("product")["customer_id"].nunique()
    pairs["share"] = pairs["customers"] / pairs["first"].map(repeaters).to_numpy(float)
    pairs = pairs.sort_values(["customers", "first", "second"], ascending=[False, True, True], ignore_index=True).head(top_pairs)
    return Journey(first, pairs, shop, left_out, int(len(nth) - with_lines))


def _figures(rows: pd.DataFrame) -> dict[str, float]:
    came_back = rows["second_order_id"].notna()
    return {
        "customers": float(len(rows)),
        "repeat_rate": float(came_back.mean()) if len(rows) else float("nan"),
        "median_days_to_2nd": float(rows.loc[came_back, "days_to_2nd"].median()) if came_back.any() else float("nan"),
        "ltv_12m": float(rows["ltv"].mean()) if rows["ltv"].notna().any() else float("nan"),
        "ltv_customers": float(rows["ltv"].count()),
    }
