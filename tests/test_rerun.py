"""Issue 25: what a click (a rerun of the script) costs after a big workbook is read, and a refused upload said in the
main area. Work is counted (calls of the guessing and checking functions, options handed to widgets), never timed."""
from __future__ import annotations

from datetime import date

import pytest
from conftest import ROOT
from hostile_files import many_sheets_workbook, wide_workbook
from streamlit.testing.v1 import AppTest

import lib.mapping.proposal
import lib.schema
import ui.cache
import ui.sidebar
from ui.choices import LIMIT

pytestmark = pytest.mark.apptest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BIG = {"2,400 sheets": lambda: many_sheets_workbook(2400), "16,000 columns": lambda: wide_workbook(16_000, 3)}


def _app() -> AppTest:
    return AppTest.from_file("../app.py", default_timeout=300).run()


def _offered(at: AppTest) -> dict[str, int]:
    return {w.key: len(w.options) for w in [*at.selectbox, *at.multiselect, *at.radio]}


class _Counter:
    """Calls of the functions that guess, check and copy what a workbook holds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: dict[str, int] = {}
        for module, name in [(ui.cache, "propose"), (ui.cache, "build_dataset"), (ui.cache, "read_workbook"),
                             (lib.mapping.proposal, "propose_sheet"), (lib.mapping.proposal, "propose_mapping"),
                             (lib.mapping.proposal, "recognise"), (ui.cache, "implausible"), (ui.sidebar, "implausible")]:
            if hasattr(module, name):  # the check of a mapping being chosen: wherever the sidebar calls it
                monkeypatch.setattr(module, name, self._counted(name, getattr(module, name)))

        def copied(proposal, state) -> None:  # a Proposal unpickled: st.cache_data hands out a copy a call
            self.calls["Proposal copied"] = self.calls.get("Proposal copied", 0) + 1
            for k, v in state.items():
                object.__setattr__(proposal, k, v)

        monkeypatch.setattr(lib.schema.Proposal, "__setstate__", copied, raising=False)

    def _counted(self, name, fn):  # noqa: ANN001, ANN202
        def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self.calls[name] = self.calls.get(name, 0) + 1
            return fn(*args, **kwargs)
        return counted


@pytest.mark.child
@pytest.mark.parametrize("build", [pytest.param(BIG["2,400 sheets"], id="2,400 sheets", marks=pytest.mark.slow),
                                   pytest.param(BIG["16,000 columns"], id="16,000 columns")])
def test_a_click_after_a_big_workbook_does_no_work_that_grows_with_it(monkeypatch, build):
    # the attack run: 6-149 s a click, the sidebar guessing sheets and mapping again and offering every sheet and
    # column (2 boxes of 2,400 sheets, 22 boxes of 16,000 columns: 352,000 options built and sent on every rerun)
    at = _app()
    at.file_uploader[0].set_value(("big.xlsx", build(), XLSX)).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.session_state["mapping_open"] = True  # the mapping editor open: its boxes drawn on every rerun
    at.run()
    assert len([s for s in at.selectbox if s.key.startswith("map-")]) > 10
    counter = _Counter(monkeypatch)
    at.run()
    dates = [w for w in at.date_input if w.key.startswith("dates-")][0]
    dates.set_value((date(2024, 3, 1), dates.value[1])).run()
    offered: dict[str, int] = {}
    previewed: list[int] = []
    for page in ("views/ltv.py", "views/data.py", "views/overview.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        at.session_state["mapping_open"] = True  # open again on each page
        at.run()
        offered.update(_offered(at))
        previewed.extend(len(d.value.columns) for d in at.sidebar.dataframe)  # the mapping's preview
    assert counter.calls == {}
    assert offered and max(offered.values()) <= LIMIT + 2, {k: n for k, n in offered.items() if n > LIMIT + 2}
    assert previewed and max(previewed) <= LIMIT


@pytest.mark.child
def test_a_search_finds_the_sheets_and_columns_not_offered_first():
    at = _app()
    at.file_uploader[0].set_value(("sheets.xlsx", many_sheets_workbook(120, orders_every=40), XLSX)).run()
    box = [s for s in at.selectbox if s.key.startswith("sheet-")][0]
    # read combined, the sheets that look like orders come first, then the others in workbook order
    combined = "All sheets (combined): Orders 0, Orders 40, Orders 80"
    assert box.options[:4] == [combined, "Orders 0", "Orders 40", "Orders 80"] and len(box.options) == LIMIT + 1
    assert "Note 117" not in box.options
    at.text_input(key=[w.key for w in at.text_input if w.key.startswith("sheet-find-")][0]).set_value("note 117").run()
    box = [s for s in at.selectbox if s.key.startswith("sheet-")][0]
    assert box.options == [combined, "Note 117"] and box.value == combined
    spend = [s for s in at.selectbox if s.key.startswith("spend-")][0]
    assert "Note 117" in spend.options and len(spend.options) <= LIMIT + 1
    box.set_value("Note 117").run()  # not orders: the page says what is missing
    at.text_input(key=[w.key for w in at.text_input if w.key.startswith("sheet-find-")][0]).set_value("orders").run()
    box = [s for s in at.selectbox if s.key.startswith("sheet-")][0]
    assert box.value == "Note 117" and box.options == [combined, "Note 117", "Orders 0", "Orders 40", "Orders 80"]
    assert not at.exception and at.main.error  # the choice stays on offer whatever is searched

    at.file_uploader[0].set_value(("wide.xlsx", wide_workbook(300, 3), XLSX)).run()
    at.session_state["mapping_open"] = True
    at.run()
    channel = [s for s in at.selectbox if s.key.endswith("-channel")][0]
    assert "Extra 290" not in channel.options and len(channel.options) == LIMIT + 1
    at.text_input(key=[w.key for w in at.text_input if w.key.startswith("map-find-")][0]).set_value("extra 29").run()
    channel = [s for s in at.selectbox if s.key.endswith("-channel")][0]
    assert "Extra 290" in channel.options and len(channel.options) <= LIMIT + 1
    channel.set_value("Extra 290").run()
    at.text_input(key=[w.key for w in at.text_input if w.key.startswith("map-find-")][0]).set_value("").run()
    channel = [s for s in at.selectbox if s.key.endswith("-channel")][0]
    assert channel.value == "Extra 290"  # a pick not applied yet stays on offer after the search is cleared
    assert not at.exception


NOT_A_SPREADSHEET = "This file is not a spreadsheet."


def _main_errors(at: AppTest) -> list[str]:
    return [e.value.replace("\\", "") for e in at.main.error]  # as shown: plain() escapes markdown characters


@pytest.mark.child
def test_a_refused_upload_is_said_in_the_main_area_on_every_page_until_dismissed():
    at = _app()
    at.file_uploader[0].set_value(("notes.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "text/plain")).run()
    [said] = [e for e in _main_errors(at) if NOT_A_SPREADSHEET in e]
    assert said.startswith("The file could not be used:") and said.endswith("Showing the sample data.")
    assert any(NOT_A_SPREADSHEET in e.value.replace("\\", "") for e in at.sidebar.error)
    for page in ("views/ltv.py", "views/cohorts.py", "views/data.py"):
        at.switch_page(page).run()
        assert said in _main_errors(at), page
    at.button(key="dismiss-refusal").click().run()
    assert not any(NOT_A_SPREADSHEET in e for e in _main_errors(at)) and not at.sidebar.error
    at.switch_page("views/overview.py").run()
    assert not any(NOT_A_SPREADSHEET in e for e in _main_errors(at))


@pytest.mark.child
def test_a_refused_upload_says_the_data_still_shown_and_goes_with_the_next_upload():
    at = _app()
    good = (ROOT / "tests" / "fixtures" / "edge_cases.csv").read_bytes()
    at.file_uploader[0].set_value(("shop.csv", good, "text/csv")).run()
    at.file_uploader[0].set_value(("bad.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "text/csv")).run()
    [said] = [e for e in _main_errors(at) if NOT_A_SPREADSHEET in e]
    assert said.endswith("Still showing the data you had: shop.csv.")
    at.switch_page("views/ltv.py").run()
    assert said in _main_errors(at)
    at.file_uploader[0].set_value(("again.csv", good + b"\n", "text/csv")).run()
    assert not any(NOT_A_SPREADSHEET in e for e in _main_errors(at))


@pytest.mark.child
def test_a_refused_upload_reads_in_chinese():
    at = _app()
    at.radio(key="lang").set_value("zh").run()
    at.file_uploader[0].set_value(("bad.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "text/csv")).run()
    [said] = [e for e in _main_errors(at) if "此文件不是表格" in e]
    assert said.startswith("无法使用该文件：") and said.endswith("正在显示示例数据。")
    assert at.button(key="dismiss-refusal").label == "关闭"
