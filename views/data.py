"""Data: the quality report, the mapping in use, a preview of the cleaned orders, and its download."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.i18n import fmt_number
from lib.model.customers import customer_count
from lib.present.export import csv_bytes, report_bytes
from lib.present.notes import note_text
from lib.present.labels import header, with_headers
from ui.cache import current_dataset
from ui.page import page_context, plain
from ui.session import t
from ui.widgets import header_config, kpi, safe_frame, show_table

cur = page_context(customer_level=False)
rep = cur.ds.report
s = cur.settings

st.title(t("Data"))
st.subheader(t("Data quality report"))
m = st.columns(4)
kpi(m[0], "Rows read", fmt_number(rep.rows_read, s.lang))
_, read = current_dataset()  # the file's own amounts (order totals), whatever revenue basis the pages are on
every = read.every_order()  # guest orders too: the file's totals count them
kpi(m[1], "Orders", fmt_number(len(every), s.lang),
    help=f"{t('of them guest orders without a customer')}: {fmt_number(len(read.guests), s.lang)}"
    if read.guests is not None else None)
kpi(m[2], "Customers", fmt_number(customer_count(cur.ds.orders), s.lang) if cur.ds.customer_level else "—")
kpi(m[3], "Rows dropped", fmt_number(rep.dropped(), s.lang))
issues = rep.table(s.lang)  # reasons in the session's language, from lib.i18n.QUALITY_ISSUES
if len(issues):
    issues["action"] = issues["action"].map(t)
    show_table(issues, "data-quality")
else:
    st.success(t("Nothing was dropped or changed."))
for note in rep.notes:  # the first says which export was recognised, if any
    st.caption(f"{t('Notes')}: {plain(note_text(note, s.lang))}")  # notes quote sheet names and values from the file

st.subheader(t("Mapping in use"))
if "platform" in read.orders.columns:  # several files: each was read with the mapping proposed for it
    st.caption(t("Several files: each is read with the mapping proposed for it; this is the first file's."))
mapping = pd.DataFrame({"field": [header(f, s.lang) for f in rep.mapping], "column": list(rep.mapping.values())})
show_table(mapping, "mapping", overrides={"field": ("Field", "text"), "column": ("Column in the file", "text")})

st.subheader(t("Cleaned orders (first 500 rows)"))
preview = every.head(500)
config = header_config(preview)
dates = preview["order_date"]
config["order_date"] = st.column_config.DatetimeColumn(  # no 00:00:00 on every row when the file has dates only
    header("order_date", s.lang), format="YYYY-MM-DD" if bool((dates == dates.dt.normalize()).all()) else "YYYY-MM-DD HH:mm")
st.dataframe(safe_frame(preview), hide_index=True, width="stretch", column_config=config, placeholder="—")
c1, c2 = st.columns(2)
c1.download_button(t("Download cleaned orders (CSV)"), lambda: csv_bytes(with_headers(every, s.lang, s.currency)),
                   file_name="cleaned-orders.csv",
                   mime="text/csv", key="dl-cleaned", on_click="ignore")
c2.download_button(t("Excel report (all tables)"), lambda: report_bytes(cur.ds, s.margin, cur.view, s.lang),
                   file_name="customer-value-report.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl-report", on_click="ignore")
