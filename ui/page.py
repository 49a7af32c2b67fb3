"""What every page does first: its context, the order-level notice, plain text and data errors."""
from __future__ import annotations

import re

import streamlit as st

from lib.errors import DataError
from lib.model.basis import BASIS_NAMES, has_net_sales
from lib.present.text import strip_controls
from lib.schema import Dataset
from ui.cache import Current, current
from ui.session import t

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Text from a user's file or a link (names, sheet names, values, messages quoting them) made inert for
    Streamlit's markdown: the one door such text takes to the page (charts: ``lib.present.charts``).

    Every markdown character is backslash-escaped, so ``![x](http://…)`` shows as those characters: no image is
    fetched, no link is drawn, no HTML is read; direction controls are taken out
    (:func:`lib.present.text.strip_controls`).
    """
    return _MARKDOWN_SPECIALS.sub(r"\\\1", strip_controls(str(text)))


def data_error(err: DataError) -> None:
    """Show a data problem the way every page does: one sentence and what to do."""
    st.error(plain(t(str(err))))


NO_CUSTOMER_COLUMN = ("No customer column is mapped, so customers, repurchase, cohorts, LTV, CAC and referrals cannot be "
                      "computed. Choose the customer column in the sidebar's column mapping; the Overview shows "
                      "order-level figures meanwhile.")


MASKED_BUYERS = ("Buyers are masked in this file (***, 密文), so customers, repurchase, cohorts, LTV, CAC and referrals "
                 "cannot be computed from it. The Overview shows order-level figures: orders, revenue, AOV, refunds.")


def order_level_notice(ds: Dataset) -> None:
    """Say why customer-level figures are missing for an order-level dataset (masked or absent buyers)."""
    st.warning(t(MASKED_BUYERS if "customer_id" in ds.report.mapping else NO_CUSTOMER_COLUMN), icon="⚠️")


def page_context(customer_level: bool = True) -> Current:
    """``current()`` for a page; on a data problem show the message and stop the page.

    A page that needs customers (``customer_level``) stops with a notice when the
    data has none (masked or absent buyers).
    """
    try:
        cur = current()
    except DataError as err:
        data_error(err)
        st.stop()
        raise  # unreachable; st.stop() ends the script
    if customer_level and not cur.ds.customer_level:
        order_level_notice(cur.ds)
        st.stop()
    return cur


def basis_caption(cur: Current) -> None:
    """Say the revenue basis every money figure of the page is on, when the file offers a choice of two."""
    if has_net_sales(cur.ds):
        st.caption(f"{t('Revenue')}: {t(BASIS_NAMES[cur.settings.basis])}")
