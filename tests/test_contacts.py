"""Who to contact (lib/contacts.py): each list's membership and the next-order date worked out by hand."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, load_here

from lib.model.contacts import contacts, custom_list, export_table
from lib.model.view import Filters, apply_filters

# Card: a orders every 30 days, b every 50, h twice 10 days apart in December (big spender), f and g once.
# SMS: d every 30 days, c once on 15 Feb, e once on 20 March (brought by a). Last order 25 March = as of.
ORDERS = """order,customer,date,amount,channel,referrer
1,h,2023-12-01,500,Card,
2,h,2023-12-11,500,Card,
3,a,2024-01-01,40,Card,
4,b,2024-01-01,30,Card,
5,f,2024-01-05,20,Card,
6,d,2024-01-10,25,SMS,
7,a,2024-01-31,40,Card,
8,d,2024-02-09,25,SMS,
9,c,2024-02-15,15,SMS,
10,b,2024-02-20,30,Card,
11,a,2024-03-01,40,Card,
12,e,2024-03-20,60,SMS,a
13,g,2024-03-25,10,Card,
"""


@pytest.fixture(scope="module")
def ds():
    return load_here(ORDERS.encode())


def _contacts(ds, **filters):
    return contacts(apply_filters(ds, Filters(**filters)), "too few customers to fit", lang="en", currency="¥")


def test_rhythm_and_next_order_date_by_hand(ds):
    c = _contacts(ds).customers.set_index("customer_id")
    assert c.loc["a", "rhythm_days"] == 30 and c.loc["a", "rhythm_from"] == "own"
    assert c.loc["a", "expected_next"] == pd.Timestamp("2024-03-31") and c.loc["a", "days_to_due"] == 6
    assert c.loc["b", "rhythm_days"] == 50 and c.loc["b", "expected_next"] == pd.Timestamp("2024-04-10")
    # one order: the channel's median gap (Card: 10, 30, 30, 50 -> 30; SMS: 30)
    assert c.loc["c", "rhythm_from"] == "channel" and c.loc["c", "rhythm_days"] == 30
    assert c.loc["f", "rhythm_days"] == 30 and c.loc["d", "days_to_due"] == -15
    assert c.loc["a", "days_since_last"] == 24 and c.loc["a", "brought"] == 1


def test_each_list_by_hand(ds):
    c = _contacts(ds)
    assert c.as_of == pd.Timestamp("2024-03-25") and c.model_note == "too few customers to fit"
    lists = {k: df["customer_id"].tolist() for k, df in c.lists.items()}
    assert lists["due"] == ["a", "d"]        # due in 6 days; 15 days overdue of a 30-day rhythm (nearest first)
    assert lists["at_risk"] == ["h"]          # the top spender, 95 days past a 10-day rhythm
    assert lists["convert"] == ["c"]          # one order 39 days ago, SMS rhythm 30: between one and two rhythms
    assert lists["referrers"] == ["a"]
    reason = c.lists["due"].set_index("customer_id").loc["a", "reason"]
    assert reason == "Orders every 30 days; last order 2024-03-01; next expected 2024-03-31."
    assert c.lists["referrers"]["reason"].tolist() == ["Brought 1 buying customers, who spent ¥60."]
    assert c.summary.set_index("list")["customers"].to_dict() == {"due": 2, "at_risk": 1, "convert": 1, "referrers": 1}


def test_the_as_of_date_is_the_windows_end_never_today(ds):
    c = _contacts(ds, date_to=pd.Timestamp("2024-02-28"))
    assert c.as_of == pd.Timestamp("2024-02-28")
    cust = c.customers.set_index("customer_id")
    assert "e" not in cust.index and cust.loc["a", "orders"] == 2  # nothing after the day exists
    # a: last order 31 Jan, rhythm 30 -> due 1 March, 2 days ahead
    assert cust.loc["a", "days_to_due"] == 2 and "a" in c.lists["due"]["customer_id"].tolist()


def test_reasons_in_chinese(ds):
    c = contacts(apply_filters(ds), "x", lang="zh", currency="¥")
    assert c.lists["due"].set_index("customer_id").loc["a", "reason"] == "每30天下单一次；上次下单2024年3月1日；预计下次2024年3月31日。"


def test_custom_list_filters(ds):
    c = _contacts(ds).customers
    assert custom_list(c, channels=("SMS",), min_orders=2)["customer_id"].tolist() == ["d"]
    assert set(custom_list(c, last_order_days=(0, 10))["customer_id"]) == {"e", "g"}


@pytest.mark.slow
@pytest.mark.child
def test_export_and_cli_write_lists_that_read_back(ds, tmp_path):
    table = export_table(_contacts(ds))
    assert list(table.columns)[:4] == ["customer_id", "list", "reason", "due_date"]
    out = tmp_path / "contacts.csv"
    src = tmp_path / "orders.csv"
    src.write_text(ORDERS, encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "lib", "contacts", str(src), "--out", str(out)], capture_output=True, text=True,
                         cwd=ROOT)
    assert res.returncode == 0, res.stderr
    back = pd.read_csv(io.BytesIO(out.read_bytes()), encoding="utf-8-sig", dtype=str)
    assert back["customer_id"].tolist() == table["customer_id"].tolist() == ["a", "d", "h", "c", "a"]
    assert back["list"].tolist()[:2] == ["Due now", "Due now"]
    res = subprocess.run([sys.executable, "-m", "lib", "contacts", str(src), "--json", "--as-of", "2024-02-28", "--list", "due"],
                         capture_output=True, text=True, cwd=ROOT)
    got = json.loads(res.stdout)
    assert got["as_of"] == "2024-02-28" and list(got["lists"]) == ["due"]
    assert [r["customer_id"] for r in got["lists"]["due"]] == ["a"]  # d is due on 10 March, 11 days later
    assert got["lists"]["due"][0]["due_date"] == "2024-03-01"


@pytest.mark.child
def test_formula_ids_are_neutralised_in_the_download(tmp_path):
    rows = ORDERS.replace(",a,", ",=HYPERLINK(\"http://x\"),").replace(",a\n", ",=HYPERLINK(\"http://x\")\n")
    src = tmp_path / "orders.csv"
    src.write_text(rows, encoding="utf-8")
    out = tmp_path / "contacts.csv"
    subprocess.run([sys.executable, "-m", "lib", "contacts", str(src), "--out", str(out)], check=True, cwd=ROOT,
                   capture_output=True)
    text = out.read_text(encoding="utf-8-sig")
    assert '"=HYPERLINK' not in text and "HYPERLINK" in text  # shown as text, never run


def test_a_shopify_export_by_hand():
    # alice: 5 March 14:22 and 10 April 10:00 (35.8 days) -> next expected 16 May; bob: 6 March and 20 April (45.3 days)
    from conftest import FIXTURES

    ds = load_here(FIXTURES / "exports" / "shopify_orders.csv")
    c = contacts(apply_filters(ds), "too few", currency="$")
    cust = c.customers.set_index("customer_id")
    assert c.as_of == pd.Timestamp("2024-04-20")
    assert cust.loc["alice@example.com", "expected_next"] == pd.Timestamp("2024-05-16")
    assert cust.loc["alice@example.com", "days_to_due"] == 26 and cust.loc["bob@example.com", "days_to_due"] == 45
    assert all(df.empty for df in c.lists.values())  # nobody due within 7 days, no one-time buyer, no referrer
    assert c.summary["customers"].tolist() == [0, 0, 0, 0]


# --------------------------------------------------------------------------- name, phone, email

def test_real_exports_map_the_name_phone_and_email_they_have():
    from conftest import FIXTURES

    from lib.mapping import RULES, propose_mapping
    from lib.read import read_here

    want = {  # (customer_id, customer_name, phone, email) as each platform writes them
        "shopify_orders.csv": ("Email", "Billing Name", "Phone", "Email"),
        "woocommerce_orders.csv": ("Email (Billing)", "First Name (Billing)", "Phone (Billing)", "Email (Billing)"),
        "taobao_orders.csv": ("买家会员名", "收货人姓名", "联系手机", None),  # not 联系电话, not 是否手机订单
        "youzan_orders.xlsx": ("买家手机号", "收货人/提货人", "买家手机号", None),  # not 收货人省份, not 挂账手机号
        "douyin_orders.csv": ("收件人手机号", "收件人", "收件人手机号", None),
        "square_items.csv": ("Customer ID", "Customer Name", None, None),
        "stripe_payments.csv": ("Customer ID", None, None, "Customer Email"),
    }
    for name, expected in want.items():
        m = propose_mapping(read_here(FIXTURES / "exports" / name, RULES).sheets[0].frame)
        assert tuple(m.get(f) for f in ("customer_id", "customer_name", "phone", "email")) == expected, name


def test_a_phone_column_is_the_customer_id_only_when_no_other_column_is():
    from lib.mapping import propose_mapping

    both = pd.DataFrame({"Phone": ["13800000001"], "Date": ["2024-01-01"], "Customer ID": ["c1"], "Amount": [1.0]})
    assert {k: propose_mapping(both).get(k) for k in ("customer_id", "phone")} == {"customer_id": "Customer ID",
                                                                                  "phone": "Phone"}
    alone = pd.DataFrame({"手机号": ["13800000001"], "下单时间": ["2024-01-01"], "金额": [1.0], "收货人省份": ["浙江"]})
    m = propose_mapping(alone)
    assert m["customer_id"] == m["phone"] == "手机号" and "customer_name" not in m


CONTACT_ORDERS = """order,customer,date,amount,name,mobile,email
1,a,2024-01-01,40,Ann Old,13800000001,
2,a,2024-02-01,40,Ann New,,ann@example.com
3,a,2024-03-01,40,,——,
4,b,2024-01-10,30,"=HYPERLINK(""http://x"",""Bob"")",138****0002,
5,b,2024-02-10,30,Bob,+86 139 0000 0002,
6,c,2024-03-02,20,王*,186****0003,c***@example.com
"""


def test_each_customer_gets_the_latest_name_phone_and_email_written():
    # a: the name of order 2 (order 3 has none), the phone of order 1 (—— is Youzan's blank), the email of order 2;
    # b: the masked phone of order 4 is no use, order 5's is kept as written; c: only masked values, so nothing
    ds = load_here(CONTACT_ORDERS.encode())
    assert ds.report.mapping["phone"] == "mobile" and ds.report.mapping["customer_name"] == "name"
    assert ds.contacts.columns.tolist() == ["customer_id", "customer_name", "phone", "email"]
    said = {i.code: i.rows for i in ds.report.issues}  # nothing left empty unsaid
    assert said["phone_masked"] == 2
    assert said["name_masked"] == 1
    assert said["email_masked"] == 1
    assert "phone" not in ds.orders.columns  # kept apart: filtering never copies them
    c = contacts(apply_filters(ds), "too few", reach=ds.contacts)
    cust = c.customers.set_index("customer_id")
    assert list(c.customers.columns[:4]) == ["customer_id", "customer_name", "phone", "email"]
    assert cust.loc["a", ["customer_name", "phone", "email"]].tolist() == ["Ann New", "13800000001", "ann@example.com"]
    assert cust.loc["b", ["customer_name", "phone"]].tolist() == ["Bob", "+86 139 0000 0002"]
    assert cust.loc["c", ["customer_name", "phone", "email"]].isna().all()
    # a list as of January still gives the latest known name: it is made to reach the customer today
    early = contacts(apply_filters(ds, Filters(date_to=pd.Timestamp("2024-01-31"))), "too few", reach=ds.contacts)
    assert early.customers.set_index("customer_id").loc["a", "customer_name"] == "Ann New"
    assert len(ds.contacts) == 2  # c has none known: no row


@pytest.mark.slow
@pytest.mark.child
def test_the_lists_download_with_name_and_phone_and_read_back(tmp_path):
    # as of 12 April bob (one order, 6 March) is a one-time buyer to convert; as of 14 May alice is due (16 May)
    from conftest import FIXTURES

    src = FIXTURES / "exports" / "shopify_orders.csv"

    def run(*args: str) -> subprocess.CompletedProcess:
        res = subprocess.run([sys.executable, "-m", "lib", "contacts", str(src), *args], capture_output=True, text=True,
                             cwd=ROOT)
        assert res.returncode == 0, res.stderr
        return res

    out = tmp_path / "contacts.csv"
    run("--out", str(out), "--as-of", "2024-04-12")
    back = pd.read_csv(io.BytesIO(out.read_bytes()), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns[:5]) == ["customer_id", "customer_name", "phone", "email", "list"]
    bob = back.set_index("customer_id").loc["bob@example.com"]
    assert bob["customer_name"].startswith("'=HYPERLINK")  # a typed formula stays text
    assert bob["phone"] == "+1 (555) 010-9999" and bob["list"] == "One-time buyers to convert"  # the phone as written
    xlsx = tmp_path / "contacts.xlsx"
    run("--out", str(xlsx), "--as-of", "2024-04-12", "--list", "convert")
    sheet = pd.read_excel(xlsx, dtype=str)
    assert sheet[["customer_id", "phone", "email"]].values.tolist() == [
        ["bob@example.com", "+1 (555) 010-9999", "bob@example.com"]]
    got = json.loads(run("--json", "--as-of", "2024-04-12", "--list", "convert").stdout)
    assert [r["phone"] for r in got["lists"]["convert"]] == ["+1 (555) 010-9999"]
    ds = load_here(src)
    alice = contacts(apply_filters(ds), "too few", reach=ds.contacts).customers.set_index("customer_id").loc["alice@example.com"]
    assert alice[["customer_name", "phone"]].tolist() == ["Alice Martin", "+33 6 12 34 56 78"]


def test_woocommerce_first_and_last_names_are_joined_and_both_read():
    from conftest import FIXTURES

    from lib.mapping.profiles import may_map

    ds = load_here(FIXTURES / "exports" / "woocommerce_orders.csv")
    names = ds.contacts.set_index("customer_id")["customer_name"]
    assert names.to_dict() == {"a@example.com": "Ann Lee", "b@example.com": "Ben"}  # c's only order was cancelled
    assert may_map("Last Name (Billing)") and may_map("收货人姓名") and not may_map("收货人省份")


def test_a_top_referrers_reason_names_what_the_customers_they_brought_spent():
    """a brought e (60); e brought f (100). a's reason counts the one a brought and what e spent, as the
    list ranks them: "Brought 1 ..., who spent ¥60" (it added every generation below: ¥160)."""
    from conftest import orders_frame

    from lib.schema import REFUND_COLUMNS, Dataset, QualityReport

    o = orders_frame([("1", "a", "2024-03-01", 40, "Card", None), ("2", "e", "2024-03-20", 60, "SMS", "a"),
                      ("3", "f", "2024-03-25", 100, "SMS", "e")])
    ds = Dataset(o, pd.DataFrame(columns=list(REFUND_COLUMNS)), None, QualityReport())
    reasons = _contacts(ds).lists["referrers"].set_index("customer_id")["reason"]
    assert reasons.to_dict() == {"a": "Brought 1 buying customers, who spent ¥60.",
                                 "e": "Brought 1 buying customers, who spent ¥100."}
