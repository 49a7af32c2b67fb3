"""Growth planner: what doubles revenue (AOV, repurchase, sharing levers) and the referral fission projection."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lib.i18n import fmt_money
from lib.model.planner import (
    baseline_monthly_revenue,
    baseline_months,
    fission_projection,
    fission_start,
    fission_totals,
    project_revenue,
    projection_ratio,
    revenue_multiplier,
    solve_lever,
)
from ui import compute as C
from ui.page import basis_caption, page_context
from ui.session import t
from ui.widgets import chart, kpi, show_chart, show_table

cur = page_context()
s = cur.settings
rates = C.referrals(C.fkey(cur), cur)
k = 0.0 if np.isnan(rates.k_factor) else rates.k_factor

st.title(t("Growth planner"))
basis_caption(cur)
st.subheader(t("What doubles revenue?"))
c = st.columns(3)
aov = c[0].slider(t("AOV lift %"), 0, 200, 10, 5, key="lift-aov") / 100
rep = c[1].slider(t("Repurchase lift %"), 0, 200, 20, 5, key="lift-rep") / 100
share = c[2].slider(t("Sharing lift %"), 0, 500, 50, 10, key="lift-share") / 100
base = baseline_monthly_revenue(cur.view.every_order(), cur.view.as_of)  # the shop's revenue: guest orders too
proj = project_revenue(base, aov, rep, share, k)
mult = revenue_multiplier(aov, rep, share, k)
first, last = baseline_months(cur.view.as_of)
m = st.columns(3)
kpi(m[0], "Baseline", fmt_money(base * 12, s.currency, s.lang),
    help=f"{t('12 × the average monthly revenue (before refunds) of')} {first} – {last}")
kpi(m[1], "Projected 12-month revenue", fmt_money(proj["projected"].sum(), s.currency, s.lang), f"×{projection_ratio(proj):.2f}",
    help=t("The levers build up over the year, so the year earns less than the month-12 rate."))
kpi(m[2], "K-factor", f"{k:.2f}")
st.caption(f"{t('Baseline')}: {first} – {last} · {t('month-12 revenue')} ×{mult:.2f} {t('the baseline')}")
show_chart(chart("planner_chart", proj, currency=s.currency, labels={"projected": t("Projected monthly revenue"),
                                                                  "baseline": t("Baseline"), "target": "2×"}),
           "growth-planner", title=t("What doubles revenue?"))

st.markdown(f"**{t('Lever combinations that reach 2×')}**")
rows = []
for label, solve in (("All three levers equally", "all"), ("AOV alone", "aov"), ("Repurchase alone", "repurchase"),
                     ("Sharing alone", "sharing")):
    lifts = solve_lever(2.0, k, solve_for=solve)
    rows.append({"": t(label), t("AOV lift %"): lifts["aov"] * 100, t("Repurchase lift %"): lifts["repurchase"] * 100,
                 t("Sharing lift %"): lifts["sharing"] * 100})
show_table(pd.DataFrame(rows).round(1), "levers-to-double-revenue")

st.subheader(t("Referral fission projection"))
# the data's rates are over the whole window: spread them over its months, so a period is a month
seed = fission_start(rates, cur.view.start, cur.view.as_of)
st.caption(t("A period is a month. Defaults: the window's customers, the share of them who brought someone spread over "
             "the window's months, and the customers each of those brought.") + f" ({seed.months:.0f} {t('months')})")
f = st.columns(5)
start = f[0].number_input(t("Starting customers"), 1, 10_000_000, seed.customers, key="fis-start")
pct = f[1].number_input(t("Share who refer each period %"), 0.0, 100.0, seed.share_pct, key="fis-share")
each = f[2].number_input(t("Referrals per referrer"), 0.0, 100.0, seed.per_referrer, key="fis-each")
periods = f[3].number_input(t("Periods"), 1, 36, 6, key="fis-periods")
keep = f[4].checkbox(t("Earlier referrers keep referring"), True, key="fis-keep")
fis = fission_projection(start, pct / 100, each, int(periods), keep_referring=keep)
show_chart(chart("fission_chart", fis, labels={"period": t("Periods"), "customers": t("Customers")}), "referral-fission", title=t("Referral fission projection"))
totals = fission_totals(fis).rename(columns={"total": t("Total customers")})
show_table(totals, "referral-fission")
