"""One shop, many files (issue #23): overlapping monthly exports counted once, the same person on two platforms one
customer, a masked platform's orders in the order totals only, currencies that cannot be added refused. Figures
worked out by hand from tests/fixtures/exports/many (made by make_exports.py)."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import FIXTURES, ROOT

from lib.clean import load_many
from lib.errors import DataError
from lib.model.metrics import overview
from lib.model.view import apply_filters
from lib.read import read_here

EXPORTS = FIXTURES / "exports"
MANY = EXPORTS / "many"
MONTHS = [MANY / f"taobao_2024-0{m}.csv" for m in (1, 2, 3)]


def _many(*paths, link: bool = True):
    return load_many([str(p) for p in paths], link=link, read=read_here)


def _uploaded(*paths, lang: str = "en"):
    """The app (AppTest) with ``paths`` chosen at once in the uploader, in ``lang``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=180).run()
    if lang == "zh":
        at.radio(key="lang").set_value("zh").run()
    return at.file_uploader[0].set_value([(p.name, p.read_bytes(), "application/octet-stream") for p in paths]).run()


def test_three_monthly_reports_overlapping_by_a_day_count_each_order_once():
    ds = _many(*MONTHS)
    # 3100001-3100008 once: 100 + 50 + 80 + 60 + 40 + 30 + 70 + 90 = 520; 3100003 (80) and 3100006 (30) were in two files
    assert sorted(ds.orders["order_id"]) == [f"310000{i}" for i in range(1, 9)]
    k = overview(apply_filters(ds))
    assert (k.orders, k.revenue_gross, k.customers) == (8, 520.0, 4)
    assert k.repurchase_rate == pytest.approx(3 / 4)  # tb_a 3 orders, tb_b 2, tb_c 2, tb_d 1
    again = [(i.params["file"], i.rows, i.amount, i.action) for i in ds.report.issues if i.code == "order_in_two_files"]
    assert again == [("taobao_2024-02.csv", 1, 80.0, "dropped"), ("taobao_2024-03.csv", 1, 30.0, "dropped")]
    # each order keeps the file it was kept from, and its platform
    kept = ds.orders.set_index("order_id")
    assert kept.loc["3100003", "file"] == "taobao_2024-01.csv" and kept.loc["3100006", "file"] == "taobao_2024-02.csv"
    assert kept["platform"].nunique() == 1 and kept["platform"].iloc[0].startswith("Taobao")


