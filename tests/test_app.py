"""The dashboard through app.py with AppTest: every page, uploads, filters, settings, language."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from conftest import ROOT, slow_but, xlsx_bytes
from streamlit.testing.v1 import AppTest

from lib.i18n import fmt_money, fmt_number, fmt_pct, fmt_ratio
from lib.model.metrics import overview
from lib.model.view import Filters, apply_filters
from lib.schema import ORDER_FIELDS
from ui.session import K_SPEND_EDIT, K_SPEND_NOTE

pytestmark = pytest.mark.apptest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGES = {
    "views/overview.py": ("Overview", 4), "views/ltv.py": ("LTV", 4), "views/cohorts.py": ("Repurchase cohorts", 4),
    "views/cac.py": ("CAC by channel", 3), "views/referrals.py": ("Referrals", 3),
    "views/products.py": ("Product journey", 2), "views/contacts.py": ("Who to contact", 0), "views/planner.py": ("Growth planner", 2),
    "views/data.py": ("Data", 0),
}


def _app() -> AppTest:
    return AppTest.from_file("../app.py", default_timeout=180).run()


def _set_filters(at: AppTest, first: date, last: date, channels: list[str]) -> None:
    """Set the sidebar's date range and channels the way a user does, one widget at a time."""
    [w for w in at.date_input if w.key.startswith("dates-")][0].set_value((first, last)).run()
    [w for w in at.multiselect if w.key.startswith("channels-")][0].set_value(channels).run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def sample_kpis(sample_ds):
    return overview(apply_filters(sample_ds), margin=0.6)


def test_every_page_renders_on_sample(sample_kpis):
    at = _app()
    assert not at.exception
    assert any("sample data" in i.value for i in at.info)
    for path, (title, charts) in PAGES.items():
        at.switch_page(path).run()
        assert not at.exception, path
        assert at.title[0].value == title
        assert len(at.get("plotly_chart")) >= charts, path


def test_overview_kpis_equal_lib(sample_kpis):
    m = _metrics(_app())
    k = sample_kpis
    assert m["Customers"] == fmt_number(k.customers)
    assert m["Orders"] == fmt_number(k.orders)
    assert m["Net revenue"] == fmt_money(k.revenue_net, "¥")
    assert m["AOV"] == fmt_money(k.aov, "¥", decimals=1)
    assert m["Repurchase rate"] == fmt_pct(k.repurchase_rate)
    assert m["Sharing rate"] == fmt_pct(k.sharing_rate)
    assert m["12-month LTV"] == fmt_money(k.ltv_12m, "¥")
    assert m["CAC"] == fmt_money(k.cac, "¥")
    assert m["LTV:CAC"] == fmt_ratio(k.ltv_cac)


def test_settings_change_the_numbers(sample_ds, sample_kpis):
    at = _app()
    at.text_input(key="currency").set_value("$").run()
    at.slider(key="margin_pct").set_value(30).run()
    m = _metrics(at)
    assert m["Net revenue"] == fmt_money(sample_kpis.revenue_net, "$")
    k30 = overview(apply_filters(sample_ds), margin=0.3)
    assert m["LTV:CAC"] == fmt_ratio(k30.ltv_cac) != fmt_ratio(sample_kpis.ltv_cac)


