"""Cached calls of the heavy ``lib`` functions, keyed by dataset key, filters and parameters.

Arguments starting with ``_`` are not hashed (the view and forest are
identified by the key and filter values); results are small tables.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lib.model import metrics, order_level, tables
from lib.model.referrals import ReferralRates, referral_forest
from lib.model.view import View, previous_view, restrict
from ui.cache import Current, iso_date, prepared_dataset


def fkey(cur: Current) -> tuple:
    f = cur.filters
    return (cur.key, iso_date(f.date_from), iso_date(f.date_to), f.channels, f.platforms)


def _history_key(cur: Current) -> tuple:
    """What ``view.customers`` and ``view.all_orders`` depend on: the data, the window's end and the channels (not
    the window's start, so figures over the whole history up to the end survive moving the start)."""
    return (cur.key, iso_date(cur.view.as_of), cur.filters.channels, cur.filters.platforms)


@st.cache_data(max_entries=32, show_spinner=False)
def _ltv_at(h: tuple, _cur: Current) -> dict[int, float]:
    from lib.model.ltv import ltv_at

    return ltv_at(_cur.view, (3, 6, 12))


@st.cache_data(max_entries=32, show_spinner=False)
def overview(k: tuple, margin: float, _cur: Current) -> metrics.Overview:
    return metrics.overview(_cur.view, margin=margin, forest=_cur.forest, ltv=_ltv_at(_history_key(_cur), _cur))


@st.cache_data(max_entries=32, show_spinner=False)
def previous_overview(k: tuple, margin: float, _cur: Current) -> tuple[metrics.Overview, metrics.ValueDecomposition] | None:
    """Overview and decomposition of the period of equal length just before the window.

    None when that period starts before the data does: a comparison with a
    period the file only partly covers would show growth that is not there.
    """
    pv = previous_view(prepared_dataset(_cur.key, _cur.ds), _cur.view, _cur.filters.channels, _cur.filters.platforms)
    if pv is None:
        return None
    forest = referral_forest(pv.everyone)  # as of the previous period's end
    return metrics.overview(pv, margin=margin, forest=forest), metrics.value_decomposition(pv, forest)


@st.cache_data(max_entries=32, show_spinner=False)
def window_rows(k: tuple, _cur: Current) -> np.ndarray:
    """Rows of the forest (``view.everyone``) that are the window's customers."""
    return metrics.window_rows(_cur.view)


@st.cache_data(max_entries=32, show_spinner=False)
def referrals(k: tuple, _cur: Current) -> ReferralRates:
    """K-factor and sharing rate of the window's customers: what they brought in the window (as on the Overview)."""
    return metrics.window_referrals(_cur.view, _cur.forest)


@st.cache_data(max_entries=32, show_spinner=False)
def decomposition(k: tuple, _cur: Current) -> metrics.ValueDecomposition:
    return metrics.value_decomposition(_cur.view, _cur.forest)


@st.cache_data(max_entries=16, show_spinner=False)
def _ladder_movement(h: tuple, loyal_orders: int, _cur: Current) -> pd.DataFrame:
    return metrics.ladder_movement(_cur.view.all_orders, loyal_orders, _cur.view.all_by_customer)


@st.cache_data(max_entries=32, show_spinner=False)
def ladder(k: tuple, loyal_orders: int, _cur: Current) -> tuple[pd.DataFrame, pd.DataFrame]:
    return tables.ladder(_cur.view, loyal_orders, _cur.forest, _ladder_movement(_history_key(_cur), loyal_orders, _cur))


@st.cache_resource(max_entries=4, show_spinner=False)
def _first_orders(dataset_key: str, _cur: Current) -> np.ndarray:
    """Labels of every customer's first order; valid for every filter of the dataset."""
    return metrics.first_order_labels(prepared_dataset(dataset_key, _cur.ds).orders)


@st.cache_data(max_entries=32, show_spinner=False)
def revenue_split(k: tuple, _cur: Current) -> pd.DataFrame:
    return metrics.revenue_new_vs_returning(_cur.view.all_orders, _cur.view.orders, _first_orders(_cur.key, _cur),
                                            _cur.view.guests)