def test_a_taobao_and_a_youzan_export_sharing_40_phones_make_70_customers():
    ds = _many(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx")
    k = overview(apply_filters(ds))
    # 50 Taobao buyers x 100, 60 Youzan buyers x 50; 40 phones in both
    assert (k.orders, k.revenue_gross, k.customers) == (110, 8000.0, 70)
    assert any("40 customers linked across files by phone" in n for n in ds.report.notes)
    # a linked customer is named by the id of the first file they appear in (the Taobao nick), with both orders
    linked = ds.orders.loc[ds.orders["customer_id"] == "tb_011"]
    assert sorted(linked["platform"].str[:6]) == ["Taobao", "Youzan"]
    apart = _many(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx", link=False)
    assert overview(apply_filters(apart)).customers == 110


def test_a_masked_douyin_export_beside_youzan_counts_in_the_order_totals_only():
    ds = _many(EXPORTS / "youzan_orders.xlsx", EXPORTS / "douyin_orders.csv")
    k = overview(apply_filters(ds))
    # Youzan: 88 + 66 + 120 + 45 (its closed order kept apart); Douyin (buyers masked): 1,200 + 98 + 30 + 49 as guests
    assert (k.orders, k.guest_orders, k.customers) == (8, 4, 2)
    assert (k.revenue_gross, k.guest_revenue) == (1696.0, 1377.0)
    assert set(ds.guests["platform"].str[:6]) == {"Douyin"}
    assert any("douyin_orders.csv" in n and "guest orders" in n for n in ds.report.notes)
    issues = [i for i in ds.report.issues if i.code == "cancelled_by_status"]
    assert sorted((i.params["file"], i.amount) for i in issues) == [("douyin_orders.csv", 1200.0), ("youzan_orders.xlsx", 50.0)]


def test_files_in_two_currencies_are_refused():
    with pytest.raises(DataError, match=r"different currencies.*shopify_orders.csv \(\$\).*taobao_orders.csv \(¥\)"):
        _many(EXPORTS / "shopify_orders.csv", EXPORTS / "taobao_orders.csv")


def test_a_re_export_of_the_same_workbook_adds_nothing():
    one = _many(EXPORTS / "taobao_qianniu.xlsx")
    two = _many(EXPORTS / "taobao_qianniu.xlsx", EXPORTS / "taobao_qianniu.xlsx")
    assert len(two.orders) == len(one.orders) and two.orders["amount"].sum() == one.orders["amount"].sum()
    assert len(two.lines) == len(one.lines)  # the lines of the orders kept, once
    assert len(two.refunds) == len(one.refunds)
    assert sum(i.rows for i in two.report.issues if i.code == "order_in_two_files") == len(one.orders)


def test_a_combined_dataset_is_stored_with_a_share_link(tmp_path):
    from lib.share import storage

    ds = _many(*MONTHS)
    back = storage.load_dataset(storage.save_dataset(ds, tmp_path), tmp_path)
    pd.testing.assert_frame_equal(back.orders, ds.orders, check_dtype=False)
    assert [i.params.get("file") for i in back.report.issues] == [i.params.get("file") for i in ds.report.issues]


@pytest.mark.child
def test_the_command_line_takes_several_files():
    out = subprocess.run([sys.executable, "-m", "lib", "kpis", *map(str, MONTHS), "--json"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    k = json.loads(out.stdout)
    assert (k["orders"], k["revenue_gross"], k["customers"]) == (8, 520.0, 4)
    load = subprocess.run([sys.executable, "-m", "lib", "load", *map(str, MONTHS)], capture_output=True, text=True, cwd=ROOT)
    assert load.returncode == 0 and "taobao_2024-02.csv: order already in an earlier file" in load.stdout


def test_files_that_all_mask_their_buyers_combine_order_level():
    ds = _many(EXPORTS / "douyin_orders.csv", EXPORTS / "pinduoduo_orders.csv")
    k = overview(apply_filters(ds))
    # Douyin 1,200 + 98 + 30 + 49; Pinduoduo 29.90 + 19.90 + 29.90 (its cancelled and undated orders apart)
    assert not ds.customer_level and (k.orders, k.revenue_gross) == (7, pytest.approx(1456.7))


def test_the_private_domain_journey_on_a_taobao_and_a_youzan_export():
    """50 Taobao buyers in April (100 each); 40 of them (phones 011-050) bought on Youzan 91 days later (50 each)."""
    from lib.model.journey import journey

    ds = _many(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx")
    j = journey(apply_filters(ds), ds.contacts)
    row = j.by_platform.iloc[0]
    assert row["platform"].startswith("Taobao")
    assert (row["customers"], row["moved"], row["share"], row["median_days_to_move"]) == (50, 40, 0.8, 91.0)
    assert (row["value_after_move"], row["value_stayed"]) == (50.0, 100.0)
    assert j.moved_to["customers"].tolist() == [40] and j.moved_to["platform"].iloc[0].startswith("Youzan")
    # the 10 who stayed (tb_001-010), each with the phone their Taobao order gave
    assert sorted(j.not_moved["customer_id"]) == [f"tb_{n:03d}" for n in range(1, 11)]
    assert j.not_moved["phone"].tolist()[0].startswith("186000010")


def test_the_journey_needs_a_platform_and_an_owned_channel():
    from lib.model.journey import NEEDS_PLATFORMS, journey

    assert journey(apply_filters(_many(*MONTHS))) == NEEDS_PLATFORMS  # Taobao only
    from conftest import load_here

    assert journey(apply_filters(load_here(EXPORTS / "youzan_orders.xlsx"))) == NEEDS_PLATFORMS  # one file, no platform


@pytest.mark.child
def test_lib_journey_prints_it_and_writes_who_to_call(tmp_path):
    out = tmp_path / "not-moved.csv"
    run = subprocess.run([sys.executable, "-m", "lib", "journey", str(MANY / "taobao_2024-q2.csv"),
                          str(MANY / "youzan_2024-h2.xlsx"), "--json", "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["by_platform"][0]["moved"] == 40 and got["not_moved"] == 10
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert len(table) == 10 and "phone" in table.columns


@pytest.mark.apptest
@pytest.mark.child
def test_the_uploader_takes_three_files_then_a_fourth_and_one_can_be_removed():
    from streamlit.testing.v1 import AppTest

    def files(*paths):
        return [(p.name, p.read_bytes(), "text/csv") for p in paths]

    at = AppTest.from_file("../app.py", default_timeout=180).run()
    at.file_uploader[0].set_value(files(*MONTHS)).run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Orders"], tiles["Customers"], tiles["Net revenue"]) == ("8", "4", "¥520")
    shown = [c.value.replace("\\", "") for c in at.caption]  # file names are shown escaped for markdown
    assert [c for c in shown if c.startswith("taobao_2024-")] == [p.name for p in MONTHS]
    at.checkbox(key="add_files").check().run()
    at.file_uploader[0].set_value(files(MANY / "taobao_2024-q2.csv")).run()
    assert {m.label: m.value for m in at.metric}["Orders"] == "58"  # 8 + 50
    at.button(key="remove-file-0").click().run()  # January: its 3100003 is in February's file too
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Orders"] == "56"
    at.switch_page("views/data.py").run()
    assert not at.exception
    report = at.dataframe[0].value
    assert "file" in report.columns and "taobao_2024-03.csv" in report["file"].tolist()


@pytest.mark.apptest
@pytest.mark.child
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_overview_shows_the_journey_of_a_taobao_and_a_youzan_upload(lang):
    at = _uploaded(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx", lang=lang)
    assert not at.exception
    assert ("从平台到自有渠道" if lang == "zh" else "From platform to your own channel") in [h.value for h in at.subheader]
    table = [d.value for d in at.dataframe if "moved" in d.value.columns][0]
    assert table[["customers", "moved"]].values.tolist() == [[50, 40]]
    assert [d.value for d in at.dataframe if "phone" in d.value.columns and len(d.value) == 10]


def test_a_platform_filter_keeps_the_customers_acquired_on_it_with_all_their_orders():
    from lib.model.metrics import by_platform
    from lib.model.view import Filters

    ds = _many(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx", EXPORTS / "douyin_orders.csv")
    taobao, youzan = ds.platforms  # Douyin's buyers are masked: no customer was acquired there
    t = overview(apply_filters(ds, Filters(platforms=(taobao,))))
    # the 50 Taobao buyers and their 50 Taobao + 40 later Youzan orders: 5,000 + 2,000
    assert (t.customers, t.orders, t.revenue_gross, t.guest_orders) == (50, 90, 7000.0, 0)
    y = overview(apply_filters(ds, Filters(platforms=(youzan,))))
    assert (y.customers, y.orders, y.revenue_gross) == (20, 20, 1000.0)  # 011-050 were acquired on Taobao
    every = overview(apply_filters(ds, Filters(platforms=(taobao, youzan))))
    whole = overview(apply_filters(ds)).as_dict()  # every platform chosen is no platform filter
    assert all(v == whole[k] or (pd.isna(v) and pd.isna(whole[k])) for k, v in every.as_dict().items())
    table = by_platform(apply_filters(ds)).set_index("platform")
    assert table["orders"].tolist() == [4, 50, 60] and table["revenue"].tolist() == [1377.0, 5000.0, 3000.0]
    assert table["new_customers"].tolist() == [0, 50, 20]


def test_a_share_link_keeps_the_platforms():
    from lib.share.viewstate import ViewState

    v = ViewState("overview", None, (), "¥", 60, "zh", "total", ("Taobao / Tmall order report (订单报表)",))
    assert ViewState.from_query(v.to_query()) == v and ViewState.from_record(v.to_record()) == v


@pytest.mark.apptest
@pytest.mark.child
def test_the_sidebar_filters_by_platform_and_can_keep_platforms_apart():
    at = _uploaded(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx")
    assert {m.label: m.value for m in at.metric}["Customers"] == "70"
    assert "By platform" in [h.value for h in at.subheader]
    box = [w for w in at.multiselect if w.key.startswith("platforms-")][0]
    box.set_value([p for p in box.options if p.startswith("Youzan")]).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Customers"] == "20"
    box = [w for w in at.multiselect if w.key.startswith("platforms-")][0]
    box.set_value([]).run()
    at.checkbox(key="link_customers").uncheck().run()
    assert {m.label: m.value for m in at.metric}["Customers"] == "110"


def test_the_same_id_on_two_platforms_without_a_shared_key_is_two_customers():
    import dataclasses

    from conftest import load_here

    from lib.clean.many import combine

    def shop(platform: str, csv: bytes):
        ds = load_here(csv)
        return dataclasses.replace(ds, report=dataclasses.replace(ds.report, platform=platform))

    a = shop("Shop A", b"order,customer,date,amount\nA1,c1,2024-01-05,10\nA2,c2,2024-01-06,20\n")
    b = shop("Shop B", b"order,customer,date,amount\nB1,c1,2024-02-05,30\n")
    ds = combine([("a.csv", a), ("b.csv", b)])
    assert sorted(ds.orders["customer_id"]) == ["Shop A:c1", "Shop B:c1", "c2"]
    assert overview(apply_filters(ds)).customers == 3


@pytest.mark.apptest
@pytest.mark.child
def test_a_masked_douyin_and_a_youzan_export_through_the_uploader_and_the_command_line():
    pair = (EXPORTS / "youzan_orders.xlsx", EXPORTS / "douyin_orders.csv")
    at = _uploaded(*pair)
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Orders"], tiles["Customers"]) == ("8", "2")  # Douyin's 4 orders count as guest orders
    assert any("4 guest orders without a customer" in c.value for c in at.caption)
    run = subprocess.run([sys.executable, "-m", "lib", "kpis", *map(str, pair), "--json"], capture_output=True, text=True,
                         cwd=ROOT)
    k = json.loads(run.stdout)
    assert (k["orders"], k["guest_orders"], k["customers"], k["revenue_gross"]) == (8, 4, 2, 1696.0)


def test_spend_per_platform_gives_cac_by_platform_and_follows_the_platform_filter():
    import dataclasses

    from lib.clean.spend import clean_spend
    from lib.model.cac import cac_by_platform
    from lib.model.view import Filters
    from lib.schema import QualityReport

    ds = _many(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx")
    taobao, youzan = ds.platforms
    typed = pd.DataFrame({"channel": ["店铺", "店铺", "私域"], "month": ["2024-04", "2024-04", "2024-07"],
                          "spend": [600, 400, 500], "platform": [taobao, taobao, youzan]})
    spend = clean_spend(typed, {c: c for c in typed.columns}, QualityReport())
    assert spend[["channel", "platform", "spend"]].values.tolist() == [["店铺", taobao, 1000.0], ["私域", youzan, 500.0]]
    ds = dataclasses.replace(ds, spend=spend)
    v = apply_filters(ds)
    t = cac_by_platform(v.customers, v.spend, v.start, v.as_of).set_index("platform")
    # Taobao: 1,000 for its 50 new customers; Youzan: 500 for the 20 acquired there
    assert t.loc[taobao, ["spend", "new_customers", "cac"]].tolist() == [1000.0, 50, 20.0]
    assert t.loc[youzan, ["spend", "new_customers", "cac"]].tolist() == [500.0, 20, 25.0]
    assert overview(apply_filters(ds, Filters(platforms=(youzan,)))).spend == 500.0  # a platform's spend only
    assert overview(v).spend == 1500.0


def test_a_files_spend_sheet_is_its_platforms_spend():
    from lib.clean.many import combine
    from lib.read import read_here as here

    from lib.clean import load

    sample = load(ROOT / "sample_data" / "orders.xlsx", read=here)
    other = load(EXPORTS / "youzan_orders.xlsx", read=here)
    ds = combine([("orders.xlsx", sample), ("youzan_orders.xlsx", other)])
    assert set(ds.spend["platform"]) == {"(unrecognised)"}  # the sample's Spend sheet came with the sample's file
    assert ds.spend["spend"].sum() == pytest.approx(sample.spend["spend"].sum())


@pytest.mark.apptest
@pytest.mark.child
def test_the_cac_page_has_cac_by_platform_and_spend_per_platform():
    at = _uploaded(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx")
    at.switch_page("views/cac.py").run()
    assert not at.exception
    assert "CAC by platform" in [h.value for h in at.subheader]
    table = [d.value for d in at.dataframe if "new_customers" in d.value.columns and "platform" in d.value.columns][0]
    assert sorted(table["new_customers"].tolist()) == [20, 50]
    # the spend editor has a platform column to enter spend per platform
    assert any("platform" in d.value.columns and "cost_per_touch" in d.value.columns for d in at.dataframe)


def test_which_platforms_the_shop_owns_is_a_choice():
    from lib.model.journey import NEEDS_PLATFORMS, journey

    ds = _many(MANY / "taobao_2024-q2.csv", MANY / "youzan_2024-h2.xlsx")
    taobao, youzan = ds.platforms
    assert journey(apply_filters(ds), ds.contacts, owned_platforms=(youzan,)).by_platform["moved"].tolist() == [40]
    # owning Taobao instead: the 20 Youzan-first customers never bought on Taobao afterwards
    swapped = journey(apply_filters(ds), ds.contacts, owned_platforms=(taobao,))
    assert swapped.by_platform[["customers", "moved"]].values.tolist() == [[20, 0]]
    assert journey(apply_filters(ds), owned_platforms=()) == NEEDS_PLATFORMS  # nothing owned: no journey
