"""Referrals: the referral forest, one referrer's tree, K-factor per generation, top referrers, data problems."""
from __future__ import annotations

import numpy as np
import streamlit as st

from lib.i18n import fmt_pct
from lib.referrals import descendants, generation_sizes, k_factor, referral_lag_days, referral_revenue_share, sharing_rate, top_referrers
from ui.state import page_context, t
from ui.widgets import chart, kpi, show_chart, show_table

cur = page_context()
s = cur.settings
forest = cur.forest

st.title(t("Referrals"))
if not forest.nodes["referrer_id"].notna().any():
    st.info(t("This data has no referrer links, so there is no referral tree. Map a referrer column on the Data source panel."))
    if len(forest.issues):
        show_table(forest.issues, "referral-issues")
    st.stop()

m = st.columns(4)
kpi(m[0], "K-factor", f"{k_factor(forest):.2f}")
kpi(m[1], "Sharing rate", fmt_pct(sharing_rate(forest)))
kpi(m[2], "Referral share of revenue", fmt_pct(referral_revenue_share(forest)))
lag = referral_lag_days(forest)
kpi(m[3], "Median days to referral", f"{np.nanmedian(lag):.0f}" if len(lag) else "—")

st.subheader(t("Referral forest (largest trees by revenue)"))
n_trees = st.slider(t("Trees shown"), 5, 100, 25, key="trees-shown")
show_chart(chart("referral_treemap", forest.nodes, top_roots=n_trees), "referral-forest")

top = top_referrers(forest, 50)
a, b = st.columns([3, 2])
with a:
    st.subheader(t("One referrer's descendants"))
    who = st.selectbox(t("Referrer"), top["customer_id"].astype(str).tolist(), key="tree-root")
    show_chart(chart("referral_tree", descendants(forest, who, max_nodes=300)), f"referral-tree-{who}")
with b:
    st.subheader(t("Customers per generation (K = next / this)"))
    show_chart(chart("generations_chart", generation_sizes(forest), labels={"generation": t("Generation"), "customers": t("Customers")}),
               "referral-generations")

st.subheader(t("Top referrers"))
show_table(top, "top-referrers")
if len(forest.issues):
    st.subheader(t("Data problems in referrer links"))
    show_table(forest.issues, "referral-issues")
