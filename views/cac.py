"""CAC by channel: CAC, cost per add, conversion, ROAS, LTV:CAC, payback and the acquisition funnel."""
from __future__ import annotations

import streamlit as st

from lib.model.cac import cac_by_platform, channel_funnel, spend_entry
from lib.model.drill import acquired_by
from lib.present.export import neutralise
from lib.present.labels import leading
from lib.present.text import strip_controls
from ui import compute as C
from ui import session as S
from ui.cache import apply_spend
from ui.drill import customers_behind
from ui.page import basis_caption, page_context, plain
from ui.session import t
from ui.widgets import chart, header_config, show_chart, show_table

cur = page_context()
s = cur.settings
k = C.fkey(cur)

st.title(t("CAC by channel"))
basis_caption(cur)
for rows, issue in st.session_state.pop(S.K_SPEND_NOTE, None) or []:
    st.warning(f"{t('Spend rows left out')}: {rows} · {plain(issue.describe(s.lang))}")
has_spend = cur.ds.spend is not None and len(cur.ds.spend) > 0
if has_spend:
    st.caption(t("Spend entered below.") if st.session_state[S.K_SPEND_EDIT] is not None
               else t("Spend comes from the workbook's Spend sheet."))
else:
    st.info(t("No spend data, so no CAC. Add a Spend sheet or enter spend below."))

table = C.cac_table(k, s.margin, cur)
FIRST = ["channel", "cac", "roas", "ltv_cac", "payback_months"]  # what a channel costs and returns, then its counts
show_table(leading(table, FIRST), "cac-by-channel", layout={c: {"pinned": True} for c in FIRST})
if cur.ds.platforms:  # several files: what a customer cost on each platform
    st.subheader(t("CAC by platform"))
    st.caption(t("Spend entered for a platform ÷ the window's new customers acquired on it."))
    show_table(cac_by_platform(cur.view.customers, cur.view.spend, cur.view.start, cur.view.as_of), "cac-by-platform")
with st.expander(t("New customers of a channel")):
    channel = st.selectbox(t("Channel"), table["channel"].astype(str).tolist(), key="drill-channel",
                           format_func=strip_controls)
    customers_behind(cur, acquired_by(cur.view, channel), f"new-customers-{channel}")
if has_spend:
    a, b = st.columns(2)
    with a:
        show_chart(chart("cac_ltv_bars", table, margin=s.margin, currency=s.currency, title=t("CAC and LTV per channel")), "cac-and-ltv")
        if table["ltv"].isna().all():
            st.caption(t("No channel has customers 12 months old by the window's end, so there is no 12-month LTV to draw yet."))
    with b:
        paid = table.loc[table["cac"].notna()]
        show_chart(chart("payback_chart", paid, title=t("Payback (months)"),
                                        labels={"payback_months": t("Payback (months)"), "channel": ""}), "payback")
        st.caption(t("Channels that never pay back within the data are marked."))
    st.subheader(t("Acquisition funnel per channel: touches → adds → buyers → repeat buyers"))
    funnel = channel_funnel(table.loc[table["touches"].notna()])
    if len(funnel):
        show_chart(chart("acquisition_funnel_chart", funnel), "acquisition-funnel",
                   title=t("Acquisition funnel per channel: touches → adds → buyers → repeat buyers"))

with st.expander(t("Enter spend per channel and month (or cost per touch × touches), then apply."), expanded=not has_spend):
    start = spend_entry(cur.ds.spend, cur.ds.channels, cur.view.start, cur.view.as_of, platforms=bool(cur.ds.platforms))
    # the editor has its own CSV download of what it shows: channel names a spreadsheet would run are shown inert,
    # and turned back into the data's names when the spend is applied
    start = start.assign(channel=start["channel"].astype(object).map(neutralise, na_action="ignore"))
    edited = st.data_editor(start, num_rows="dynamic",
                            hide_index=True, key=f"spend-editor-{cur.key}", width="stretch",
                            column_config={**header_config(start), "month": st.column_config.TextColumn(t("Month")),
                                           **({"platform": st.column_config.SelectboxColumn(t("Platform"), options=cur.ds.platforms)}
                                              if cur.ds.platforms else {})})
    if st.button(t("Apply spend"), type="primary"):
        problem = apply_spend(edited)
        if problem is None:
            st.rerun()
        st.error(plain(t(problem)))
