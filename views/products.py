"""Product journey: which first product brings customers back, and what they buy next."""
from __future__ import annotations

import streamlit as st

from lib.i18n import fmt_money, fmt_number, fmt_pct
from lib.model.drill import first_product
from lib.model.products import NO_PRODUCTS, standouts
from lib.present.text import strip_controls
from ui import compute as C
from ui.drill import customers_behind
from ui.page import basis_caption, page_context, plain
from ui.session import t
from ui.widgets import chart, show_chart, show_table

cur = page_context()
s = cur.settings
k = C.fkey(cur)

st.title(t("Product journey"))
basis_caption(cur)
st.caption(t("Customers acquired in the window, grouped by each product of their first order; their later orders "
             "count up to the window's end."))
j = C.product_journey(k, cur)
if j is None:
    st.info(t(NO_PRODUCTS), icon="ℹ️")
    st.stop()
if j.first.empty:
    st.info(t("No customer acquired in the window has a product line in a first order."), icon="ℹ️")
    st.stop()

shop = j.shop
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("New customers with products"), fmt_number(shop["customers"], s.lang))
c2.metric(t("Repeat rate"), fmt_pct(shop["repeat_rate"]))
c3.metric(t("Median days to the 2nd order"), fmt_number(shop["median_days_to_2nd"], s.lang))
c4.metric(t("12-month LTV"), fmt_money(shop["ltv_12m"], s.currency, s.lang),
          help=t("Net revenue per customer in the 12 months from the first order, of customers 12+ months old."))

best = standouts(j)
if best is not None:
    hi, lo = best
    st.success(f"{t('Brings customers back')}: **{plain(str(hi['product']))}** ({fmt_pct(hi['repeat_rate'])} "
               f"{t('come back')}, {t('the shop')} {fmt_pct(shop['repeat_rate'])}). "
               f"{t('Brings one-time buyers')}: **{plain(str(lo['product']))}** ({fmt_pct(lo['repeat_rate'])}).",
               icon=":material/autorenew:")

st.subheader(t("Repeat rate by first product"))
show_chart(chart("product_repeat_chart", j.first, shop_rate=shop["repeat_rate"],
                 labels={"repeat_rate": t("Repeat rate"), "product": t("First product"), "customers": t("Customers"),
                         "shop": t("Shop average")}),
           "repeat-by-first-product", title=t("Repeat rate by first product"))
show_table(j.first, "first-products")
with st.expander(t("Customers of a first product")):
    product = st.selectbox(t("First product"), j.first["product"].tolist(), key="drill-product", format_func=strip_controls)
    customers_behind(cur, first_product(cur.view, cur.ds.lines, product), f"first-product-{product}")

st.subheader(t("What they buy next"))
st.caption(t("First product → product of the 2nd order, for customers who came back (the most common pairs)."))
if j.next.empty:
    st.info(t("Nobody acquired in the window has come back yet."), icon="ℹ️")
else:
    show_chart(chart("product_flow_chart", j.next), "first-to-second-product", title=t("What they buy next"))
    show_table(j.next, "first-to-second-product")

notes = []
if not j.left_out.empty:
    shown = ", ".join(f"{plain(str(r.item))} ({fmt_number(r.lines, s.lang)})" for r in j.left_out.head(8).itertuples())
    notes.append(f"{t('Lines that are not products were left out (postage, fees, adjustments)')}: {shown}.")
if j.customers_without_lines:
    notes.append(f"{t('New customers whose first order has no product line')}: {fmt_number(j.customers_without_lines, s.lang)}.")
for n in notes:
    st.caption(n)
