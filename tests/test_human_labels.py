"""What a shop owner reads is words, not code: no field or column code name reaches the screen in English, and in
中文 no English sentence of ours does (every string of ours goes through lib/i18n.py; what stays English is data).

The walk runs the app through app.py on the sample, Douyin's export (masked buyers: order-level pages) and an Online
Retail-shaped file (invoice lines, guests, a country as the channel), opens the column mapping and visits every page,
collecting what is drawn: titles, headers, captions, markdown, alerts, metric labels and values, widget labels,
options, help and placeholders, tab, expander and popover labels, and each table's headers as shown (AppTest keeps
a table's raw columns: the header shown is the column settings' label).
"""
from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from conftest import FIXTURES, ROOT, slow_but
from streamlit.testing.v1 import AppTest
from test_filters_agree import _online_retail

from lib.i18n import ZH
from lib.mapping.profiles import PROFILES
from lib.present.export import csv_bytes
from lib.present.labels import COLUMNS, header, leading, with_headers
from lib.schema import NO_CHANNEL, ORDER_COLUMNS, ORDER_FIELDS, REFUND_COLUMNS, SPEND_FIELDS

PAGES = ("overview", "ltv", "cohorts", "cac", "referrals", "products", "contacts", "planner", "data")
# the names code gives columns and fields; the snake_case ones never appear in a person's words
CODE_NAMES = set(COLUMNS) | set(ORDER_FIELDS) | set(SPEND_FIELDS) | set(ORDER_COLUMNS) | set(REFUND_COLUMNS) \
    | {"first_order_date", "cohort_month", "p_alive", "clv", "net_sales", "referrer_id"}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# English words of ours in 中文: two words or more (one word may be a name: Excel, CSV, LTV)
ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[ '’/-]+[A-Za-z]?[a-z]+)+")
# the model's name, as in 中文 papers; Streamlit's own uploader words, which the 中文 hint beside the uploader quotes
ENGLISH_OK = {"Gamma-Gamma", "Browse files", "Drag and drop file here"}
TEXT = ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success", "metric", "text")


# ---- what is drawn --------------------------------------------------------------------------------------------------

def _drawn(at: AppTest) -> list[tuple[str, str]]:
    """(what, text) of every string the run drew; ``what`` is "label", "text", "header" (a table's, as shown),
    "option" or "cell" (a table's text cells)."""
    out: list[tuple[str, str]] = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        for attr in ("label", "help", "placeholder"):
            value = getattr(node, attr, None)
            if isinstance(value, str) and value:
                out.append(("label", value))
        if kind == "popover":
            out.append(("label", node.proto.popover.label))
        if kind in TEXT and isinstance(getattr(node, "value", None), str):
            out.append(("text", node.value))
        if kind in ("selectbox", "radio", "multiselect"):
            out += [("option", str(o)) for o in node.options]
        if kind == "dataframe":
            settings = json.loads(node.proto.columns or "{}")
            df = node.value
            for col in list(node.proto.column_order) or [str(c) for c in df.columns]:
                out.append(("header", (settings.get(col) or {}).get("label") or col))
            for col in df.columns:
                if not pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_datetime64_any_dtype(df[col]):
                    out += [("cell", str(v)) for v in df[col].dropna().unique()[:50]]
    return out


def _source(name: str) -> tuple[tuple[str, bytes, str] | None, set[str]]:
    """The upload for a dataset (None: the sample) and the text of its file: the data a page may show as it is."""
    if name == "sample":
        sheets = pd.read_excel(ROOT / "sample_data" / "orders.xlsx", sheet_name=None, header=None, dtype=str)
        raw = pd.concat(sheets.values())
        return None, _texts(raw) | set(sheets)
    if name == "douyin":
        data = (FIXTURES / "exports" / "douyin_orders.csv").read_bytes()
        return ("douyin.csv", data, "text/csv"), _texts(pd.read_csv(io.BytesIO(data), header=None, dtype=str)) | {"douyin.csv"}
    frame = _online_retail()
    data = frame.to_csv(index=False).encode()
    return ("Online Retail.csv", data, "text/csv"), _texts(pd.read_csv(io.BytesIO(data), header=None, dtype=str)) \
        | {"Online Retail.csv"}


def _texts(raw: pd.DataFrame) -> set[str]:
    return {str(v).strip() for v in raw.stack().dropna().unique()}


def _walk(dataset: str, lang: str) -> tuple[list[tuple[str, str, str]], set[str]]:
    upload, data = _source(dataset)
    at = AppTest.from_file("../app.py", default_timeout=300)
    at.session_state["lang"] = lang  # set before the first run: the mapping's selectboxes are drawn in it from the start
    at.run()
    if upload is not None:
        at.file_uploader[0].set_value(upload).run()
    at.session_state["mapping_open"] = True  # the column mapping is drawn only while open
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    drawn = []
    for page in PAGES:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, at.exception)
        drawn += [(page, what, text) for what, text in _drawn(at)]
    return drawn, data | {NO_CHANNEL}


# ---- what may not be drawn ------------------------------------------------------------------------------------------

def code_names_in(what: str, text: str) -> list[str]:
    """The code names in one drawn string: a snake_case name of our schema anywhere; a label, header or option that
    is a code name ("amount"); a table cell that is a field's name (the mapping table)."""
    found = [w for w in SNAKE.findall(text) if w in CODE_NAMES]
    if what in ("label", "header", "option") and text.strip() in CODE_NAMES:
        found.append(text.strip())
    if what == "cell" and text in ORDER_FIELDS:
        found.append(text)
    return list(dict.fromkeys(found))


