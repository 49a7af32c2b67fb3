"""The Data page's notes in 中文 (lib.present.notes): every note the code writes has its 中文, with the file's
numbers and names kept; a recognised export is named in 中文."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import ROOT, load_here

from lib.clean.many import combine
from lib.i18n import ZH
from lib.mapping.profiles import PROFILES
from lib.present.notes import note_text

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _note_sites() -> list[tuple[str, int, ast.expr]]:
    """Every sentence given to ``….notes.append`` / ``….notes.insert`` in lib and ui, as written (a string or an f-string)."""
    out = []
    for path in sorted([*(ROOT / "lib").rglob("*.py"), *(ROOT / "ui").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "insert") \
                    and getattr(node.func.value, "attr", getattr(node.func.value, "id", None)) == "notes" and node.args:
                arg = node.args[-1]
                if isinstance(arg, ast.Constant | ast.JoinedStr | ast.BinOp):
                    out.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.lineno, arg))
    return out


def _samples(arg: ast.expr) -> list[str]:
    """The sentence with every value as "1" ('1' where it is written with !r), and each value once left empty."""
    if isinstance(arg, ast.Constant):
        return [arg.value]
    if isinstance(arg, ast.BinOp):  # "…: " + ", ".join(…) + "."
        return ["".join(p.value if isinstance(p, ast.Constant) else "1" for p in (arg.left.left, arg.left.right, arg.right))]
    parts = arg.values

    def said(empty: int | None) -> str:
        return "".join(p.value if isinstance(p, ast.Constant) else "" if i == empty else "'1'" if p.conversion == ord("r")
                       else "1" for i, p in enumerate(parts))
    return [said(None), *(said(i) for i, p in enumerate(parts) if isinstance(p, ast.FormattedValue))]


SITES = _note_sites()


def test_the_code_writes_the_notes_this_test_knows():
    assert len(SITES) >= 16  # a new note is found here and must pass the test below


@pytest.mark.parametrize("site, line, arg", SITES, ids=[s for s, _, _ in SITES])
def test_every_note_the_code_writes_has_its_chinese(site, line, arg):
    said = [note_text(s, "zh") for s in _samples(arg)]
    assert any(z != s and CJK.search(z) for s, z in zip(_samples(arg), said)), f"{site}: no 中文 for {_samples(arg)[0]!r}"


@pytest.mark.parametrize("note, chinese", [
    ("Recognised: Douyin shop order export (抖店).", "已识别：抖店订单导出。"),
    ("Currency £: the country of 90% of the rows ('Country': United Kingdom).",
     "货币按 90% 的行所在的国家定为 £（“Country”：United Kingdom）。"),
    ("orders-1.csv: Pinduoduo order export (拼多多), 1,200 rows, 1,100 orders (buyers masked or absent: its orders count "
     "as guest orders).", "orders-1.csv：拼多多订单导出，1,200 行，1,100 笔订单（买家已打码或缺失：其订单按访客订单计）。"),
    ("a.xlsx: Recognised: Shopify orders export.", "a.xlsx：已识别：Shopify 订单导出。"),
    ("One person, one customer: 12 customers linked across files by phone, 3 by email.",
     "跨文件同一人算同一位客户：按手机号关联了 12 位客户，按邮箱关联了 3 位。"),
    ("Copied from each order's first row to its other lines: order_date, customer_id.", "已从每笔订单的首行复制到其他行：下单时间、客户。"),
    ("Read the ordinary way: the sheet's XML ends early.", "按常规方式读取：工作表的 XML 提前结束。"),
    ("Check the mapping: column 'Notes' is mapped as the amount but it holds no numbers.", None),
], ids=["profile", "currency", "file", "file's note", "linked", "fields", "not split", "mapping"])
def test_a_note_keeps_its_numbers_and_names(note, chinese):
    said = note_text(note, "zh")
    if chinese is None:  # the mapping's own sentence in 中文 (lib.mapping.proposal.implausible_message)
        assert said == note or said.startswith("请检查列映射：")
    else:
        assert said == chinese
    assert note_text(note, "en") == note


def test_notes_of_real_files_and_of_several_files_read_in_chinese():
    parts = [(p.name, load_here(p)) for p in sorted((EXPORTS / "many").iterdir())]
    notes = [n for _, ds in parts for n in ds.report.notes] + combine(parts).report.notes
    notes += load_here(EXPORTS / "taobao_qianniu.xlsx").report.notes
    assert any(n.startswith("Products read from sheet") for n in notes)
    assert any(": Recognised: " in n for n in notes)
    untranslated = [n for n in notes if note_text(n, "zh") == n or not CJK.search(note_text(n, "zh"))]
    assert not untranslated


def test_a_note_no_pattern_knows_is_shown_as_written():
    assert note_text("Something else: 3 rows.", "zh") == "Something else: 3 rows."


def test_every_export_has_a_chinese_name():
    for p in PROFILES:
        assert CJK.search(p.name_zh) and p.label("zh") == p.name_zh and p.label("en") == p.name, p.key
    assert next(p for p in PROFILES if p.key == "douyin").label("zh") == "抖店订单导出"


def test_a_customers_spend_is_consumption_not_marketing_spend():
    from lib.present.labels import COLUMNS

    assert ZH[COLUMNS["monetary"][0]] == "消费金额"  # RFM's M: what a customer spent
    assert ZH[COLUMNS["spend"][0]] == "费用"  # the marketing spend of a channel


def test_the_uploader_and_a_shared_link_have_their_chinese():
    assert ZH["shared link"] == "分享链接"
    assert "浏览文件" in ZH["Click “Browse files” to choose a file, or drag it onto the box."]
    sidebar = (ROOT / "ui" / "sidebar.py").read_text(encoding="utf-8")
    assert 't("shared link")' in sidebar and "Browse files" in sidebar


def test_sites_are_found_where_they_are():
    assert any(Path(s.split(":")[0]).name == "many.py" for s, _, _ in SITES)


def test_the_contact_lists_say_what_a_customer_spent():
    from lib.present.labels import describe
    import pandas as pd

    contacts = (ROOT / "views" / "contacts.py").read_text(encoding="utf-8")
    assert contacts.count("overrides=SPENT") == 2 and '"spend": ("Amount spent", "money")' in contacts
    [col] = describe(pd.DataFrame({"spend": [1.0]}), "zh", overrides={"spend": ("Amount spent", "money")})
    assert col.header.startswith("消费金额")


def test_the_rhythm_tables_all_channels_row_reads_in_chinese():
    import pandas as pd

    from lib.present.labels import present

    rhythm = pd.DataFrame({"channel": ["All channels", "Douyin"], "median_days": [30.0, 20.0]})
    assert present(rhythm, "zh", rename=False)["channel"].tolist() == ["全部渠道", "Douyin"]
    assert present(rhythm, "en", rename=False)["channel"].tolist() == ["All channels", "Douyin"]


@pytest.mark.apptest
@pytest.mark.child
def test_a_douyin_export_reads_in_chinese_on_the_data_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=180)
    at.session_state["lang"] = "zh"
    at.run()
    assert any("浏览文件" in c.value for c in at.sidebar.caption)  # beside Streamlit's own "Browse files"
    data = (EXPORTS / "douyin_orders.csv").read_bytes()
    at.file_uploader[0].set_value(("douyin.csv", data, "text/csv")).run()
    assert not at.exception
    assert any(c.value == "已识别: 抖店订单导出" for c in at.sidebar.caption)
    at.switch_page("views/data.py").run()
    assert not at.exception
    notes = [c.value for c in at.main.caption if c.value.startswith("说明")]
    assert "说明: 已识别：抖店订单导出。" in notes and all(CJK.search(n.split(": ", 1)[1]) for n in notes)
