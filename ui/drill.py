"""The customers behind a figure, under its chart: a picker, their number, their rows and a download (issue #24)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.i18n import fmt_number
from lib.model.drill import behind
from ui import compute as C
from ui.cache import Current
from ui.session import t
from ui.widgets import show_table


def customers_behind(cur: Current, ids: pd.Index, name: str) -> None:
    """Show the customers ``ids`` with the Who to contact columns (name, phone, email where the file has them) and
    CSV / Excel downloads named ``name``; their number first, equal to the figure they came from."""
    s = cur.settings
    table = behind(C.contacts(C.fkey(cur), s.lang, s.currency, cur).customers, ids)
    st.caption(f"{t('Customers')}: {fmt_number(len(table), s.lang)}")
    if len(table):
        show_table(table, name)
