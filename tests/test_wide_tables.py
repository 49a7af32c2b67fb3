"""Wide tables open on the figures that matter and keep them in view: CAC, ROAS, LTV:CAC and payback after the channel;
P(active) and predicted CLV after the customer; on the contact lists the reason (wrapped) and the spend right after
whom to call."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.apptest


def _settings(table) -> dict:  # noqa: ANN001 - an AppTest dataframe
    return json.loads(table.proto.columns or "{}")


def _pinned(table) -> list[str]:  # noqa: ANN001
    return [c for c, s in _settings(table).items() if s.get("pinned")]


@pytest.fixture(scope="module")
def app() -> AppTest:
    return AppTest.from_file("../app.py", default_timeout=300).run()


def test_the_cac_table_opens_on_what_a_channel_costs_and_returns(app):
    app.switch_page("views/cac.py").run()
    assert not app.exception
    [table] = [d for d in app.dataframe if "ltv_cac" in d.value.columns]
    first = ["channel", "cac", "roas", "ltv_cac", "payback_months"]
    assert list(table.value.columns[:5]) == first
    assert {"spend", "new_customers", "revenue", "status"} <= set(table.value.columns[5:])  # the rest is still there
    assert _pinned(table) == first


def test_the_top_customers_open_on_p_active_and_predicted_clv(app):
    app.switch_page("views/ltv.py").run()
    assert not app.exception
    [table] = [d for d in app.dataframe if {"p_alive", "clv", "customer_id"} <= set(d.value.columns)]
    assert list(table.value.columns[:3]) == ["customer_id", "p_alive", "clv"]
    assert _pinned(table) == ["customer_id", "p_alive", "clv"]
    assert _settings(table)["p_alive"]["type_config"]["type"] == "progress"  # still drawn as a bar


def test_contact_lists_show_spend_and_the_reason_early_wrapped(app):
    app.switch_page("views/contacts.py").run()
    assert not app.exception
    lists = [d for d in app.dataframe if "reason" in d.value.columns]
    assert len(lists) >= 3
    for table in lists:  # the sample has names and phones: they come next to the id (whom to call)
        assert list(table.value.columns[:5]) == ["customer_id", "customer_name", "phone", "reason", "spend"]
        assert _pinned(table) == ["customer_id"]
        assert _settings(table)["reason"]["width"] == "large" and table.proto.row_height > 35  # two lines of text
    [custom] = [d for d in app.dataframe if "days_since_last" in d.value.columns and "reason" not in d.value.columns]
    assert list(custom.value.columns[:4]) == ["customer_id", "customer_name", "phone", "spend"] and _pinned(custom) == ["customer_id"]
