"""Human headers and number kinds for every table column the pages and downloads show.

The calculation modules name columns for code (``median_days``,
``cost_per_touch``); people read "Median days between orders". Each column
has one English header (translated by :mod:`lib.i18n`) and a kind that says
how to show it:

=========  ==============================================================
kind       shown as
=========  ==============================================================
int        whole number with thousands separators (customers, orders)
money      the shop's currency, 2 decimals
pct        a share 0..1 shown as a percentage
num        a plain number, 2 decimals (ratios, expected orders)
days       days, 1 decimal
plain      a number as it is (a column mixing kinds, e.g. the report's Overview values)
date       a date (YYYY-MM-DD)
month      a month (YYYY-MM)
text       text; values that are our own words (segments, steps) are translated
=========  ==============================================================
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.i18n import translate

COLUMNS: dict[str, tuple[str, str]] = {
    # people and orders
    "customer_id": ("Customer", "text"), "referrer_id": ("Referred by", "text"), "order_id": ("Order id", "text"),
    "order_date": ("Order date", "date"), "amount": ("Amount", "money"), "channel": ("Channel", "text"),
    "net_sales": ("Net sales (before tax and shipping)", "money"),
    "is_member": ("Member", "text"), "customers": ("Customers", "int"), "orders": ("Orders", "int"),
    "new_customers": ("New customers", "int"), "repeat_customers": ("Repeat customers", "int"),
    "revenue": ("Revenue", "money"), "spend": ("Spend", "money"), "touches": ("Touches", "int"), "adds": ("Adds", "int"),
    # the other fields a column of the file can be mapped to (lib.schema.ORDER_FIELDS): the mapping editor's labels
    "quantity": ("Quantity", "num"), "unit_price": ("Unit price", "money"),
    "subtotal": ("Subtotal (after discounts, before tax and shipping)", "money"), "tax": ("Tax", "money"),
    "shipping": ("Shipping", "money"), "refund_amount": ("Refund amount", "money"), "refund_status": ("Refund status", "text"),
    "cancelled_at": ("Cancelled (time or reason)", "text"), "sku": ("SKU", "text"), "discount_code": ("Discount code", "text"),
    "refund_date": ("Refund date", "date"),
    # cohorts and rhythm
    "cohort": ("Cohort", "month"), "period": ("Period", "int"), "cohort_size": ("Customers in cohort", "int"),
    "active": ("Active customers", "int"), "active_pct": ("Active customers %", "pct"),
    "revenue_per_customer": ("Revenue per customer", "money"), "cum_ltv": ("Cumulative LTV", "money"),
    "gaps": ("Repeat orders", "int"), "median_days": ("Median days between orders", "days"),
    "p25_days": ("25th percentile (days)", "days"), "p75_days": ("75th percentile (days)", "days"),
    "step": ("Order", "text"), "of_previous": ("Of the previous step", "pct"), "of_first": ("Of first orders", "pct"),
    "median_days_from_previous": ("Median days from the previous order", "days"),
    "repeat_30d": ("Repurchase within 30 days", "pct"), "repeat_60d": ("Repurchase within 60 days", "pct"),
    "repeat_90d": ("Repurchase within 90 days", "pct"), "repeat_180d": ("Repurchase within 180 days", "pct"),
    # LTV and CAC
    "group": ("Group", "text"), "month": ("Month", "month"), "ltv": ("LTV", "money"),
    "cost_per_touch": ("Cost per touch", "money"), "cost_per_add": ("Cost per add", "money"),
    "add_to_buyer": ("Adds who bought", "pct"), "cac": ("CAC", "money"), "roas": ("ROAS (revenue before refunds ÷ spend)", "num"),
    "ltv_cac": ("LTV:CAC", "num"), "payback_months": ("Payback (months)", "num"), "status": ("Status", "text"),
    # predictions and RFM
    "frequency": ("Repeat purchases", "int"), "recency": ("Weeks from first to last purchase", "num"),
    "T": ("Weeks as a customer", "num"), "monetary_value": ("Average repeat order", "money"),
    "expected_purchases": ("Expected orders", "num"), "p_alive": ("P(active)", "pct"), "clv": ("Predicted CLV", "money"),
    "file": ("File", "text"), "platform": ("Platform", "text"), "first_order": ("First order", "date"),
    "forecast": ("Forecast", "text"), "said": ("In words", "text"), "predicted_purchases": ("Predicted purchases", "num"),
    "actual_purchases": ("Actual purchases", "num"), "purchases_error": ("Purchases: off by", "pct"),
    "predicted_revenue": ("Predicted revenue", "money"), "actual_revenue": ("Actual revenue", "money"),
    "revenue_error": ("Revenue: off by", "pct"), "mean_abs_error": ("Mean error per customer", "money"),
    "segment": ("RFM segment", "text"), "avg_clv": ("Average predicted CLV", "money"), "avg_p_alive": ("Average P(active)", "pct"),
    "recency_days": ("Days since last order", "int"), "monetary": ("Amount spent", "money"), "r": ("R", "int"), "f": ("F", "int"),
    "m": ("M", "int"), "avg_recency_days": ("Average days since last order", "days"), "avg_orders": ("Average orders", "num"),
    # referrals
    "direct_referrals": ("Customers brought", "int"), "total_descendants": ("All descendants", "int"),
    "descendants_revenue": ("Descendants' revenue", "money"), "generation": ("Generation", "int"), "issue": ("Problem", "text"),
    "k": ("K (next ÷ this)", "num"),
    # products
    "product": ("Product", "text"), "share": ("Share of new customers", "pct"), "repeat_rate": ("Came back by the window's end", "pct"),
    "median_days_to_2nd": ("Median days to the 2nd order", "days"), "ltv_12m": ("12-month LTV", "money"),
    "ltv_customers": ("Customers 12+ months old", "int"), "repeat_vs_shop": ("Repeat rate − the shop's", "pct"),
    "ltv_vs_shop": ("12-month LTV ÷ the shop's", "num"), "first": ("First product", "text"),
    "second": ("Product of the 2nd order", "text"), "item": ("Line", "text"), "lines": ("Lines", "int"),
    # contacts
    "customer_name": ("Name", "text"), "phone": ("Phone", "text"), "email": ("Email", "text"),
    "list": ("List", "text"), "due_date": ("Due", "date"), "last_order": ("Last order", "date"),
    "days_since_last": ("Days since last order", "int"), "rhythm_days": ("Rhythm (days)", "days"),
    "rhythm_from": ("Rhythm from", "text"), "expected_next": ("Next order expected", "date"),
    "days_to_due": ("Days until due", "num"), "clv_12m": ("Predicted 12-month CLV", "money"), "expected_value": ("Expected spend per order", "money"),
    "brought": ("Customers brought", "int"), "clv_at_stake": ("CLV at stake", "money"),
    # ladder, planner, data quality
    "rung": ("Rung", "text"), "revenue_share": ("Share of revenue", "pct"), "avg_revenue": ("Revenue per customer", "money"),
    "new": ("New customers", "int"), "total": ("Total customers", "int"),
    "rows": ("Rows", "int"), "action": ("What happened", "text"), "reason": ("Why", "text"),
    "metric": ("Figure", "text"), "value": ("Value", "plain"),
}

# text columns whose values are the dashboard's own words (translated); other text is the user's data, shown as is
OUR_WORDS = frozenset({"step", "segment", "status", "issue", "rung", "action", "reason", "metric", "stage", "lever", "list",
                       "rhythm_from", "forecast"})
# rows of ours in a column of the user's data (the rhythm table's "All channels" above each channel): translated too
OUR_ROWS = frozenset({"All channels", "All customers"})

EXCEL_FORMATS = {"int": "#,##0", "money": "#,##0.00", "pct": "0.0%", "num": "#,##0.00", "days": "#,##0.0",
                 "date": "yyyy-mm-dd", "month": "yyyy-mm"}


def header(name: str, lang: str = "en") -> str:
    """The human header of the column or field ``name`` (:data:`COLUMNS`) in ``lang``; a name we do not know as it is.

    The sidebar's column mapping labels its fields with it: "Order id", not ``order_id``.
    """
    return translate(COLUMNS[name][0], lang) if name in COLUMNS else name


def with_headers(df: pd.DataFrame, lang: str = "en", currency: str = "") -> pd.DataFrame:
    """``df`` with the headers :func:`present` writes and its values untouched (no rounding, no "—"): a download
    of data for a spreadsheet, such as the cleaned orders, that a person reads by its headers."""
    out = df.copy()
    out.columns = unique_headers(describe(df, lang, currency=currency))
    return out


def leading(df: pd.DataFrame, first: Sequence[str]) -> pd.DataFrame:
    """``df`` with the columns ``first`` (those it has, in that order) before the others, which keep their order:
    the figures that matter where a wide table opens."""
    front = [c for c in first if c in df.columns]
    return df[front + [c for c in df.columns if c not in front]]


@dataclass(frozen=True)
class Column:
    """How one column is shown: its header in the session's language and its kind (see the module docstring)."""

    name: str
    header: str
    kind: str


