"""Every aggregate opens its customers (issue #24): the customers behind a cohort cell, a ladder rung, an RFM segment,
a referral generation, a channel's new customers and a first-product group are as many as the figure says, under no
filter, a date window and a channel filter; their rows carry the Who to contact columns."""
from __future__ import annotations

import pandas as pd
import pytest

from lib.model import tables
from lib.model.contacts import contacts
from lib.model.drill import (
    acquired_by,
    behind,
    cohort_cell,
    first_product,
    ladder_rung,
    referral_generation,
    rfm_segment,
)
from lib.model.products import journey
from lib.model.referrals import generation_sizes, referral_forest
from lib.model.view import Filters, apply_filters

FILTERS = {"none": Filters(), "window": Filters(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-06-30")),
           "channel": Filters(channels=("朋友圈",))}


@pytest.fixture(scope="module", params=list(FILTERS))
def view(request, sample_ds):
    f = FILTERS[request.param]
    if f.channels and f.channels[0] not in sample_ds.channels:
        f = Filters(channels=(sample_ds.channels[0],))
    return apply_filters(sample_ds, f)


def test_a_cohort_cell_opens_its_active_customers(view):
    heat = tables.cohort_heatmap(view)
    cells = heat.loc[heat["active"] > 0].iloc[[0, len(heat.loc[heat["active"] > 0]) // 2, -1]]
    for cell in cells.itertuples():
        ids = cohort_cell(view, cell.cohort, cell.period)
        assert len(ids) == cell.active and ids.is_unique
    weekly = tables.cohort_heatmap(view, "W")
    cell = weekly.loc[weekly["active"] > 0].iloc[-1]
    assert len(cohort_cell(view, cell["cohort"], cell["period"], "W")) == cell["active"]


def test_a_ladder_rung_opens_its_customers(view):
    lad = tables.ladder(view, 4)[0].set_index("rung")
    for rung in ("bought once", "repeat", "loyal"):
        assert len(ladder_rung(view, rung, 4)) == lad.loc[rung, "customers"]


def test_an_rfm_segment_opens_its_customers(view):
    p = tables.prediction(view)
    c = contacts(view, p.customers)
    for row in p.by_segment.itertuples():
        assert len(rfm_segment(c.customers, row.segment)) == row.customers


def test_a_referral_generation_opens_its_customers(view):
    forest = referral_forest(view.everyone)
    for row in generation_sizes(forest).itertuples():
        assert len(referral_generation(forest, row.generation)) == row.customers


def test_a_channels_new_customers_open_from_the_cac_table(view):
    t = tables.cac_table(view, 0.6)
    for row in t.itertuples():
        assert len(acquired_by(view, str(row.channel))) == row.new_customers


def test_a_first_product_group_opens_its_customers(view, sample_ds):
    j = journey(view, sample_ds.lines)
    for row in j.first.head(3).itertuples():
        assert len(first_product(view, sample_ds.lines, row.product)) == row.customers


def test_the_rows_behind_carry_the_contact_columns_and_keep_every_id(view, sample_ds):
    c = contacts(view, None, reach=sample_ds.contacts)
    ids = ladder_rung(view, "repeat")
    rows = behind(c.customers, ids)
    assert len(rows) == len(ids) and set(rows["customer_id"]) == set(ids.astype(str))
    assert {"customer_name", "phone", "last_order", "orders", "spend", "channel", "segment"} <= set(rows.columns)
    assert rows["spend"].is_monotonic_decreasing or rows["clv_12m"].notna().any()
    # an id the table lacks (a referred customer of another channel) keeps its row, facts empty
    more = behind(c.customers, pd.Index(list(ids[:2]) + ["no-such-customer"]))
    assert len(more) == 3 and more.set_index("customer_id").loc["no-such-customer", "orders"] != more.iloc[0]["orders"]


@pytest.mark.apptest
def test_a_cohort_cell_opens_on_the_page_with_its_count_in_both_languages(sample_ds):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=180).run()
    at.switch_page("views/cohorts.py").run()
    assert not at.exception
    view = apply_filters(sample_ds)
    heat = tables.cohort_heatmap(view)
    first = heat["cohort"].min()
    at.selectbox(key="drill-cohort").set_value(first.strftime("%Y-%m")).run()
    at.selectbox(key="drill-period").set_value(2).run()
    active = int(heat.loc[(heat["cohort"] == first) & (heat["period"] == 2), "active"].iloc[0])
    assert f"Customers: {active:,}" in [c.value for c in at.caption]
    shown = [d.value for d in at.dataframe if len(d.value) == active]
    assert shown and {"customer_id", "customer_name", "phone"} <= set(shown[-1].columns)
    assert any(b.label == "CSV" for b in at.get("download_button"))
    at.switch_page("views/overview.py").run()
    at.radio(key="lang").set_value("zh").run()
    at.switch_page("views/cohorts.py").run()
    assert not at.exception
    assert any(c.value.startswith("客户") for c in at.caption)


@pytest.mark.apptest
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_drill_down_on_the_pages_shows_as_many_customers_as_its_figure(sample_ds, lang):
    from streamlit.testing.v1 import AppTest

    from lib.i18n import translate

    view = apply_filters(sample_ds)
    at = AppTest.from_file("../app.py", default_timeout=180).run()
    if lang == "zh":
        at.radio(key="lang").set_value("zh").run()
    word = translate("Customers", lang) + ": "

    def count(page: str, key: str, value: object) -> str:
        at.switch_page(page).run()
        at.selectbox(key=key).set_value(translate(value, lang) if isinstance(value, str) and key.endswith(lang) else value).run()
        assert not at.exception, page
        return [c.value for c in at.caption if c.value.startswith(word)][-1]

    lad = tables.ladder(view, 4)[0].set_index("rung")
    assert count("views/overview.py", f"drill-rung-{lang}", "repeat") == f"{word}{lad.loc['repeat', 'customers']:,}"
    sizes = generation_sizes(referral_forest(view.everyone)).set_index("generation")
    assert count("views/referrals.py", "drill-generation", 1) == f"{word}{sizes.loc[1, 'customers']:,}"
    cac = tables.cac_table(view, 0.6).iloc[0]
    assert count("views/cac.py", "drill-channel", str(cac["channel"])) == f"{word}{cac['new_customers']:,}"
    first = journey(view, sample_ds.lines).first.iloc[0]
    assert count("views/products.py", "drill-product", first["product"]) == f"{word}{first['customers']:,}"
    seg = tables.prediction(view).by_segment.iloc[0]
    assert count("views/ltv.py", f"drill-segment-{lang}", seg["segment"]) == f"{word}{seg['customers']:,}"