@st.cache_resource(max_entries=8, show_spinner=False)
def group_view(k: tuple, group: tuple[str, str] | None, _cur: Current) -> View:
    """The view, or its customers whose first order had the product / discount code ``group`` = (kind, value)."""
    if group is None:
        return _cur.view
    from lib.model.products import customers_of

    return restrict(_cur.view, customers_of(_cur.view, _cur.ds.lines, *group))


@st.cache_data(max_entries=16, show_spinner=False)
def cohort_groups(k: tuple, _cur: Current) -> dict[str, list[str]]:
    from lib.model.products import first_order_groups

    return first_order_groups(_cur.view, _cur.ds.lines)


@st.cache_data(max_entries=32, show_spinner=False)
def cohort_table(k: tuple, freq: str, _cur: Current, group: tuple[str, str] | None = None) -> pd.DataFrame:
    return tables.cohort_heatmap(group_view(k, group, _cur), freq)  # type: ignore[arg-type]


@st.cache_data(max_entries=32, show_spinner=False)
def repurchase(k: tuple, _cur: Current, group: tuple[str, str] | None = None) -> tables.Repurchase:
    return tables.repurchase(group_view(k, group, _cur))


@st.cache_data(max_entries=32, show_spinner=False)
def ltv_curves(k: tuple, by: str | None, _cur: Current, min_customers: int = 1) -> pd.DataFrame:
    return tables.ltv_by(_cur.view, by, min_customers=min_customers)


@st.cache_data(max_entries=32, show_spinner=False)
def cac_table(k: tuple, margin: float, _cur: Current) -> pd.DataFrame:
    return tables.cac_table(_cur.view, margin, curves=ltv_curves(k, "channel", _cur))


@st.cache_data(max_entries=16, show_spinner=False)
def prediction(k: tuple, months: int, discount: float, _cur: Current, holdout: float | None = None) -> tables.Predicted | str:
    """Per-customer CLV, fitted parameters, CLV per RFM segment and the backtest on the last ``holdout`` months
    (default 6, or a third of the history), or the reason a person can read."""
    return tables.prediction(_cur.view, months, discount, holdout)


@st.cache_data(max_entries=16, show_spinner=False)
def product_journey(k: tuple, _cur: Current):  # noqa: ANN201 - lib.model.products.Journey, imported late
    """First products and what comes next for the view's new customers (None when the file has no products)."""
    from lib.model.products import journey

    return None if _cur.ds.lines is None else journey(_cur.view, _cur.ds.lines)


@st.cache_data(max_entries=16, show_spinner=False)
def contacts(k: tuple, lang: str, currency: str, _cur: Current):  # noqa: ANN201 - lib.model.contacts.Contacts, imported late
    """Who to contact as of the window's end, with the models' P(active) and CLV when they can be fitted."""
    from lib.model.contacts import contacts as build

    predicted = prediction(k, 12, 0.0, _cur)
    return build(_cur.view, predicted if isinstance(predicted, str) else predicted.customers, _cur.forest, lang=lang,
                 currency=currency, reach=_cur.ds.contacts)


@st.cache_data(max_entries=16, show_spinner=False)
def by_platform(k: tuple, _cur: Current) -> pd.DataFrame:
    return metrics.by_platform(_cur.view)


@st.cache_data(max_entries=16, show_spinner=False)
def journey(k: tuple, owned: tuple[str, ...], _cur: Current):  # noqa: ANN201 - lib.model.journey.Journey or why not
    """Platform customers who moved to a channel the shop owns (``owned``: the platforms it owns; a dataset of
    several files)."""
    from lib.model.journey import journey as build

    return build(_cur.view, _cur.ds.contacts, owned_platforms=owned)


@st.cache_data(max_entries=16, show_spinner=False)
def list_intervals(k: tuple, lang: str, currency: str, _cur: Current) -> dict:
    """The 90 % interval of each contact list's predicted 12-month CLV (empty without the model's prediction)."""
    predicted = prediction(k, 12, 0.0, _cur)
    if isinstance(predicted, str):
        return {}
    lists = contacts(k, lang, currency, _cur).lists
    return tables.list_intervals(predicted, {name: pd.Index(df["customer_id"]) for name, df in lists.items()})


@st.cache_data(max_entries=16, show_spinner=False)
def order_breakdown(k: tuple, _cur: Current) -> order_level.OrderBreakdown:
    """The window's orders by month, channel and product: the Overview of a file that names no customers."""
    return order_level.order_breakdown(_cur.view, _cur.ds.lines)
