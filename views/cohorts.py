"""Repurchase cohorts: heatmap, N-day repurchase by cohort, days between orders, the order funnel."""
from __future__ import annotations

import streamlit as st

from lib.model.drill import cohort_cell
from lib.present.text import strip_controls
from ui import compute as C
from ui.drill import customers_behind
from ui.page import basis_caption, page_context
from ui.session import t
from ui.widgets import chart, choose, show_chart, show_table

cur = page_context()
s = cur.settings
k = C.fkey(cur)

st.title(t("Repurchase cohorts"))
basis_caption(cur)
groups = C.cohort_groups(k, cur)
group = None
if groups:  # narrow every cohort view to the customers whose first order had one product, or one discount code
    ALL = t("All new customers")
    options = [ALL] + [f"{t('First product')}: {p}" for p in groups.get("product", [])] + \
        [f"{t('Discount code')}: {c}" for c in groups.get("discount_code", [])]
    keys = [None] + [("product", p) for p in groups.get("product", [])] + [("discount_code", c) for c in groups.get("discount_code", [])]
    picked = st.selectbox(t("Cohorts of"), options, key=f"cohort-group-{s.lang}", format_func=strip_controls)
    group = keys[options.index(picked)] if picked in options else None
st.subheader(t("Cohort heatmap"))
VALUES = {"active_pct": "Active customers %", "revenue": "Revenue", "revenue_per_customer": "Revenue per customer",
          "cum_ltv": "Cumulative LTV"}
c1, c2 = st.columns([3, 1])
value = choose(c1.radio, "Show", VALUES, "cohort-value", horizontal=True)
freq = choose(c2.radio, " ", {"M": "Monthly", "W": "Weekly"}, "cohort-freq", horizontal=True)
table = C.cohort_table(k, freq, cur, group)
if table.empty:
    st.info(t("No customer placed a first order in this window, so there is no cohort to show. Widen the date range."))
show_chart(chart("cohort_heatmap", table, value=value, labels={"cohort": t("Cohort"), "period": t("Months since first order")}),
           f"cohort-{value}", title=f"{t('Cohort heatmap')}: {t(VALUES[value])}")
if not table.empty:
    with st.expander(t("Customers behind a cell")):
        a, b = st.columns(2)
        fmt = "%Y-%m-%d" if freq == "W" else "%Y-%m"
        cohorts = {c.strftime(fmt): c for c in table["cohort"].drop_duplicates()}
        picked_cohort = cohorts[a.selectbox(t("Cohort"), list(cohorts), key="drill-cohort")]
        periods = table.loc[table["cohort"] == picked_cohort, "period"].tolist()
        period = b.selectbox(t("Periods since first order"), periods, key="drill-period")
        customers_behind(cur, cohort_cell(C.group_view(k, group, cur), picked_cohort, int(period), freq),
                         f"cohort-{picked_cohort.strftime(fmt)}-{period}")

st.subheader(t("N-day repurchase by cohort (censored)"))
st.caption(t("Repurchase within N days counts only customers whose first order is at least N days before the end of the data."))
rep = C.repurchase(k, cur, group)
by_cohort, gaps, rhythm, funnel = rep.by_cohort, rep.gaps, rep.rhythm, rep.funnel
show_chart(chart("repurchase_by_cohort_chart", by_cohort), "repurchase-by-cohort", title=t("N-day repurchase by cohort (censored)"))

st.subheader(t("Days between consecutive orders"))
a, b = st.columns([3, 2])
with a:
    show_chart(chart("gap_histogram", gaps, medians=rhythm, labels={"days": t("Days between consecutive orders")}), "days-between-orders",
               title=t("Days between consecutive orders"))
with b:
    st.caption(t("Median days between orders per channel: the natural rhythm for contacting customers"))
    show_table(rhythm, "contact-rhythm")

st.subheader(t("Order funnel: 1st → 2nd → 3rd → 4th+"))
show_chart(chart("funnel_chart", funnel, labels={"customers": t("Customers"), "step": ""}), "order-funnel",
           title=t("Order funnel: 1st → 2nd → 3rd → 4th+"))
show_table(funnel, "order-funnel")