def describe(df: pd.DataFrame, lang: str = "en", overrides: Mapping[str, tuple[str, str]] | None = None,
             currency: str = "") -> list[Column]:
    """A :class:`Column` per column of ``df``: known columns get their header and kind, others keep their name.

    A column that is not known is shown as text, or as a number of its dtype; a known date or month
    column that holds numbers (months since the first order) is shown as a number.
    ``overrides`` adds or replaces (English header, kind) pairs for one table.
    With a ``currency``, money headers say it: "Spend (¥)".
    """
    known = {**COLUMNS, **(overrides or {})}
    out = []
    for c in df.columns:
        name = str(c)
        if name in known:
            header, kind = known[name]
            if kind in ("month", "date") and pd.api.types.is_numeric_dtype(df[c]):
                # a count of months (LTV curves: months since the first order), not a calendar month: written as
                # a date it read "1900-01" on every row of the report
                header, kind = ("Months since first order", "int") if name == "month" else (header, "num")
        else:
            header = name
            s = df[c]
            kind = ("int" if pd.api.types.is_integer_dtype(s) else "num") if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) \
                else "date" if pd.api.types.is_datetime64_any_dtype(s) else "text"
        header = translate(header, lang)
        out.append(Column(name, f"{header} ({currency})" if kind == "money" and currency else header, kind))
    return out