def english_in(what: str, text: str, data: set[str]) -> list[str]:
    """English of ours in a string drawn in 中文: a run of English words once the data's own text is taken out, or a
    whole label, header or option that lib/i18n.py translates."""
    plain = text.replace("\\", "")  # the markdown escapes of data (plain())
    if plain.strip() in data:
        return []
    if ENGLISH.search(plain):
        for value in sorted((d for d in data if len(d) > 1 and d in plain), key=len, reverse=True):
            plain = plain.replace(value, " ")
    found = [w for w in ENGLISH.findall(plain) if w not in ENGLISH_OK]
    if what in ("label", "header", "option") and plain.strip() in ZH and ZH[plain.strip()] != plain.strip():
        found.append(plain.strip())
    return list(dict.fromkeys(found))




@pytest.mark.apptest
@pytest.mark.child
@pytest.mark.parametrize("dataset", slow_but(["sample", "douyin", "retail"], "sample", "retail"))
def test_no_code_name_reaches_the_screen_in_english(dataset):
    drawn, _ = _walk(dataset, "en")
    assert len({p for p, _, _ in drawn}) == len(PAGES) and len(drawn) > 200
    leaks = sorted({(page, what, text[:120], name) for page, what, text in drawn for name in code_names_in(what, text)})
    assert not leaks, leaks
    # a missing number reads "—", never Python's "nan" (the LTV page's expected orders when the model gives none)
    assert not [(page, text) for page, what, text in drawn if what in ("text", "label") and re.search(r"\b(nan|NaN)\b", text)]


@pytest.mark.apptest
@pytest.mark.child
@pytest.mark.parametrize("dataset", slow_but(["sample", "douyin", "retail"], "sample"))
def test_no_english_of_ours_reaches_the_screen_in_chinese(dataset):
    drawn, data = _walk(dataset, "zh")
    leaks = sorted({(page, what, text[:120], tuple(words)) for page, what, text in drawn
                    for words in [english_in(what, text, data)] if words})
    assert not leaks, leaks
    leaks = sorted({(page, what, text[:120], name) for page, what, text in drawn for name in code_names_in(what, text)})
    assert not leaks, leaks


# ---- the checks themselves, and the catalogue -----------------------------------------------------------------------

@pytest.mark.parametrize("what, text, expected", [
    ("label", "order_id", ["order_id"]), ("label", "amount", ["amount"]), ("header", "discount_code", ["discount_code"]),
    ("text", "Column 'p_alive' is empty", ["p_alive"]), ("cell", "customer_id", ["customer_id"]), ("cell", "channel", ["channel"]),
    ("label", "Order id", []), ("text", "the amount is paid", []), ("cell", "merged", []), ("text", "my_shop_export.csv", []),
], ids=["field label", "one-word field", "header", "in a sentence", "field cell", "one-word field cell", "human label",
        "a word in a sentence", "our word in a cell", "a file name"])
def test_code_names_in(what, text, expected):
    assert code_names_in(what, text) == expected


@pytest.mark.parametrize("what, text, expected", [
    ("text", "说明: Text encoding: utf-8", ["Text encoding"]), ("header", "Spend", ["Spend"]),
    ("text", "带来回头客: **Oolong tea 250g**", []), ("text", "正在使用: **Online Retail\\.csv**", []),
    ("header", "LTV:CAC", []), ("text", "预测终身价值（MBG/NBD + Gamma-Gamma）", []), ("cell", "Parcel card", []),
], ids=["a sentence", "a translated header", "a product", "a file name", "acronyms", "a model's name", "a channel"])
def test_english_in(what, text, expected):
    assert english_in(what, text, {"Oolong tea 250g", "Online Retail.csv", "Parcel card"}) == expected


def test_every_field_has_one_human_label_in_both_languages():
    """The mapping editor labels each field from lib.present.labels.COLUMNS; each label has its 中文."""
    for field in ORDER_FIELDS:
        assert field in COLUMNS, field
        en, zh = header(field, "en"), header(field, "zh")
        assert en != field and not SNAKE.search(en) and en in ZH and zh == ZH[en], field
    assert header("order_id") == "Order id" and header("order_id", "zh") == "订单号" and header("not_ours") == "not_ours"
    assert not [p.name for p in PROFILES if p.name not in ZH]  # "Recognised: …" in the mapping editor


def test_the_cleaned_orders_download_has_human_headers(sample_ds):
    """The Data page's CSV: the cleaned orders under the headers the preview shows, values as they are."""
    every = sample_ds.every_order()
    text = csv_bytes(with_headers(every, "en", "¥")).decode("utf-8-sig")
    assert text.splitlines()[0] == '"Order id","Customer","Order date","Amount (¥)","Channel","Referred by","Member",' \
                                   '"Discount code"'
    assert with_headers(every, "zh").columns[:3].tolist() == ["订单号", "客户", "下单时间"]
    back = pd.read_csv(io.BytesIO(csv_bytes(with_headers(every, "en"))), encoding="utf-8-sig")
    assert back["Amount"].sum() == pytest.approx(every["amount"].sum()) and len(back) == len(every)


def test_leading_puts_the_figures_first_and_keeps_the_rest_in_order():
    df = pd.DataFrame({"a": [1], "channel": ["x"], "b": [2], "cac": [3.0]})
    assert leading(df, ["channel", "cac", "roas"]).columns.tolist() == ["channel", "cac", "a", "b"]
    assert df.columns.tolist() == ["a", "channel", "b", "cac"]  # the input is left as it was