def test_filters_change_the_numbers(sample_ds):
    at = _app()
    _set_filters(at, date(2026, 1, 1), date(2026, 3, 31), ["Phone call"])
    assert not at.exception
    k = overview(apply_filters(sample_ds, Filters(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-03-31"), ("Phone call",))))
    m = _metrics(at)
    assert m["Customers"] == fmt_number(k.customers) and m["Orders"] == fmt_number(k.orders)
    assert k.customers < 300


def test_empty_filter_result_shows_a_message():
    at = _app()
    # the first day of the data had one Douyin and one Store poster order, and no phone call
    _set_filters(at, date(2024, 11, 1), date(2024, 11, 1), ["Phone call"])
    assert not at.exception
    assert any("No orders match these filters" in e.value for e in at.error)


def test_language_switch_changes_labels():
    at = _app()
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "总览"
    labels = [m.label for m in at.metric]
    assert "客户数" in labels and "复购率" in labels
    assert any("示例数据" in i.value for i in at.info)


def test_quality_report_reads_in_chinese():
    at = _app()
    at.switch_page("views/data.py").run()
    # language last: AppTest cannot replay the mapping selectboxes' old (English) labels into a later run
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "数据"
    issues = at.dataframe[0].value
    # the sample has refunds and status-cancelled orders
    assert {"作为退款保留", "作为取消订单保留"} <= set(issues.iloc[:, 2])
    assert "退款（负金额或作废发票）" in set(issues.iloc[:, 0])


@pytest.mark.child
def test_upload_chinese_workbook_then_bad_file():
    rows = [["店铺订单导出 2024"], [], ["订单号", "顾客", "下单时间", "实付金额", "渠道", "推荐人"]]
    # 3 customers, 5 orders, revenue 100+50+80+200+30 = 460; c2 referred by c1
    rows += [["A1", "c1", datetime(2024, 1, 5), "¥100", "包裹卡", None], ["A2", "c1", datetime(2024, 2, 5), "¥50", "包裹卡", None],
             ["A3", "c1", datetime(2024, 3, 5), "¥80", "包裹卡", None], ["A4", "c2", datetime(2024, 2, 1), "¥200", "抖音", "c1"],
             ["A5", "c3", datetime(2024, 3, 9), "¥30", "抖音", None]]
    at = _app()
    at.file_uploader[0].set_value(("订单.xlsx", xlsx_bytes({"订单": rows}), XLSX)).run()
    assert not at.exception
    m = _metrics(at)
    assert m["Customers"] == "3" and m["Orders"] == "5" and m["Net revenue"] == "¥460"
    assert m["Repurchase rate"] == "33.3%" and m["Sharing rate"] == "33.3%"
    assert not any("sample data" in i.value for i in at.info)
    at.switch_page("views/data.py").run()
    mapping = at.dataframe[1].value if len(at.dataframe) > 1 else None
    assert mapping is not None and "实付金额" in mapping.iloc[:, 1].tolist()
    # the file has dates without times: the cleaned orders show them as dates (the sample shows times)
    assert _order_date_format(at) == "YYYY-MM-DD"
    # a bad file: a clear message, and the previous data stays. A browser replacing the file first
    # removes the current one, then sends the new one.
    at.file_uploader[0].set_value(None).run()
    assert _metrics(at)["Customers"] == "3"
    at.file_uploader[0].set_value(("broken.xlsx", b"PK\x03\x04 not really a zip", XLSX)).run()
    assert not at.exception
    assert any("damaged" in e.value for e in at.error)
    at.switch_page("views/overview.py").run()
    assert _metrics(at)["Customers"] == "3"


@pytest.mark.child
def test_an_upload_shows_its_stages_and_ends_in_a_summary():
    # a big file takes seconds: the page says what is happening instead of looking frozen
    at = _app()
    data = (ROOT / "tests" / "fixtures" / "edge_cases.csv").read_bytes()
    at.file_uploader[0].set_value(("shop.csv", data, "text/csv")).run()
    assert not at.exception
    [status] = at.status
    said = [c.value for c in status.children.values()]
    assert [s.split(":")[0].split(" (")[0].rstrip(" …") for s in said] == [
        "File checked", "Reading the sheets", "Rows read", "Cleaning the orders", "Drawing the page"]
    assert "Rows read: 14" in said
    assert status.label.startswith("Read shop\\.csv: 10 orders (") and status.icon == ":material/check:"
    at.switch_page("views/ltv.py").run()
    assert not at.status  # said once, where the upload happened
    at.switch_page("views/overview.py").run()
    at.file_uploader[0].set_value(("bad.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "text/csv")).run()
    [status] = at.status
    assert status.icon == ":material/error:" and any("not a spreadsheet" in e.value for e in at.error)
    assert _metrics(at)["Customers"] == "8"  # the previous data stays


@pytest.mark.slow
@pytest.mark.child
@pytest.mark.parametrize("split_min", ["1", str(10**12)], ids=["in halves", "in one pass"])
def test_a_big_sheet_read_for_its_mapping_says_how_many_columns(monkeypatch, tmp_path, split_min):
    # the thresholds forced down: a wide report of 41 columns (as Excel saves it) is read for the 10 its mapping uses
    # (买家应付邮费 among them: the shipping), cut in two halves or, too small to split, in one pass
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from wide_export import HEADER, write

    monkeypatch.setenv("LTV_SPLIT_MIN_BYTES", split_min)
    monkeypatch.setenv("LTV_CHOOSE_MIN_BYTES", "1")
    write(6000, tmp_path / "wide.xlsx", HEADER)
    data = (tmp_path / "wide.xlsx").read_bytes()
    at = _app()
    at.file_uploader[0].set_value(("订单报表.xlsx", data, XLSX)).run()
    assert not at.exception
    [status] = at.status
    said = [c.value for c in status.children.values()]
    assert "Reading only the columns the mapping uses: 10" in said
    assert said.index("Reading only the columns the mapping uses: 10") == 2  # after "Reading the sheets"
    _open_mapping(at)
    assert any("Columns not read, as the mapping does not use them (31)" in c.value for c in at.caption)


@pytest.mark.slow
@pytest.mark.child
def test_a_window_without_new_customers_explains_instead_of_failing():
    # the Shopify export from 20 March to 11 April holds one order, of a returning customer: no cohort, no first product
    at = _app()
    data = (ROOT / "tests" / "fixtures" / "exports" / "shopify_orders.csv").read_bytes()
    at.file_uploader[0].set_value(("orders_export.csv", data, "text/csv")).run()
    [w for w in at.date_input if w.key.startswith("dates-")][0].set_value((date(2024, 3, 20), date(2024, 4, 11))).run()
    for path in PAGES:
        at.switch_page(path).run()
        assert not at.exception, path
    at.switch_page("views/cohorts.py").run()
    assert any("no cohort to show" in i.value for i in at.info)


@pytest.mark.slow
@pytest.mark.child
def test_the_stages_read_in_chinese():
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.session_state["lang"] = "zh"
    at.run()
    data = (ROOT / "tests" / "fixtures" / "edge_cases.csv").read_bytes() + b"\n"  # not read before by this server
    at.file_uploader[0].set_value(("shop.csv", data, "text/csv")).run()
    [status] = at.status
    said = " ".join(c.value for c in status.children.values())
    assert "读取行数: 14" in said and "正在清洗订单" in said and status.label.startswith("已读取")
    at.file_uploader[0].set_value(("again.csv", data, "text/csv")).run()  # the same bytes: read once per server
    [status] = at.status
    assert "此服务器已读取过该文件" in " ".join(c.value for c in status.children.values())


@pytest.mark.child
def test_the_default_window_reaches_a_refund_after_the_last_order():
    """The sidebar's range ended at the last order, so a refund after it (Square's -204 on 29 Oct) was outside the
    Overview while `lib load` and `lib kpis` counted it: the range runs to the data's last order or refund."""
    rows = [["order", "customer", "date", "amount"], ["1", "A", datetime(2024, 1, 5), 100], ["2", "B", datetime(2024, 1, 6), 60],
            ["R1", "A", datetime(2024, 1, 20), -40]]
    at = _app()
    at.file_uploader[0].set_value(("orders.xlsx", xlsx_bytes({"Orders": rows}), XLSX)).run()
    assert not at.exception
    assert _metrics(at)["Net revenue"] == "¥120"  # 160 - 40
    assert [w for w in at.date_input if w.key.startswith("dates-")][0].value == (date(2024, 1, 5), date(2024, 1, 20))


def _order_date_format(at: AppTest) -> str:
    import json

    configs = [json.loads(d.proto.columns) for d in at.dataframe]
    preview = [c for c in configs if "type_config" in c.get("order_date", {})][0]  # the cleaned-orders preview
    return preview["order_date"]["type_config"]["format"]


def test_data_page_shows_order_times_when_the_file_has_them():
    at = _app()
    at.switch_page("views/data.py").run()
    assert _order_date_format(at) == "YYYY-MM-DD HH:mm"


def _open_mapping(at) -> None:
    """Open the sidebar's column mapping (drawn only while open), as a person clicking it does."""
    at.session_state["mapping_open"] = True
    at.run()


def test_the_mapping_is_drawn_only_while_open():
    at = _app()
    assert not [s for s in at.selectbox if s.key and s.key.startswith("map-")]  # closed: nothing built
    _open_mapping(at)
    assert not at.exception and len([s for s in at.selectbox if s.key and s.key.startswith("map-")]) == len(ORDER_FIELDS)


@pytest.mark.child
def test_mapping_can_be_corrected():
    data = b"id,who,when,paid,also_date\n1,a,2024-01-01,5,2020-01-01\n2,b,2024-01-02,7,2020-01-01\n"
    at = _app()
    at.file_uploader[0].set_value(("x.csv", data, "text/csv")).run()
    assert not at.exception
    assert any("No customer column" in w.value for w in at.warning)  # nothing maps to a customer yet: order-level figures
    assert _metrics(at)["Orders"] == "2"
    _open_mapping(at)
    base = [s for s in at.selectbox if s.key and s.key.startswith("map-") and s.key.endswith("-customer_id")][0].key[:-len("customer_id")]
    at.selectbox(key=base + "customer_id").set_value("who")
    at.selectbox(key=base + "order_date").set_value("when")
    at.selectbox(key=base + "amount").set_value("paid")
    at.button(key=base.replace("map-", "apply-").rsplit("-", 3)[0]).click().run()  # map-{base}-{sheet}-{lang}-{field}
    assert not at.exception
    m = _metrics(at)
    assert m["Customers"] == "2" and m["Net revenue"] == "¥12"


@pytest.mark.slow
@pytest.mark.child
def test_a_column_no_rule_maps_is_read_on_request_and_can_be_mapped():
    # a wide export is read faster by keeping only columns a mapping can use; the others are named, one click away
    rows = [["Order ID", "Customer", "Date", "Amount", "Packed by"], ["1", "a", datetime(2024, 1, 1), 5, "Lin"],
            ["2", "b", datetime(2024, 1, 2), 7, "Wu"], ["3", "a", datetime(2024, 2, 2), 9, "Lin"]]
    at = _app()
    at.file_uploader[0].set_value(("wide.xlsx", xlsx_bytes({"Orders": rows}), XLSX)).run()
    assert not at.exception
    # read and kept on the server: the uploader is empty again (Streamlit copies a widget's value every run)
    assert not at.file_uploader[0].value and any(c.value == "Using: **wide\\.xlsx**" for c in at.caption)
    _open_mapping(at)
    assert any("Columns not read, as the mapping does not use them (1): Packed by" in c.value for c in at.caption)
    [b for b in at.button if b.key and b.key.startswith("every-")][0].click().run()
    assert not at.exception
    [status] = at.status  # read again, its stages shown
    assert not any("Columns not read" in c.value for c in at.caption)
    channel = [s for s in at.selectbox if s.key and s.key.startswith("map-") and s.key.endswith("-channel")][0]
    assert "Packed by" in channel.options
    channel.set_value("Packed by")
    at.button(key=channel.key.replace("map-", "apply-").rsplit("-", 3)[0]).click().run()
    assert not at.exception
    chans = [w for w in at.multiselect if w.key.startswith("channels-")][0]
    assert sorted(chans.options) == ["Lin", "Wu"]
    assert _metrics(at)["Customers"] == "2"


@pytest.mark.slow
@pytest.mark.child
def test_mapping_a_column_not_read_reads_the_file_again():
    # the columns left out are offered in the mapping too; applying one reads the kept bytes again, every column
    rows = [["Order ID", "Customer", "Date", "Amount", "Packed by"], ["1", "a", datetime(2024, 1, 1), 5, "Lin"],
            ["2", "b", datetime(2024, 1, 2), 7, "Wu"], ["3", "a", datetime(2024, 2, 2), 9, "Lin"]]
    at = _app()
    at.file_uploader[0].set_value(("wide.xlsx", xlsx_bytes({"Orders": rows}), XLSX)).run()
    _open_mapping(at)
    channel = [s for s in at.selectbox if s.key and s.key.startswith("map-") and s.key.endswith("-channel")][0]
    assert "Packed by" in channel.options
    channel.set_value("Packed by")
    at.button(key=channel.key.replace("map-", "apply-").rsplit("-", 3)[0]).click().run()
    assert not at.exception and not at.error
    [status] = at.status  # read again, its stages shown
    assert not any("Columns not read" in c.value for c in at.caption)
    chans = [w for w in at.multiselect if w.key.startswith("channels-")][0]
    assert sorted(chans.options) == ["Lin", "Wu"]
    assert _metrics(at)["Customers"] == "2"


@pytest.mark.slow
@pytest.mark.child
def test_sample_without_referrals_or_spend_explains(tmp_path):
    data = b"order,customer,date,amount\n1,a,2024-01-01,5\n2,a,2024-02-01,6\n3,b,2024-02-03,7\n"
    at = _app()
    at.file_uploader[0].set_value(("plain.csv", data, "text/csv")).run()
    assert any("No spend data" in i.value for i in at.info)
    at.switch_page("views/referrals.py").run()
    assert not at.exception and any("no referrer links" in i.value for i in at.info)
    at.switch_page("views/cac.py").run()
    assert not at.exception and any("No spend data" in i.value for i in at.info)
    at.switch_page("views/ltv.py").run()
    # the minimum data is stated (2 customers; 20 are needed), not a failure
    assert not at.exception and any("Not enough data to predict yet: Too few customers (2)" in i.value for i in at.info)


def _walk_pages(at: AppTest) -> None:
    for path in PAGES:
        at.switch_page(path).run()
        assert not at.exception, path


@pytest.mark.slow
@pytest.mark.child
def test_a_rerun_never_proposes_the_sheets_and_mapping_again(monkeypatch):
    # issue 25: the sidebar guessed sheets and mapping on every rerun (6-13 s a click at 20,000 columns, 149 s at
    # 2,400 sheets). The proposal is made once per workbook, and the dataset is built from that one.
    import lib.clean
    import lib.mapping
    import ui.cache

    made: list[list[str]] = []
    monkeypatch.setattr(ui.cache, "propose", lambda wb: made.append(wb.sheet_names) or lib.mapping.propose(wb))
    monkeypatch.setattr(lib.clean, "propose", lambda wb: pytest.fail("build_dataset proposed again"))
    head = ["Order ID", "Customer", "Date", "Amount", "Channel"]
    data = xlsx_bytes({"Once": [head, ["r1", "a", datetime(2024, 3, 1), 10, "SMS"], ["r2", "b", datetime(2024, 6, 1), 20, "Card"]],
                       "Spend": [["Channel", "Month", "Spend"], ["SMS", "2024-03", 15]]})
    at = _app()
    at.file_uploader[0].set_value(("once.xlsx", data, XLSX)).run()
    assert not at.exception and _metrics(at)["Orders"] == "2"
    _open_mapping(at)
    _walk_pages(at)
    _set_filters(at, date(2024, 3, 1), date(2024, 6, 1), ["SMS"])
    assert not at.exception
    assert [names for names in made if names[0] == "Once"] == [["Once", "Spend"]]


@pytest.mark.child
def test_combined_sheets_are_a_choice_that_can_be_taken_again():
    """Two sheets of orders are read combined, but the sheet box showed the first sheet's name, and choosing a
    sheet and back could not return to the combined data (260 -> 213 -> 157 customers)."""
    head = ["Order ID", "Customer", "Date", "Amount", "Channel"]
    data = xlsx_bytes({"2023": [head, ["1", "a", datetime(2023, 3, 1), 10, "SMS"], ["2", "b", datetime(2023, 6, 1), 20, "Card"]],
                       "2024": [head, ["3", "a", datetime(2024, 2, 1), 30, "SMS"], ["4", "c", datetime(2024, 9, 1), 40, "Card"]]})
    at = _app()
    at.file_uploader[0].set_value(("two.xlsx", data, XLSX)).run()
    box = [s for s in at.selectbox if s.key.startswith("sheet-")][0]
    assert box.value == "All sheets (combined): 2023, 2024" and _metrics(at)["Orders"] == "4"
    box.set_value("2023").run()
    assert _metrics(at)["Orders"] == "2"
    [s for s in at.selectbox if s.key.startswith("sheet-")][0].set_value("All sheets (combined): 2023, 2024").run()
    assert not at.exception and _metrics(at)["Orders"] == "4" and _metrics(at)["Customers"] == "3"


def test_two_sheet_workbook_every_sidebar_control():
    # Two orders sheets with the same columns (combined at first) and a spend sheet. Picking one sheet narrows the
    # dates: the range kept from the combined data must follow, not crash the page.
    head = ["Order ID", "Customer", "Date", "Amount", "Channel", "Note"]
    data = xlsx_bytes({
        "2023": [head, ["1", "a", datetime(2023, 3, 1), 10, "SMS", "x"], ["2", "b", datetime(2023, 6, 1), 20, "Card", "y"]],
        "2024": [head, ["3", "a", datetime(2024, 2, 1), 30, "SMS", "z"], ["4", "c", datetime(2024, 9, 1), 40, "Card", "w"]],
        "Spend": [["Channel", "Month", "Spend"], ["SMS", "2024-02", 15], ["Card", "2023-06", 8]],
    })
    at = _app()
    at.file_uploader[0].set_value(("two.xlsx", data, XLSX)).run()
    assert not at.exception
    assert _metrics(at)["Orders"] == "4"
    dates = [w for w in at.date_input if w.key.startswith("dates-")][0]
    assert dates.value == (date(2023, 3, 1), date(2024, 9, 1))
    [s for s in at.selectbox if s.key.startswith("sheet-")][0].set_value("2024").run()
    assert not at.exception
    assert _metrics(at)["Orders"] == "2"
    assert [w for w in at.date_input if w.key.startswith("dates-")][0].value == (date(2024, 2, 1), date(2024, 9, 1))
    _walk_pages(at)
    at.switch_page("views/overview.py").run()
    [s for s in at.selectbox if s.key.startswith("spend-")][0].set_value("(none)").run()
    assert not at.exception and any("No spend data" in i.value for i in at.info)
    [s for s in at.selectbox if s.key.startswith("spend-")][0].set_value("Spend").run()
    assert not at.exception
    _set_filters(at, date(2024, 1, 1), date(2024, 3, 1), ["SMS"])
    assert not at.exception and _metrics(at)["Orders"] == "1"
    [s for s in at.selectbox if s.key.startswith("sheet-")][0].set_value("2023").run()  # channel SMS exists there too
    assert not at.exception
    assert [w for w in at.date_input if w.key.startswith("dates-")][0].value[0] >= date(2023, 3, 1)
    # a mapping that points the amount at a text column: a clear message on every page, never the exception page.
    # "Note" is free text no rule maps: it is read when asked for, and the sheet chosen stays chosen
    before = _metrics(at)["Orders"]
    _open_mapping(at)
    [b for b in at.button if b.key and b.key.startswith("every-")][0].click().run()
    assert [s for s in at.selectbox if s.key.startswith("sheet-")][0].value == "2023" and _metrics(at)["Orders"] == before
    base = [s for s in at.selectbox if s.key and s.key.startswith("map-") and s.key.endswith("-amount")][0].key[:-len("amount")]
    at.selectbox(key=base + "amount").set_value("Note")
    at.button(key=base.replace("map-", "apply-").rsplit("-", 3)[0]).click().run()  # map-{base}-{sheet}-{lang}-{field}
    assert not at.exception
    assert at.error, "a mapping that leaves no orders says so"
    _walk_pages(at)
    at.button(key="back-to-sample").click().run()
    assert not at.exception and any("sample data" in i.value for i in at.info)
    at.radio(key="lang").set_value("zh").run()  # last: AppTest cannot replay selectboxes whose labels changed language
    assert not at.exception


PLATFORM_FILES = {  # file -> (mime, orders shown, customer-level)
    "shopify_orders.csv": ("text/csv", "4", True), "woocommerce_orders.csv": ("text/csv", "4", True),
    # Square's T4 names no customer: a guest order, counted in the orders (issue 21)
    "square_items.csv": ("text/csv", "4", True), "stripe_payments.csv": ("text/csv", "4", True),
    # a paid order refunded in full is an order (and a refund) on every platform (issue 21): Taobao, Douyin and
    # Pinduoduo each show one more order than when 退款成功 was kept apart as cancelled
    "taobao_orders.csv": ("text/csv", "4", True), "taobao_qianniu.xlsx": (XLSX, "4", True),
    "douyin_orders.csv": ("text/csv", "4", False), "youzan_orders.xlsx": (XLSX, "4", True),
    "youzan_items.csv": ("text/csv", "3", True), "pinduoduo_orders.csv": ("text/csv", "3", False),
}


@pytest.mark.child
@pytest.mark.parametrize("name", slow_but(sorted(PLATFORM_FILES), "shopify_orders.csv"),
                         ids=lambda n: n.split(".")[0])
def test_platform_export_through_the_uploader(name):
    from conftest import FIXTURES
    from test_platforms import EXPECTED

    mime, orders, customer_level = PLATFORM_FILES[name]
    at = _app()
    at.file_uploader[0].set_value((name, (FIXTURES / "exports" / name).read_bytes(), mime)).run()
    assert not at.exception
    assert any(f"Recognised: {EXPECTED[name]['platform']}" in c.value for c in at.caption)
    assert _metrics(at)["Orders"] == orders
    assert any("order-level" in w.value for w in at.warning) is not customer_level
    _walk_pages(at)
    at.switch_page("views/data.py").run()
    assert _metrics(at)["Orders"] == orders
    currency = EXPECTED[name]["currency"] or "¥"  # the file's own currency, else the default
    assert at.text_input(key="currency").value == currency


@pytest.mark.slow
@pytest.mark.child
def test_the_currency_follows_the_data():
    from conftest import FIXTURES

    at = _app()
    at.file_uploader[0].set_value(("s.csv", (FIXTURES / "exports" / "shopify_orders.csv").read_bytes(), "text/csv")).run()
    assert at.text_input(key="currency").value == "$"
    assert _metrics(at)["Net revenue"].startswith("$")
    at.text_input(key="currency").set_value("US$").run()  # the user's own choice holds while the data stays
    at.switch_page("views/ltv.py").run()
    assert at.text_input(key="currency").value == "US$"
    at.button(key="back-to-sample").click().run()  # other data: the sample states no currency, so the default
    at.switch_page("views/overview.py").run()
    assert at.text_input(key="currency").value == "¥" and _metrics(at)["Net revenue"].startswith("¥")


@pytest.mark.child
def test_text_from_the_file_never_renders_as_markdown():
    # Sheet names, column names and values holding markdown: wherever they are quoted in a message or a note,
    # they show as characters, never as an image to fetch or a link.
    evil = "x ![beacon](http://evil.example/b.png) [click me](http://evil.example/p)"
    head = ["Order ID", "Customer", "Date", "Amount", "Channel"]
    import zipfile
    from html import escape
    from io import BytesIO

    from conftest import rewrite_parts

    plain_book = xlsx_bytes({"EVIL1": [head, ["1", "a", datetime(2024, 1, 1), 10, "SMS"]],
                             "EVIL2": [head + ["[c](http://evil.example)"], ["2", "b", datetime(2024, 2, 1), 20, "SMS", 1]]})
    book_xml = zipfile.ZipFile(BytesIO(plain_book)).read("xl/workbook.xml")
    book_xml = book_xml.replace(b'name="EVIL1"', f'name="{escape(evil)}"'.encode())  # Excel refuses [ ] in names;
    book_xml = book_xml.replace(b'name="EVIL2"', b'name="Sheet [b](http://evil.example)"')  # a hand-made file does not
    data = rewrite_parts(plain_book, {"xl/workbook.xml": book_xml})
    at = _app()
    at.file_uploader[0].set_value((f"{evil}.xlsx", data, XLSX)).run()
    assert not at.exception
    for path in PAGES:
        at.switch_page(path).run()
        assert not at.exception, path
        shown = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success")
                 for e in at.get(kind)]
        assert not [v for v in shown if "](http" in v], path
    at.switch_page("views/data.py").run()
    assert any("beacon" in c.value for c in at.caption)  # the note that quotes the sheet name is there, inert


@pytest.mark.child
def test_no_shown_table_holds_a_runnable_formula():
    # Every st.dataframe has Streamlit's own "Download as CSV" of the shown cells: ids, channels and referrers that
    # a spreadsheet would run must already be neutralised where they are shown, on every page.
    evil = ["=HYPERLINK(\"http://evil.example\",\"x\")", "=cmd|' /C calc'!A0", "+SUM(A1)", "@x", "-2+3", "\t=1"]
    rows = ["Order ID,Customer,Date,Amount,Channel,Referrer"]
    for i in range(60):
        who = evil[i % len(evil)] + str(i % 9)
        rows.append(f"{'=1+' + str(i) if i % 5 == 0 else i},\"{who.replace(chr(34), chr(34) * 2)}\",2024-0{1 + i % 6}-1{i % 9},"
                    f"{10 + i},\"{evil[i % 3].replace(chr(34), chr(34) * 2)}\",\"{evil[(i + 1) % len(evil)] + str((i + 2) % 9) if i % 4 == 0 else ''}\"")
    at = _app()
    at.file_uploader[0].set_value(("evil.csv", "\n".join(rows).encode(), "text/csv")).run()
    assert not at.exception
    seen = 0
    for path in PAGES:
        at.switch_page(path).run()
        assert not at.exception, path
        frames = [d.value for d in at.dataframe]
        for frame in frames:
            for col in frame.columns:
                for value in frame[col].tolist():
                    if isinstance(value, str):
                        seen += 1
                        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (path, col, value)
    assert seen > 100  # the tables did show the file's text


def test_spend_typed_in_the_cac_page_becomes_the_spend(monkeypatch):
    # The editor's own widget cannot be typed into from AppTest; the function its button calls can, in a session.
    from ui import cache as S

    at = _app()
    at.switch_page("views/cac.py").run()
    edited = pd.DataFrame({"channel": ["'=cmd|' /C calc'!A0", "SMS"], "month": ["2025-01", "2025-01"],
                           "spend": [100.0, 50.0], "touches": [None, 1000], "adds": [None, None], "cost_per_touch": [None, None]})
    monkeypatch.setattr(S.st, "session_state", {})
    assert S.apply_spend(edited) is None
    spend = S.st.session_state[K_SPEND_EDIT]
    assert spend["channel"].tolist() == ["=cmd|' /C calc'!A0", "SMS"]  # the neutralised name is the data's name again
    assert spend["spend"].tolist() == [100.0, 50.0]
    assert S.st.session_state[K_SPEND_NOTE] is None
    # a row whose month is not a month is left out and said, never dropped silently
    assert S.apply_spend(edited.assign(month=["not a month", "2025-01"])) is None
    assert S.st.session_state[K_SPEND_EDIT]["channel"].tolist() == ["SMS"]
    assert sum(rows for rows, _ in S.st.session_state[K_SPEND_NOTE]) == 1



def test_product_journey_page_tells_the_sample_story_and_matches_lib(sample_ds):
    from lib.model.products import journey

    at = _app()
    at.switch_page("views/products.py").run()
    assert not at.exception
    j = journey(apply_filters(sample_ds), sample_ds.lines)
    m = _metrics(at)
    assert m["New customers with products"] == fmt_number(j.shop["customers"]) and m["Repeat rate"] == fmt_pct(j.shop["repeat_rate"])
    assert m["12-month LTV"] == _metrics(_app())["12-month LTV"]  # one definition: the Overview's card
    [story] = at.success
    assert "Oolong tea 250g" in story.value and "gift box" in story.value
    table = at.dataframe[0].value
    assert table.iloc[:, 0].tolist()[:2] == j.first["product"].tolist()[:2]
    # a date window and a channel change the groups as lib computes them
    _set_filters(at, date(2025, 6, 1), date(2026, 3, 31), ["SMS"])
    assert not at.exception
    view = apply_filters(sample_ds, Filters(pd.Timestamp("2025-06-01"), pd.Timestamp("2026-03-31"), ("SMS",)))
    assert _metrics(at)["New customers with products"] == fmt_number(journey(view, sample_ds.lines).shop["customers"])


@pytest.mark.slow
@pytest.mark.child
def test_product_journey_without_products_says_what_column_would_enable_it():
    at = _app()
    at.file_uploader[0].set_value(("shop.csv", (ROOT / "tests" / "fixtures" / "edge_cases.csv").read_bytes(), "text/csv")).run()
    at.switch_page("views/products.py").run()
    assert not at.exception
    assert any("no product column" in i.value and "StockCode" in i.value for i in at.info)


def test_product_journey_in_chinese():
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.session_state["lang"] = "zh"
    at.run()
    at.switch_page("views/products.py").run()
    assert not at.exception
    assert at.title[0].value == "商品旅程" and "带来回头客" in at.success[0].value


def test_who_to_contact_lists_match_lib_and_follow_the_filters(sample_ds):
    from lib.model.contacts import contacts, custom_list
    from lib.model.referrals import referral_forest
    from lib.model.tables import prediction

    at = _app()
    at.switch_page("views/contacts.py").run()
    assert not at.exception
    view = apply_filters(sample_ds)
    p = prediction(view)
    c = contacts(view, p.customers, referral_forest(view.everyone), reach=sample_ds.contacts)
    m = _metrics(at)
    assert [m[n] for n in ("Due now", "Valuable, at risk", "One-time buyers to convert", "Top referrers to reward")] == [
        fmt_number(len(c.lists[k])) for k in ("due", "at_risk", "convert", "referrers")]
    due = at.dataframe[0].value
    assert due["customer_id"].tolist() == c.lists["due"]["customer_id"].tolist() and due["reason"].iloc[0].startswith("Orders every")
    # whom to call: the sample's names and phones (one in ten has none), next to the id
    assert list(due.columns[:4]) == ["customer_id", "customer_name", "phone", "reason"]
    assert due[["customer_name", "phone"]].fillna("—").values.tolist() == \
        c.lists["due"][["customer_name", "phone"]].astype(object).fillna("—").values.tolist()
    assert due["customer_name"].notna().all() and due["phone"].str.fullmatch(r"1\d{10}").mean() > 0.7
    at_stake = fmt_money(c.summary.set_index("list").loc["due", "clv_at_stake"], "¥", "en")
    assert any(cap.value.startswith(f"CLV at stake: {at_stake}") for cap in at.caption)  # its 90 % interval follows
    # the custom list: SMS customers with 3+ orders
    at.multiselect(key="contacts-channels").set_value(["SMS"]).run()
    at.number_input(key="contacts-min-orders").set_value(3).run()
    assert not at.exception
    expected = custom_list(c.customers, channels=("SMS",), min_orders=3)
    assert any(cap.value == f"Customers: {fmt_number(len(expected))}" for cap in at.caption)
    # as of the window's end: a window to March 2026 makes other lists
    _set_filters(at, date(2025, 1, 1), date(2026, 3, 31), [])
    assert not at.exception and any("As of 2026-03-31" in cap.value for cap in at.caption)


@pytest.mark.slow
@pytest.mark.child
def test_who_to_contact_says_which_column_would_add_names_and_phones():
    data = b"order,customer,date,amount\n1,a,2024-01-01,10\n2,a,2024-02-01,10\n3,b,2024-02-03,12\n"
    at = _app()
    at.file_uploader[0].set_value(("orders.csv", data, "text/csv")).run()
    at.switch_page("views/contacts.py").run()
    assert not at.exception
    assert any("no name, phone or email column" in cap.value for cap in at.caption)
    assert "customer_name" not in at.dataframe[0].value.columns


@pytest.mark.slow
@pytest.mark.child
def test_who_to_contact_without_customer_ids_says_why():
    from pathlib import Path

    data = (ROOT / "tests" / "fixtures" / "exports" / "douyin_orders.csv").read_bytes()
    at = _app()
    at.file_uploader[0].set_value(("douyin.csv", data, "text/csv")).run()
    at.switch_page("views/contacts.py").run()
    assert not at.exception and any("masked" in w.value and "cannot be computed" in w.value for w in at.warning)
    del Path


@pytest.mark.child
def test_a_file_with_masked_buyers_gets_an_overview_of_its_orders():
    """Douyin's masked buyers: no customer figures, but revenue and orders by month, channel and product, and refunds
    (worked out from the fixture: 4 paid orders ¥1,377 in July 2024, a ¥30 refund; 直播 ¥1,230, 短视频 ¥147)."""
    data = (ROOT / "tests" / "fixtures" / "exports" / "douyin_orders.csv").read_bytes()
    at = _app()
    at.file_uploader[0].set_value(("douyin.csv", data, "text/csv")).run()
    assert not at.exception
    assert any("masked" in w.value for w in at.warning)
    assert [h.value for h in at.subheader][:3] == ["Revenue and orders by month", "By channel", "By product"]
    months, channels, products = (d.value for d in at.dataframe[:3])
    assert months["orders"].tolist() == [4] and months["revenue"].tolist() == [1377.0] and months["refunds"].tolist() == [30.0]
    assert dict(zip(channels["channel"], channels["revenue"])) == {"直播": 1230.0, "短视频": 147.0}
    assert products["revenue"].sum() == 1377.0
    assert any("refund rate 2.2%" in c.value for c in at.caption)


def test_who_to_contact_in_chinese():
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.session_state["lang"] = "zh"
    at.run()
    at.switch_page("views/contacts.py").run()
    assert not at.exception
    assert at.title[0].value == "今天联系谁" and "该联系了" in _metrics(at)
    assert at.dataframe[0].value["reason"].iloc[0].startswith("每")


def test_cohorts_narrow_to_a_first_product_or_a_discount_code(sample_ds):
    from lib.model.products import journey

    at = _app()
    at.switch_page("views/cohorts.py").run()
    pick = at.selectbox(key="cohort-group-en")
    assert pick.options[0] == "All new customers" and "First product: Oolong tea 250g" in pick.options
    assert "Discount code: FRIEND50" in pick.options
    def first_step() -> int:  # the funnel's first step: new customers (the table shows formatted text)
        [funnel] = [d.value for d in at.dataframe if list(d.value.columns[:2]) == ["step", "customers"]]
        return int(funnel.iloc[0, 1])

    everyone = first_step()
    pick.set_value("First product: Oolong tea 250g").run()
    assert not at.exception
    oolong = journey(apply_filters(sample_ds), sample_ds.lines).first.set_index("product").loc["Oolong tea 250g", "customers"]
    assert first_step() == oolong < everyone
    at.selectbox(key="cohort-group-en").set_value("Discount code: DOUYIN20").run()
    assert not at.exception and first_step() < everyone