def present(df: pd.DataFrame, lang: str = "en", overrides: Mapping[str, tuple[str, str]] | None = None,
            rename: bool = True, currency: str = "") -> pd.DataFrame:
    """``df`` as people read it: human headers, whole numbers rounded, money to cents, our words translated,
    "—" for missing text, yes/no for flags.

    Numbers stay numbers (a spreadsheet can sum them, a table can sort them);
    dates stay dates. With ``rename`` False the code names stay (the app sets
    headers through column settings). Headers that would repeat get the code
    name appended; ``currency`` as in :func:`describe`.
    """
    cols = describe(df, lang, overrides, currency)
    out = pd.DataFrame(index=df.index)
    for col, header in zip(cols, unique_headers(cols)):
        s = df[col.name]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if col.kind == "int" and numeric:
            s = s.round().astype("Int64") if s.isna().any() else s.round().astype(np.int64)
        elif col.kind in ("money", "num") and numeric:
            s = s.astype(float).round(2)
        elif col.kind == "days" and numeric:
            s = s.astype(float).round(1)
        elif col.kind == "text" or pd.api.types.is_bool_dtype(s):
            s = _text(s, lang, translate_values=col.name in OUR_WORDS)
        out[header if rename else col.name] = s.to_numpy() if not isinstance(s.dtype, pd.CategoricalDtype) else s.astype(object).to_numpy()
    return out.reset_index(drop=True)


def unique_headers(cols: list[Column]) -> list[str]:
    """The columns' headers, a repeated one followed by its code name (the headers :func:`present` writes)."""
    seen: set[str] = set()
    out = []
    for c in cols:
        header = c.header if c.header not in seen else f"{c.header} ({c.name})"
        seen.add(header)
        out.append(header)
    return out


def _text(s: pd.Series, lang: str, translate_values: bool) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: translate("yes", lang), False: translate("no", lang)}).astype(object)
    values = s.astype(object)
    return values.map(lambda v: "—" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                      else translate(v, lang) if isinstance(v, str) and (translate_values or v in OUR_ROWS) else v)
