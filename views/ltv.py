"""LTV: historical curves by cohort and channel, predicted CLV, and margin-adjusted LTV against CAC."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.i18n import fmt_date, fmt_money, fmt_number
from lib.model.backtest import Backtest, accuracy_sentence, accuracy_table
from lib.model.btyd import repurchase_sentence, spend_sentence
from lib.model.drill import rfm_segment
from lib.present.labels import leading
from ui import compute as C
from ui.drill import customers_behind
from ui.page import basis_caption, page_context
from ui.session import t
from ui.widgets import chart, choose, kpi, show_chart, show_table

HOLDOUTS = {"auto": "6 months (or a third of the history)", "3": "3 months", "6": "6 months", "12": "12 months"}


def accuracy_section(bt: Backtest) -> None:
    """How the predictions did on the shop's own last months: the calibration chart, the tracking chart, the errors."""
    st.markdown(f"**{t('How accurate are these predictions?')}**")
    st.caption(t("The models were fitted on the orders up to") + f" {fmt_date(bt.calibration_end, s.lang)} "
               + t("and asked what the customers acquired by then would buy after it; here is what they did."))
    words = {"actual": t("actual"), "model": t("model"), "frequency": t("Repeat purchases before the holdout"),
             "purchases": t("Purchases per customer in the holdout"), "holdout": t("holdout"),
             "cumulative": t("Cumulative repeat purchases")}
    a, b = st.columns(2)
    with a:
        show_chart(chart("backtest_frequency_chart", bt.by_frequency, labels=words), "backtest-by-frequency",
                   title=t("Holdout purchases by past purchases"))
    with b:
        show_chart(chart("backtest_tracking_chart", bt.tracking, calibration_end=bt.calibration_end, labels=words),
                   "backtest-tracking", title=t("Cumulative repeat purchases, actual and predicted"))
    show_table(accuracy_table(bt), "backtest-errors")


cur = page_context()
s = cur.settings
k = C.fkey(cur)

st.title(t("LTV"))
basis_caption(cur)
st.subheader(t("Cumulative LTV per customer"))
by = choose(st.radio, "Group by", {"channel": "by channel", "cohort_month": "by cohort"}, "ltv-by", horizontal=True)
curves = C.ltv_curves(k, by, cur, min_customers=20)  # months fewer than 20 customers reached are too noisy
if by == "cohort_month":
    curves = curves.assign(group=pd.to_datetime(curves["group"]).dt.strftime("%Y-%m"))
show_chart(chart("ltv_curves_chart", curves, currency=s.currency, labels={"month": t("Months since first order"), "ltv": t("LTV"),
                                                                         "group": ""}), f"ltv-{by}", title=t("Cumulative LTV per customer"))

st.subheader(t("Gross-margin LTV against CAC per channel"))
table = C.cac_table(k, s.margin, cur)
if table["cac"].notna().any():
    show_chart(chart("cac_ltv_bars", table, margin=s.margin, currency=s.currency), "ltv-vs-cac", title=t("Gross-margin LTV against CAC per channel"))
else:
    st.info(t("No spend data, so no CAC. Add a Spend sheet or enter spend on the CAC page."))

st.subheader(t("Predicted lifetime value (MBG/NBD + Gamma-Gamma)"))
c1, c2, c3 = st.columns(3)
months = c1.slider(t("Horizon (months)"), 3, 36, 12, key="clv-months")
discount = c2.slider(t("Monthly discount rate %"), 0.0, 5.0, 0.0, 0.5, key="clv-discount") / 100
holdout = choose(c3.selectbox, "Checked on the last", HOLDOUTS, "clv-holdout")
with st.spinner("…"):
    result = C.prediction(k, months, discount, cur, None if holdout == "auto" else float(holdout))
if isinstance(result, str):
    st.info(f"{t('Not enough data to predict yet:')} {t(result)}", icon="ℹ️")
else:
    pred, params, by_segment = result.customers, result.params, result.by_segment
    avg = result.average
    bt = result.accuracy
    said = accuracy_sentence(bt, s.lang) if isinstance(bt, Backtest) else t(str(bt))
    st.info(said, icon=":material/fact_check:")
    for fallback in (repurchase_sentence(result.repurchase, s.lang) if result.repurchase is not None else None,
                     spend_sentence(result.spend, s.lang) if result.spend is not None else None):
        if fallback:
            st.caption(fallback)
    m = st.columns(3)
    kpi(m[0], "Average predicted CLV", fmt_money(avg["clv"], s.currency, s.lang),
        help=t("Expected value of each customer's orders in the next 12 months, before refunds (the LTV curves above "
               "are after refunds).") + " " + said)
    kpi(m[1], "Expected orders per customer", fmt_number(avg["expected_purchases"], s.lang, decimals=2))
    if result.interval is not None:
        iv = result.interval
        st.caption(f"{t('Predicted revenue of these customers over the horizon')}: {fmt_money(iv.point, s.currency, s.lang)} "
                   f"({t('90 % interval')} {fmt_money(iv.low, s.currency, s.lang)} – {fmt_money(iv.high, s.currency, s.lang)})")
    kpi(m[2], "P(active)", f"{avg['p_alive']:.0%}")
    a, b = st.columns(2)
    with a:
        show_chart(chart("clv_histogram", pred, currency=s.currency, labels={"clv": t("Predicted CLV")}), "predicted-clv", title=t("Predicted CLV"))
    with b:
        show_chart(chart("palive_histogram", pred, labels={"p_alive": t("P(active)")}), "p-active", title=t("P(active)"))
    st.markdown(f"**{t('Top customers by predicted value')}**")
    first = ["customer_id", "p_alive", "clv"]  # who, how likely still a customer, what they are worth; then the model's inputs
    show_table(leading(result.top(200), first), "top-customers-clv", layout={c: {"pinned": True} for c in first}, column_config={
        "p_alive": st.column_config.ProgressColumn(t("P(active)"), min_value=0.0, max_value=1.0, format="percent", pinned=True),
    })
    st.markdown(f"**{t('Predicted CLV per RFM segment')}**")
    show_table(by_segment, "clv-by-segment")
    with st.expander(t("Customers of a segment")):
        segment = choose(st.selectbox, "RFM segment", {g: g for g in by_segment["segment"]}, "drill-segment")
        customers_behind(cur, rfm_segment(C.contacts(k, s.lang, s.currency, cur).customers, segment), f"segment-{segment}")
    st.caption(t("Model fit") + ": " + ", ".join(f"{n} = {v:.3g}" for n, v in params.items()))
    if isinstance(bt, Backtest):
        accuracy_section(bt)
