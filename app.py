"""Customer-value dashboard (minimal frame; the views arrive with the dashboard issue)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from lib.cli import load_summary
from lib.ingest import load

SAMPLE = Path(__file__).with_name("sample_data") / "orders.xlsx"

st.set_page_config(page_title="Customer value", page_icon="📈", layout="wide")


@st.cache_data(max_entries=4)
def _sample_summary() -> dict:
    return load_summary(load(SAMPLE))


s = _sample_summary()
st.info("You are looking at sample data.")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Customers", f"{s['customers']:,}")
c2.metric("Orders", f"{s['orders']:,}")
c3.metric("Net revenue", f"{s['revenue_net']:,.0f}")
c4.metric("Refunds", f"{s['refunds']:,.0f}")
