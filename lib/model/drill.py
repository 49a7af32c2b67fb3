"""The customers behind a figure: every aggregate the pages show opens to the people it counts.

Each function returns the customer ids (text, an :class:`pandas.Index`) a figure counts, computed by the
same code as the figure, so their number always equals it; :func:`behind` gives their rows of the
Who to contact table (:attr:`lib.model.contacts.Contacts.customers`: name, phone and email where the
file has them, last order, orders, spend, channel, P(active), predicted CLV, RFM segment).
"""
from __future__ import annotations

import pandas as pd

from lib.model.cohorts import Freq, order_periods
from lib.model.customers import acquired_between, customer_ids
from lib.model.metrics import ladder_rungs
from lib.model.products import customers_of
from lib.model.referrals import ReferralForest
from lib.model.tables import new_customers
from lib.model.view import View

SHOWN = ("customer_id", "customer_name", "phone", "email", "last_order", "orders", "spend", "channel", "p_alive",
         "clv_12m", "segment")


def behind(customers: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """One row per id of ``ids``: its row of ``customers`` (a Who to contact table) in the columns of :data:`SHOWN`
    the table has, most valuable first (predicted CLV, then spend). An id the table lacks (a referred customer of
    another channel than the filter's) keeps its row, its facts empty: the count is always the figure's."""
    cols = [c for c in SHOWN if c in customers.columns]
    facts = customers[cols].assign(customer_id=customers["customer_id"].astype(str))
    rows = pd.DataFrame({"customer_id": pd.Index(ids).astype(str).unique()}).merge(facts, on="customer_id", how="left")
    return rows.sort_values(["clv_12m", "spend", "customer_id"], ascending=[False, False, True], na_position="last",
                            ignore_index=True)


def cohort_cell(view: View, cohort: pd.Timestamp, period: int, freq: Freq = "M") -> pd.Index:
    """The customers a cohort heatmap cell counts as active: acquired in the window in ``cohort`` (its period's
    start), with an order in period ``period`` of it (:func:`lib.model.tables.cohort_heatmap`)."""
    new = new_customers(view)
    o = order_periods(view.all_orders, new, freq)
    rows = o.loc[(o["cohort"] == pd.Timestamp(cohort)) & (o["period"] == int(period)), "pos"].unique()
    return customer_ids(new.iloc[rows])


def ladder_rung(view: View, rung: str, loyal_orders: int = 4) -> pd.Index:
    """The window's customers on ``rung`` ("bought once", "repeat", "loyal") of the value ladder
    (:func:`lib.model.tables.ladder`); "potential" has no customers (people named as referrers who never bought)."""
    window = view.customers.loc[view.in_window()]
    rungs = ladder_rungs(window, loyal_orders=loyal_orders)
    return pd.Index(rungs.index[rungs.to_numpy() == rung].astype(str))


def rfm_segment(customers: pd.DataFrame, segment: str) -> pd.Index:
    """The customers of RFM ``segment`` in a Who to contact table (the segments of the view's customers as of its
    end: :func:`lib.model.rfm.rfm_scores`, as "CLV per RFM segment" counts them)."""
    return pd.Index(customers.loc[customers["segment"] == segment, "customer_id"].astype(str))


def referral_generation(forest: ReferralForest, generation: int, and_later: bool = False) -> pd.Index:
    """The customers of ``generation`` of the referral forest (0: not referred; :func:`generation_sizes`), and with
    ``and_later`` those of every later one too (the summed row of :func:`generation_groups`, "21+")."""
    n = forest.nodes
    at = n["generation"] >= int(generation) if and_later else n["generation"] == int(generation)
    return pd.Index(n.loc[at, "customer_id"].astype(str))


def acquired_by(view: View, channel: str) -> pd.Index:
    """The window's new customers acquired by ``channel`` (the CAC table's new_customers of that channel)."""
    c = view.customers.loc[acquired_between(view.customers, view.start, view.as_of)]
    return pd.Index(c.loc[c["channel"].astype(str) == channel, "customer_id"].astype(str))


def first_product(view: View, lines: pd.DataFrame, product: str) -> pd.Index:
    """The window's new customers whose first order had ``product`` (a row of the product journey's first products,
    :func:`lib.model.products.journey`)."""
    new = customer_ids(view.customers.loc[view.acquired()]).astype(str)
    return pd.Index(customers_of(view, lines, "product", product).astype(str)).intersection(new)
