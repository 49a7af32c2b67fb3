"""Overview: KPI cards with deltas, the customer-value decomposition, revenue split and the value ladder."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.i18n import fmt_date, fmt_money, fmt_number, fmt_pct
from lib.model.drill import ladder_rung
from lib.model.journey import kind as platform_kind
from lib.model.metrics import lever_changes
from lib.present.figures import FIGURES, ORDER_LEVEL_TILES, TILES
from lib.present.text import strip_controls
from ui import compute as C
from ui.drill import customers_behind
from ui.page import basis_caption, order_level_notice, page_context
from ui.session import t
from ui.widgets import chart, choose, kpi, show_chart, show_table

cur = page_context(customer_level=False)
s = cur.settings
k = C.fkey(cur)
now = C.overview(k, s.margin, cur)
prev = C.previous_overview(k, s.margin, cur)
before = prev[0] if prev else None

st.title(t("Overview"))
basis_caption(cur)
st.caption(f"{fmt_date(now.date_from, s.lang)} – {fmt_date(now.date_to, s.lang)} · "
           + (t("vs. the previous period of the same length") if before
              else t("no comparison: the previous period of the same length starts before the data")))


def tiles(keys: tuple[str, ...], helps: dict[str, str], compare: bool = True) -> None:
    """A row of Overview tiles from the catalogue, each with its change vs. the previous period when ``compare``."""
    for col, key in zip(st.columns(len(keys)), keys):
        f = FIGURES[key]
        change = f.change(getattr(now, key), getattr(before, key)) if compare and before is not None else None
        kpi(col, f.label, f.text(getattr(now, key), s.currency, s.lang), change, help=helps.get(key), inverse=f.inverse)



def order_level_overview() -> None:
    """What a file that names no customers can still show: orders and revenue by month, channel and product, refunds."""
    b = C.order_breakdown(k, cur)
    st.subheader(t("Revenue and orders by month"))
    words = {"revenue": t("Revenue"), "refunds": t("Refunds"), "orders": t("Orders")}
    show_chart(chart("order_months_chart", b.by_month, currency=s.currency, labels=words), "orders-by-month",
               title=t("Revenue and orders by month"))
    if now.refunds:
        st.caption(f"{t('Refunds')}: {fmt_money(now.refunds, s.currency, s.lang)} · {t('refund rate')} {fmt_pct(b.refund_rate)}")
    money = {"refunds": ("Refunds", "money"), "net": ("Net revenue", "money"), "aov": ("AOV", "money"),
             "share": ("Share of revenue", "pct"), "quantity": ("Quantity", "num")}
    show_table(b.by_month, "orders-by-month", overrides=money)
    left, right = st.columns(2)
    if b.by_channel is not None:
        with left:
            st.subheader(t("By channel"))
            show_table(b.by_channel, "orders-by-channel", overrides=money)
    if b.by_product is not None:
        with right:
            st.subheader(t("By product"))
            show_table(b.by_product, "orders-by-product", overrides={**money, "orders": ("Orders with it", "int")})


if not cur.ds.customer_level:  # masked or absent buyers: order-level figures only
    order_level_notice(cur.ds)
    tiles(ORDER_LEVEL_TILES, {}, compare=False)
    order_level_overview()
    st.stop()

def ltv_cac_help(now) -> str:  # noqa: ANN001 - lib.model.metrics.Overview
    """Which customers the LTV:CAC card compares, and the gross margin it uses."""
    if not now.ltv_cac_months:
        return t("No acquisition month of this window with spend is 12 months old yet, so the LTV and CAC "
                 "of the same customers cannot be compared.")
    return (f"{t('12-month LTV × gross margin ÷ CAC of the customers acquired in')} {', '.join(now.ltv_cac_months)} "
            f"({t('gross margin')} {fmt_pct(now.margin, 0)}).")


helps = {  # what a tile's (?) says, with the figures behind it
    "aov": f"{t('Order amounts ÷ orders, before refunds. After refunds')}: {FIGURES['aov_net'].text(now.aov_net, s.currency, s.lang)}",
    "repurchase_rate": f"{t('repurchase within')}: 30 {t('days')} {fmt_pct(now.repeat_30d)}, 90 {t('days')} {fmt_pct(now.repeat_90d)}. "
    + t("Repurchase within N days counts only customers whose first order is at least N days before the end of the data."),
    "ltv_12m": t("No customer had been a customer for 12 months by the window's end, so there is no 12-month LTV yet.")
    if pd.isna(now.ltv_12m) else t("Net revenue in the first 12 months per customer, over customers 12 months old by the window's end."),
    "ltv_cac": ltv_cac_help(now),
}
for row in TILES:
    tiles(row, helps)
if now.guest_orders:
    st.caption(f"{t('Orders, revenue, refunds and AOV include')} {now.guest_orders:,} "
               f"{t('guest orders without a customer')} ({fmt_money(now.guest_revenue, s.currency, s.lang)}); "
               + t("customers, repurchase, customer value (its AOV too), LTV, CAC, referrals and cohorts leave them out."))
if pd.isna(now.cac):
    st.info(t("No spend data, so no CAC. Add a Spend sheet or enter spend on the CAC page."))

st.subheader(t("Customer value = AOV × repurchase + sharing"))
d = C.decomposition(k, cur)
left, right = st.columns([3, 2])
with left:
    labels = {n: t(n) for n in ("Direct value (AOV × repurchase)", "Referral value (sharing)")}
    fig = chart("decomposition_chart", pd.DataFrame([d.as_dict()]), currency=s.currency,
                                     labels={"direct_value": labels["Direct value (AOV × repurchase)"],
                                             "referral_value": labels["Referral value (sharing)"], "total": t("Customer value")})
    show_chart(fig, "customer-value", title=t("Customer value = AOV × repurchase + sharing"))
with right:
    lv = st.columns(2)
    kpi(lv[0], "AOV of customers' orders" if now.guest_orders else "AOV", fmt_money(d.aov, s.currency, s.lang, 1))
    kpi(lv[1], "Orders per customer", fmt_number(d.orders_per_customer, s.lang, 2))
    kpi(lv[0], "New customers brought per customer (K)", fmt_number(d.referred_per_customer, s.lang, 2))  # "—" without links
    kpi(lv[1], "Referred customers' value", fmt_money(d.referred_value, s.currency, s.lang))
    if prev:
        moves = lever_changes(prev[1], d)
        top = moves.iloc[0]
        if pd.notna(top["change_pct"]):
            names = {"aov": "AOV", "orders_per_customer": "Orders per customer",
                     "referred_per_customer": "New customers brought per customer (K)"}
            st.metric(t("Biggest mover vs. the previous period"), t(names[top["lever"]]), f"{top['change_pct']:+.1f}%")

st.caption(  # the three values of a customer the dashboard shows, each in one sentence, and how they differ
    f"{t('Customer value')} {fmt_money(d.total, s.currency, s.lang)}: "
    + t("what the window's customers spent per head in it, plus what the customers they brought spent (before refunds).")
    + f" {t('12-month LTV')} {fmt_money(now.ltv_12m, s.currency, s.lang)}: "
    + t("net revenue per customer in their first 12 months, after refunds, over customers that old.")
    + " " + t("Predicted CLV (LTV page): what the models expect each customer's orders of the next 12 months to be worth, "
              "before refunds."))

st.subheader(t("Revenue by month: new vs. returning customers"))
split = C.revenue_split(k, cur)
show_chart(chart("revenue_split_chart", split, labels={"new": t("new"), "returning": t("returning"), "guests": t("guest orders")},
                 currency=s.currency),
           "revenue-new-vs-returning", title=t("Revenue by month: new vs. returning customers"))

if "platform" in cur.ds.orders.columns:  # several files: what each platform brought in the window
    st.subheader(t("By platform"))
    st.caption(t("Orders and revenue by the platform of each order (guest orders included); customers by the platform "
                 "they were acquired on."))
    show_table(C.by_platform(k, cur), "by-platform")

st.subheader(t("Value ladder"))
loyal_orders = st.columns(4)[0].number_input(t("Loyal from this many orders"), min_value=2, max_value=50, value=4, step=1,
                                            key="loyal-orders")
lad, movement = C.ladder(k, int(loyal_orders), cur)
rung_labels = {r: t(r) for r in ("potential", "bought once", "repeat", "loyal")}
c1, c2 = st.columns(2)
with c1:
    show_chart(chart("ladder_chart", lad, labels={**rung_labels, "customers": t("Customers"), "of_revenue": t("of revenue")}),
               "value-ladder", title=t("Value ladder"))
    st.caption(t("Bars: customers of the window on each rung (orders up to its end); labels: their share of revenue."))
    with st.expander(t("Customers on a rung")):
        rung = choose(st.selectbox, "Rung", {r: r for r in ("bought once", "repeat", "loyal")}, "drill-rung")
        customers_behind(cur, ladder_rung(cur.view, rung, int(loyal_orders)), f"rung-{rung}")
with c2:
    show_chart(chart("ladder_movement_chart", movement, labels={**rung_labels, "customers": t("Customers")},
                                            title=t("Customers on each rung over time")), "ladder-over-time")

way = None
if len(cur.ds.platforms) > 1:  # several files: a platform's and the shop's own channel
    guess = [p for p in cur.ds.platforms if platform_kind(p) == "owned"]
    owned = st.multiselect(t("Platforms the shop owns"), cur.ds.platforms, default=guess, key="owned-platforms", format_func=strip_controls,
                           help=t("The journey counts a customer who moved from another platform to one of these."))
    way = C.journey(k, tuple(owned), cur)
if way is not None and not isinstance(way, str):
    st.subheader(t("From platform to your own channel"))
    st.caption(t("Customers acquired on a platform who later bought in a channel the shop owns, per platform; their "
                 "revenue in the 12 months from that move against those who stayed, in the 12 months from their first order."))
    show_table(way.by_platform, "platform-journey", overrides={
        "moved": ("Moved to an owned channel", "int"), "share": ("Share moved", "pct"),
        "median_days_to_move": ("Median days to move", "days"), "value_after_move": ("12-month value after moving", "money"),
        "value_stayed": ("12-month value of those who stayed", "money")})
    st.markdown(f"**{t('Not moved yet, with a phone to reach them')}** ({len(way.not_moved):,})")
    show_table(way.not_moved, "not-moved-yet")
