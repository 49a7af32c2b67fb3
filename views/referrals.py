"""Referrals: the referral forest, one referrer's tree, K-factor per generation, top referrers, data problems."""
from __future__ import annotations

import numpy as np
import streamlit as st

from lib.i18n import fmt_number, fmt_pct
from lib.model.drill import referral_generation
from lib.model.referrals import (
    descendants,
    forest_shown,
    generation_groups,
    generation_sizes,
    median_referral_days,
    referral_revenue_share,
    top_referrers,
)
from lib.present.text import strip_controls
from ui import compute as C
from ui.drill import customers_behind
from ui.page import basis_caption, page_context
from ui.session import t
from ui.widgets import chart, kpi, show_chart, show_table

cur = page_context()
s = cur.settings
forest = cur.forest

st.title(t("Referrals"))
basis_caption(cur)
if not forest.nodes["referrer_id"].notna().any():
    st.info(t("This data has no referrer links, so there is no referral tree. Map a referrer column on the Data source panel."))
    if len(forest.issues):
        show_table(forest.issues, "referral-issues")
    st.stop()

rows = C.window_rows(C.fkey(cur), cur)  # the window's customers, as on the Overview
rates = C.referrals(C.fkey(cur), cur)
m = st.columns(4)
kpi(m[0], "K-factor", f"{rates.k_factor:.2f}", help=t("New customers brought per customer: customers they referred who bought, divided by customers."))
kpi(m[1], "Sharing rate", fmt_pct(rates.sharing_rate), help=t("Share of customers who brought at least one buying customer."))
kpi(m[2], "Referral share of revenue", fmt_pct(referral_revenue_share(forest, rows)))
lag = median_referral_days(forest)
kpi(m[3], "Median days to referral", "—" if np.isnan(lag) else f"{lag:.0f}")

st.subheader(t("Referral forest (largest trees by revenue)"))
n_trees = st.slider(t("Trees shown"), 5, 100, 25, key="trees-shown")
st.caption(t("The forest and the generations show every customer up to the window's end, in every channel: "
             "referrals cross channels. The figures above and the top referrers are the window's customers."))
show_chart(chart("referral_treemap", forest.nodes, top_roots=n_trees, labels={"other_trees": t("Other trees")}),
           "referral-forest", title=t("Referral forest (largest trees by revenue)"))
shown = forest_shown(forest.nodes, n_trees)  # what the treemap draws
if shown.customers < shown.customers_total:
    st.caption(t("Drawn: {customers} of the {total} customers of these trees, the first generations first; a box's area "
                 "also holds its customers not drawn.").format(customers=fmt_number(shown.customers, s.lang),
                                                               total=fmt_number(shown.customers_total, s.lang)))
if shown.other_trees:
    st.caption(t("The other {trees} trees ({customers} customers) are summed in one box, “Other trees”.").format(
        trees=fmt_number(shown.other_trees, s.lang), customers=fmt_number(shown.other_customers, s.lang)))

top = top_referrers(forest, 50, rows)
st.subheader(t("Customers per generation (K = next / this)"))  # full width: a K label per bar needs the room
show_chart(chart("generations_chart", generation_sizes(forest), labels={"generation": t("Generation"), "customers": t("Customers")}),
           "referral-generations", title=t("Customers per generation (K = next / this)"))
with st.expander(t("Customers of a generation")):
    groups = generation_groups(generation_sizes(forest)).set_index("since")  # the chart's bars: "21+" sums the rest
    generation = st.selectbox(t("Generation"), groups.index.tolist(), format_func=lambda g: groups.loc[g, "generation"],
                              key="drill-generation")
    customers_behind(cur, referral_generation(forest, int(generation), bool(groups.loc[generation, "summed"])),
                     f"generation-{generation}")

st.subheader(t("One referrer's descendants"))
if top.empty:
    st.info(t("No customer of this window brought a buying customer."))
else:
    who = st.selectbox(t("Referrer"), top["customer_id"].astype(str).tolist(), key="tree-root", format_func=strip_controls)
    show_chart(chart("referral_tree", descendants(forest, who, max_nodes=300)), f"referral-tree-{who}",
               title=t("One referrer's descendants") + f": {who}")

st.subheader(t("Top referrers"))
show_table(top, "top-referrers")
if len(forest.issues):
    st.subheader(t("Data problems in referrer links"))
    show_table(forest.issues, "referral-issues")
