"""Text from a file or a link is shown as text: no Markdown, no HTML in charts, no direction controls (issue #25)."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.present import charts
from lib.present.text import currency_symbol, html_inert, strip_controls, template_inert
from lib.share import storage
from lib.share.viewstate import ViewState

PHISH = '<a href="https://example.com/phish">Refund here</a>'
RLO = "\u202e"


def _strings(value: object) -> list[str]:
    """Every string in a figure's JSON (trace names, text, hover, labels, annotations, titles, axes)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _shown(fig) -> list[str]:  # noqa: ANN001 - a plotly Figure
    return _strings(fig.to_plotly_json())


@pytest.mark.parametrize("build", [
    lambda: charts.ltv_curves_chart(pd.DataFrame({"group": [PHISH, PHISH, "SMS", "SMS"], "month": [0, 1, 0, 1],
                                                  "ltv": [10.0, 12.0, 8.0, 9.0]}), currency="<b>¥</b>",
                                    cac={PHISH: 5.0}, title=f"LTV {PHISH}"),
    lambda: charts.cac_ltv_bars(pd.DataFrame({"channel": [PHISH, "SMS"], "cac": [3.0, 4.0], "ltv": [10.0, 20.0]}), 0.5),
    lambda: charts.payback_chart(pd.DataFrame({"channel": [PHISH, "SMS"], "payback_months": [3.0, None]})),
    lambda: charts.acquisition_funnel_chart(pd.DataFrame({"channel": [PHISH] * 2, "stage": ["touches", "buyers"],
                                                          "count": [100, 5]})),
    lambda: charts.product_repeat_chart(pd.DataFrame({"product": [PHISH, "Tea"], "repeat_rate": [0.5, 0.2],
                                                      "customers": [10, 20]}), 0.3),
    lambda: charts.product_flow_chart(pd.DataFrame({"first": [PHISH], "second": ["Tea"], "customers": [3]})),
    lambda: charts.referral_tree(pd.DataFrame({"customer_id": [PHISH, "B"], "referrer_id": [None, PHISH],
                                               "generation": [0, 1], "revenue": [10.0, 5.0]})),
], ids=["ltv-legend-cac-title", "cac-bars", "payback-axis", "funnel-legend", "product-axis", "sankey", "referral-tree"])
def test_a_chart_shows_a_channel_named_like_a_link_as_text(build):
    fig = build()
    shown = _shown(fig)
    assert not [s for s in shown if "<a" in s or "<b>" in s], "a tag from the data reached the figure"
    assert any("&lt;a href=" in s for s in shown)  # the name is there, as the characters it is made of


def test_a_chart_keeps_its_own_hover_tags_and_strips_direction_controls():
    fig = charts.ltv_curves_chart(pd.DataFrame({"group": [f"{RLO}SMS"] * 2, "month": [0, 1], "ltv": [1.0, 2.0]}))
    assert fig.data[0].name == "SMS"
    assert "<br>" in fig.data[0].hovertemplate and fig.data[0].hovertemplate.endswith("<extra></extra>")
    assert not [s for s in _shown(fig) if RLO in s]


def test_the_text_helpers():
    assert strip_controls(f"{RLO}1,710,913\u2066x\u200f") == "1,710,913x"
    assert html_inert("A & <b>B</b>") == "A &amp; &lt;b&gt;B&lt;/b&gt;"
    assert template_inert("group=<i>x</i><br>%{x}<extra></extra>") == "group=&lt;i&gt;x&lt;/i&gt;<br>%{x}<extra></extra>"
    for ok in ("¥", "$", "US$", "HK$", "CHF", "kr", "zł", "元", "€", ""):
        assert currency_symbol(ok) == ok
    for bad in ("**B**", ":red[", RLO, f"{RLO}$", "<a>", "$$", "[x](y)", "¥¥¥¥¥¥"):
        assert currency_symbol(bad) is None


def test_a_link_s_currency_and_channels_are_read_as_plain_text():
    v = ViewState.from_query({"cur": "**B**", "ch": f"SMS|{RLO}Card", "pf": f"{RLO}Shop"}, base=ViewState(currency="$"))
    assert v.currency == "$" and v.channels == ("SMS", "Card") and v.platforms == ("Shop",)
    assert ViewState.from_query({"cur": RLO}).currency == "¥"
    assert ViewState.from_query({"cur": ":red["}).currency == "¥"
    assert ViewState.from_query({"cur": "€"}).currency == "€"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LTV_DATA_DIR", str(tmp_path / "store"))
    return tmp_path / "store"


def _app(**params: str) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.query_params.update(params)
    return at


@pytest.mark.apptest
@pytest.mark.parametrize("cur", ["**B**", RLO, ":red[", f"{RLO}€"], ids=["bold", "rtl-override", "colour", "rtl-euro"])
def test_a_link_with_markup_in_its_currency_shows_the_stored_symbol_and_digits_in_order(store, edge_ds, cur):
    dataset_id = storage.save_dataset(edge_ds)
    token, _ = storage.create_link(dataset_id, {"page": "overview", "currency": "$"})
    at = _app(view=token, cur=cur).run()
    assert not at.exception
    values = [m.value for m in at.metric if m.value.startswith(("$", "-$"))]
    assert values, [m.value for m in at.metric]
    for m in at.metric:
        assert "*" not in m.value and ":red[" not in m.value and RLO not in m.value
    net = {m.label: m.value for m in at.metric}["Net revenue"]
    assert re.fullmatch(r"-?\$[\d,]+(\.\d+)?", net), net  # the stored symbol, then the digits left to right
    assert at.text_input(key="currency").value == "$"


@pytest.mark.apptest
def test_a_file_s_text_reaches_tables_and_pickers_without_direction_controls(store):
    at = _app().run()
    data = "order,customer,date,amount,channel\n" + "\n".join(
        f"{i},c{i % 4},2024-0{1 + i % 6}-1{i % 9},{10 + i},{RLO}SMS" for i in range(20))
    at.file_uploader[0].set_value(("shop.csv", data.encode(), "text/csv")).run()
    chans = [w for w in at.multiselect if w.key.startswith("channels-")][0]
    assert chans.options == ["SMS"]  # shown without the control; the filter still picks the data's channel
    chans.set_value([f"{RLO}SMS"]).run()
    assert not at.exception and {m.label: m.value for m in at.metric}["Customers"] == "4"
    at.switch_page("views/cac.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    cells = [str(v) for v in table.to_numpy().ravel()]
    assert any("SMS" in c for c in cells) and not [c for c in cells if RLO in c]
    assert [o for o in at.selectbox(key="drill-channel").options if RLO in o] == []


def _caption_script() -> None:
    import streamlit as st

    from ui import session as S
    from ui.widgets import view_caption

    S.init_state()
    st.session_state[S.K_CHANNELS] = ["\u202eSMS", "Card"]
    st.text(view_caption())


@pytest.mark.apptest
def test_a_chart_download_s_caption_names_the_channels_without_direction_controls():
    at = AppTest.from_function(_caption_script).run()
    assert not at.exception
    assert at.text[0].value == "SMS, Card"
