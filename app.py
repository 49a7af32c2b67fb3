"""Customer-value dashboard: navigation, the shared sidebar and the dataset state. Views live in views/ (see README: why not pages/)."""
from __future__ import annotations

import streamlit as st

from ui import auth, sidebar
from ui import session as S
from ui.session import t
from ui.share import restore_from_link, share_box

st.set_page_config(page_title="Customer value", page_icon="📈", layout="wide")
if problems := S.startup():  # a setting the server cannot use: say which, and serve nothing half-working
    for problem in problems:
        st.error(problem)
    st.stop()
S.init_state()
auth.gate()  # with login on: nothing below runs, on any page or deep link, before a team member signs in
restore_from_link()

PAGES = {
    "overview": st.Page("views/overview.py", title=t("Overview"), default=True, url_path="overview"),
    "ltv": st.Page("views/ltv.py", title=t("LTV"), url_path="ltv"),
    "cohorts": st.Page("views/cohorts.py", title=t("Repurchase cohorts"), url_path="cohorts"),
    "cac": st.Page("views/cac.py", title=t("CAC by channel"), url_path="cac"),
    "referrals": st.Page("views/referrals.py", title=t("Referrals"), url_path="referrals"),
    "products": st.Page("views/products.py", title=t("Product journey"), url_path="products"),
    "contacts": st.Page("views/contacts.py", title=t("Who to contact"), url_path="contacts"),
    "planner": st.Page("views/planner.py", title=t("Growth planner"), url_path="planner"),
    "data": st.Page("views/data.py", title=t("Data"), url_path="data"),
}
nav = st.navigation({
    t("Explore"): [PAGES[k] for k in ("overview", "ltv", "cohorts", "cac", "referrals", "products")],
    t("Act"): [PAGES["contacts"]],
    t("Plan"): [PAGES["planner"]],
    t("Data"): [PAGES["data"]],
})
progress = st.container()  # an upload's stages, above the page
with st.sidebar:
    sidebar.data_source(progress)
    sidebar.filters_and_settings()
    share_box(nav.url_path or "")
    auth.account_box()
nav.run()
