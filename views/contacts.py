"""Who to contact: ready lists with a reason per customer, as of the window's end, and a custom list."""
from __future__ import annotations

import streamlit as st

from lib.i18n import fmt_date, fmt_money, fmt_number
from lib.model.backtest import Backtest, accuracy_sentence
from lib.model.contacts import LISTS, custom_list
from lib.present.text import strip_controls
from lib.schema import CONTACT_FIELDS
from ui import compute as C
from ui import session as S
from ui.page import basis_caption, page_context
from ui.session import t
from ui.widgets import show_table

NO_REACH = ("The file has no name, phone or email column that the loader recognised, so the lists carry the customer id "
            "only. Choose such a column in the sidebar's column mapping to add it to the lists and downloads.")

cur = page_context()
s = cur.settings
k = C.fkey(cur)

st.title(t("Who to contact"))
basis_caption(cur)
if not cur.ds.customer_level:
    st.info(t("Contact lists need a customer id: this file has none (or only masked buyers)."), icon="ℹ️")
    st.stop()
c = C.contacts(k, s.lang, s.currency, cur)
END = t("the window's end; the lists follow the filters.")
st.caption(f"{t('As of')} {fmt_date(c.as_of, s.lang)}, {END}")
if c.model_note:
    NO_MODEL = t("The models could not be fitted, so P(active) and predicted CLV are empty and 'valuable' means the top spenders:")
    st.info(f"{NO_MODEL} {t(c.model_note)}", icon="ℹ️")
else:  # the predicted CLV in the lists: how close it came on this shop's last months
    predicted = C.prediction(k, 12, 0.0, cur)
    if not isinstance(predicted, str) and isinstance(predicted.accuracy, Backtest):
        st.caption(f"{t('Predicted CLV')}: {accuracy_sentence(predicted.accuracy, s.lang)}")

intervals = C.list_intervals(k, s.lang, s.currency, cur)  # 90 % intervals of each list's CLV at stake
if intervals:
    st.caption(t("CLV at stake: the predicted 12-month value of the list, with its 90 % interval."))
cols = st.columns(len(LISTS))
for col, row in zip(cols, c.summary.itertuples()):
    at_stake = fmt_money(row.clv_at_stake, s.currency, s.lang) if row.clv_at_stake == row.clv_at_stake else "—"
    col.metric(t(LISTS[row.list]), fmt_number(row.customers, s.lang))
    iv = intervals.get(row.list)
    shown = f" ({fmt_money(iv.low, s.currency, s.lang)} – {fmt_money(iv.high, s.currency, s.lang)})" if iv and len(c.lists[row.list]) else ""
    col.caption(f"{t('CLV at stake')}: {at_stake}{shown}")

REACH = [col for col in CONTACT_FIELDS if col in c.customers.columns]  # name, phone, email where the file has them
if not REACH:
    mapped = [f for f in CONTACT_FIELDS if f in cur.ds.report.mapping]
    if st.session_state[S.K_SOURCE] == "shared":  # lib.share.pseudonyms
        st.caption(t("Names, phones and emails are not kept with a share link: the lists carry the customer id only, "
                     "and an id that was a phone or an email is a code (id-…)."))
    elif not mapped:
        st.caption(t(NO_REACH))
    else:
        st.caption(t("The file's name, phone and email columns are empty or masked (186****0001), so the lists carry "
                     "the customer id only."))
# who and how to reach them, why they are on the list (wrapped over two lines) and what they spent, then the rest;
# the customer stays in view
SHOWN = ["customer_id", *REACH, "reason", "spend", "due_date", "last_order", "orders", "channel", "is_member", "p_alive", "clv_12m",
         "segment"]
SPENT = {"spend": ("Amount spent", "money")}  # what the customer spent (消费金额), not a channel's marketing spend
LAYOUT = {"customer_id": {"pinned": True}, "reason": {"width": "large"}}
tabs = st.tabs([t(name) for name in LISTS.values()] + [t("Custom list")])
for tab, (key, name) in zip(tabs, LISTS.items()):
    with tab:
        df = c.lists[key]
        if df.empty:
            st.info(t("Nobody is on this list as of this day."), icon="ℹ️")
        else:
            show_table(df[SHOWN], f"contacts-{key.replace('_', '-')}", overrides=SPENT, layout=LAYOUT, row_height=56)
with tabs[-1]:
    a, b = st.columns(2)
    # the segments are our words: shown in the session's language (the key follows it, as choose() does)
    segments = a.multiselect(t("RFM segment"), sorted(c.customers["segment"].dropna().unique()), key=f"contacts-segments-{s.lang}",
                             format_func=t)
    channels = b.multiselect(t("Channel"), sorted(c.customers["channel"].unique()), key="contacts-channels",
                              format_func=strip_controls)
    a, b, d = st.columns(3)
    min_orders = int(a.number_input(t("At least this many orders"), min_value=1, value=1, step=1, key="contacts-min-orders"))
    longest = int(max(c.customers["days_since_last"].max(), 1))
    since = b.slider(t("Days since last order"), 0, longest, (0, longest), key="contacts-since")
    p_max = d.slider(t("P(active) at most"), 0.0, 1.0, 1.0, 0.05, key="contacts-palive")
    chosen = custom_list(c.customers, tuple(segments), tuple(channels), min_orders, since, None if p_max >= 1.0 else p_max)
    st.caption(f"{t('Customers')}: {fmt_number(len(chosen), s.lang)}")
    show_table(chosen[["customer_id", *REACH, "spend", "last_order", "days_since_last", "orders", "channel", "is_member", "rhythm_days",
                       "expected_next", "p_alive", "clv_12m", "segment"]], "contacts-custom", overrides=SPENT, layout=LAYOUT)
