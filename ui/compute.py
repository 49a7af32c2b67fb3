"""Cached calls of the heavy ``lib`` functions, keyed by dataset key, filters and parameters.

Arguments starting with ``_`` are not hashed (the view and forest are
identified by the key and filter values); results are small tables.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from lib import cac, cohorts, ltv, metrics
from lib.errors import DataError, ModelError
from lib.filters import Filters, acquired_between, apply_filters
from ui.state import Current, _iso, _prepared


def fkey(cur: Current) -> tuple:
    f = cur.filters
    return (cur.key, _iso(f.date_from), _iso(f.date_to), f.channels)


@st.cache_data(max_entries=32, show_spinner=False)
def overview(k: tuple, margin: float, _cur: Current) -> dict[str, Any]:
    return metrics.overview(_cur.view, margin=margin, forest=_cur.forest)


@st.cache_data(max_entries=32, show_spinner=False)
def previous_overview(k: tuple, margin: float, _cur: Current) -> tuple[dict[str, Any], metrics.ValueDecomposition] | None:
    """Overview and decomposition of the period of equal length just before the window."""
    v = _cur.view
    length = v.as_of - v.start
    prev_to = v.start - pd.Timedelta(days=1)
    prev_from = prev_to - length
    try:
        pv = apply_filters(_prepared(_cur.key, _cur.ds), Filters(prev_from, prev_to, _cur.filters.channels))
    except DataError:
        return None
    forest = _cur.forest  # same channels, so the same customers and forest
    return metrics.overview(pv, margin=margin, forest=forest), metrics.value_decomposition(pv.orders, pv.customers, forest)


@st.cache_data(max_entries=32, show_spinner=False)
def decomposition(k: tuple, _cur: Current) -> metrics.ValueDecomposition:
    return metrics.value_decomposition(_cur.view.orders, _cur.view.customers, _cur.forest)


@st.cache_data(max_entries=32, show_spinner=False)
def ladder(dataset_key: str, channels: tuple[str, ...] | None, loyal_orders: int, _cur: Current) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ladder and its movement: they depend on the channel filter only (full history)."""
    active = _cur.view.customers
    return (metrics.value_ladder(active, loyal_orders=loyal_orders, forest=_cur.forest),
            metrics.ladder_movement(_cur.view.all_orders, loyal_orders))


@st.cache_resource(max_entries=4, show_spinner=False)
def _first_orders(dataset_key: str, _cur: Current) -> np.ndarray:
    """Labels of every customer's first order; valid for every filter of the dataset."""
    return metrics.first_order_labels(_prepared(dataset_key, _cur.ds).orders)


@st.cache_data(max_entries=32, show_spinner=False)
def revenue_split(k: tuple, _cur: Current) -> pd.DataFrame:
    return metrics.revenue_new_vs_returning(_cur.view.all_orders, _cur.view.orders, _first_orders(_cur.key, _cur))


@st.cache_data(max_entries=32, show_spinner=False)
def cohort_table(k: tuple, freq: str, _cur: Current) -> pd.DataFrame:
    v = _cur.view
    cust = v.customers.loc[acquired_between(v.customers, v.start, v.as_of)]  # cohorts acquired in the window
    return cohorts.cohort_table(v.all_orders, v.all_refunds, cust, v.as_of, freq=freq)  # type: ignore[arg-type]


@st.cache_data(max_entries=32, show_spinner=False)
def repurchase(k: tuple, _cur: Current) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    v = _cur.view
    by_cohort = cohorts.repurchase_by_cohort(v.all_orders, v.customers, v.as_of)
    by_cohort = by_cohort.loc[by_cohort["cohort"] >= v.start.to_period("M").to_timestamp()]
    gaps = cohorts.days_between_orders(v.all_orders, v.customers)
    return by_cohort, gaps, cohorts.contact_rhythm(gaps), cohorts.order_funnel(v.all_orders, v.customers, gaps)


@st.cache_data(max_entries=32, show_spinner=False)
def ltv_curves(k: tuple, by: str | None, _cur: Current, min_customers: int = 1) -> pd.DataFrame:
    v = _cur.view
    return ltv.ltv_curves(v.all_orders, v.all_refunds, v.customers, v.as_of, by=by, max_months=36, min_customers=min_customers)


@st.cache_data(max_entries=32, show_spinner=False)
def cac_table(k: tuple, margin: float, _cur: Current) -> pd.DataFrame:
    v = _cur.view
    curves = ltv_curves(k, "channel", _cur)
    return cac.cac_by_channel(v.all_orders, v.all_refunds, v.customers, v.spend, v.start, v.as_of, margin, curves=curves)


@st.cache_data(max_entries=16, show_spinner=False)
def prediction(k: tuple, months: int, discount: float,
               _cur: Current) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame] | str:
    """Per-customer CLV, fitted parameters and CLV per RFM segment, or the reason a person can read."""
    v = _cur.view
    try:
        p = ltv.predict_clv(v.all_orders, v.as_of, months=months, monthly_discount=discount)
    except ModelError as err:
        return str(err)
    segments = metrics.rfm_scores(v.customers, v.as_of)
    params = {"r": p.bgnbd.r, "alpha": p.bgnbd.alpha, "a": p.bgnbd.a, "b": p.bgnbd.b,
              "p": p.gamma_gamma.p, "q": p.gamma_gamma.q, "v": p.gamma_gamma.v}
    return p.customers.assign(customer_id=p.customers["customer_id"].astype(str)), params, ltv.clv_by_segment(p.customers, segments)
