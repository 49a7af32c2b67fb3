"""Real-browser tests: Playwright driving Debian's Chromium against `streamlit run app.py` on 127.0.0.1.

Skipped with a visible reason where Chromium is missing, unless REQUIRE_BROWSER is set
(as .ci/run does), where a missing browser fails. Screenshots of every page, in English
and in 中文, go to a temporary folder, or to $LTV_SCREENSHOTS when set (`make screenshots`
refreshes the README's pictures in docs/screenshots/ that way); tests never write over tracked files.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest
from conftest import ROOT, xlsx_bytes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_BROWSER = Path(CHROMIUM).exists()
if not HAVE_BROWSER and os.environ.get("REQUIRE_BROWSER"):
    raise RuntimeError("REQUIRE_BROWSER is set but Chromium is missing (apt-get install chromium)")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not HAVE_BROWSER, reason="Chromium is not installed (apt-get install chromium); browser tests skipped")]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-dev-shm-usage"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    store = tmp_path_factory.mktemp("store")
    env = {**os.environ, "LTV_DATA_DIR": str(store)}
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ["LTV_SCREENSHOTS"]) if os.environ.get("LTV_SCREENSHOTS") else tmp_path_factory.mktemp("shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


REQUESTS: list[str] = []


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    pg = ctx.new_page()
    pg.on("request", lambda r: REQUESTS.append(r.url))
    yield pg
    ctx.close()


def ready(pg, charts: int = 0) -> None:
    pg.wait_for_selector(READY, timeout=90_000)
    if charts:
        pg.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}", timeout=90_000)
    pg.wait_for_timeout(500)
    pg.wait_for_selector(READY, timeout=90_000)


def metric(pg, label: str) -> str:
    box = pg.locator('[data-testid="stMetric"]', has=pg.get_by_text(label, exact=True)).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_opens_on_sample_data_with_charts(server, page, shots):
    page.goto(server)
    ready(page, charts=3)
    assert page.get_by_text("You are looking at sample data").count() == 1
    assert metric(page, "Customers") != ""
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / "overview.png"))


def test_every_page_in_the_sidebar_renders(server, page, shots):
    page.goto(server)
    ready(page, charts=1)
    links = page.locator('[data-testid="stSidebarNav"] a')
    names = [links.nth(i).inner_text().strip() for i in range(links.count())]
    assert names == ["Overview", "LTV", "Repurchase cohorts", "CAC by channel", "Referrals", "Product journey", "Who to contact",
                     "Growth planner", "Data"]
    for name in names:
        page.locator('[data-testid="stSidebarNav"] a', has_text=name).first.click()
        ready(page, charts=0 if name in ("Data", "Who to contact") else 1)
        assert page.locator("h1").first.inner_text().strip() == name
        assert page.locator('[data-testid="stException"]').count() == 0, name
        page.screenshot(path=str(shots / f"{name.lower().replace(' ', '-')}.png"))


def _upload(page, tmp_path) -> None:
    rows = [["订单号", "顾客", "下单时间", "实付金额", "渠道", "推荐人"],
            ["A1", "c1", datetime(2024, 1, 5), 100, "包裹卡", None], ["A2", "c1", datetime(2024, 2, 5), 50, "包裹卡", None],
            ["A3", "c2", datetime(2024, 2, 1), 200, "抖音", "c1"], ["A4", "c3", datetime(2024, 3, 9), 30, "抖音", None]]
    f = tmp_path / "orders.xlsx"
    f.write_bytes(xlsx_bytes({"订单": rows}))
    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(f))
    # the value must be exactly "3": the sample's "3,280" also holds a "3" (an earlier wait passed before the upload)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
                           ".some(m => m.innerText.includes('Customers')"
                           " && m.querySelector('[data-testid=\"stMetricValue\"]').innerText.trim() === '3')", timeout=90_000)
    ready(page)


def test_upload_changes_figures_and_share_link_reproduces_view(server, page, browser, tmp_path):
    page.goto(server)
    ready(page, charts=3)
    before = metric(page, "Customers")
    _upload(page, tmp_path)
    assert before != "3" and metric(page, "Customers") == "3" and metric(page, "Net revenue") == "¥380"
    page.locator('[data-testid="stSidebarNav"] a', has_text="Repurchase cohorts").first.click()
    ready(page, charts=1)
    page.get_by_role("button", name="Share this view").click()
    ready(page)
    url = page.locator('[data-testid="stCode"] code').first.inner_text().strip()
    assert url.startswith(server) and "/cohorts?view=" in url and "orders" not in url
    fresh = browser.new_context(viewport={"width": 1400, "height": 1400})
    other = fresh.new_page()
    other.on("request", lambda r: REQUESTS.append(r.url))
    other.goto(url)
    ready(other, charts=1)
    assert other.locator("h1").first.inner_text().strip() == "Repurchase cohorts"
    other.locator('[data-testid="stSidebarNav"] a', has_text="Overview").first.click()
    ready(other, charts=1)
    assert metric(other, "Customers") == "3" and metric(other, "Net revenue") == "¥380"
    assert "view=" in other.url  # the token survives moving between pages
    fresh.close()


def test_csv_and_chart_png_downloads(server, page):
    page.goto(f"{server}/cac")
    ready(page, charts=1)
    page.locator('[data-testid="stPopover"] button').first.click()  # the table's download menu
    csv_button = page.locator("[data-testid=\"stDownloadButton\"] button", has_text="CSV").first
    csv_button.wait_for(state="visible", timeout=90_000)
    ready(page)
    # the file is made when asked (a lazy download): under load that takes a rerun, so wait as long as for a page
    with page.expect_download(timeout=90_000) as dl:
        csv_button.click()
    csv = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert dl.value.suggested_filename == "cac-by-channel.csv"
    # the headers people read, what a channel costs and returns first (as the table shows it)
    assert csv.splitlines()[0].startswith('"Channel","CAC (¥)","ROAS (revenue before refunds ÷ spend)","LTV:CAC","Payback (months)",'
                                          '"Spend (¥)","Touches","Adds","New customers"')
    assert "Douyin short video" in csv
    page.keyboard.press("Escape")
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    with page.expect_download(timeout=90_000) as dl:
        chart.locator('a[data-title="Download plot as a PNG"], button[data-title="Download plot as a PNG"]').first.click()
    assert dl.value.suggested_filename == "cac-and-ltv.png"
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_column_mapping_opens_and_shows_every_field(server, page):
    # drawn only while open (it reruns the page when toggled): closed, the sidebar holds none of its boxes
    page.goto(server)
    ready(page, charts=1)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.locator('[data-testid="stSelectbox"]', has_text="Name").count() == 0
    sidebar.locator('[data-testid="stExpander"] summary', has_text="Column mapping").first.click()
    # the field's label (lib.present.labels), not its code name: the first box that says "Name" (no field before it does)
    box = sidebar.locator('[data-testid="stSelectbox"]', has_text="Name").first
    box.wait_for(state="visible", timeout=90_000)
    assert sidebar.locator('[data-testid="stSelectbox"]', has_text="customer_").count() == 0
    assert box.locator("label").first.inner_text().strip() == "Name"
    assert "Name" in (box.locator("input").first.input_value() + box.inner_text())  # the sample's Name column
    assert page.locator('[data-testid="stException"]').count() == 0


def test_no_request_left_the_machine():
    assert REQUESTS, "the browser tests made no requests"
    outside = {u for u in REQUESTS if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname not in ("127.0.0.1", "localhost")}
    assert not outside, outside


def test_every_page_in_chinese_shows_no_english_ui_text(server, page, shots):
    # 中文 mode: every page's title and every sentence of ours is translated (chart text is checked in
    # tests/test_i18n.py; the screenshots let a person look at the rest)
    from lib.i18n import ZH

    page.goto(server)
    ready(page, charts=1)
    page.locator('[data-testid="stSidebar"] label', has_text="中文").first.click()
    ready(page, charts=1)
    links = page.locator('[data-testid="stSidebarNav"] a')
    names = [links.nth(i).inner_text().strip() for i in range(links.count())]
    assert names == [ZH[n] for n in ("Overview", "LTV", "Repurchase cohorts", "CAC by channel", "Referrals", "Product journey",
                                     "Who to contact", "Growth planner", "Data")]
    sentences = [s for s in ZH if len(s) >= 16 and " " in s]
    for english, name in zip(("overview", "ltv", "repurchase-cohorts", "cac-by-channel", "referrals", "product-journey", "who-to-contact",
                              "growth-planner", "data"), names):
        page.locator('[data-testid="stSidebarNav"] a', has_text=name).first.click()
        ready(page, charts=0 if english in ("data", "who-to-contact") else 1)
        assert page.locator("h1").first.inner_text().strip() == name
        assert page.locator('[data-testid="stException"]').count() == 0, name
        text = page.locator('[data-testid="stMain"]').inner_text() + page.locator('[data-testid="stSidebar"]').inner_text()
        left = [s for s in sentences if s in text]
        assert not left, (name, left)
        page.screenshot(path=str(shots / f"zh-{english}.png"))


def test_product_journey_and_contact_list_download_in_the_browser(server, page):
    page.goto(f"{server}/products")
    ready(page, charts=2)
    assert page.locator("h1").first.inner_text().strip() == "Product journey"
    assert "Oolong tea 250g" in page.locator('[data-testid="stMain"] [data-testid="stAlert"]').first.inner_text()
    assert page.locator(".js-plotly-plot .sankey").count() == 1  # what they buy next
    page.goto(f"{server}/contacts")
    ready(page)
    assert page.locator("h1").first.inner_text().strip() == "Who to contact"
    assert page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').count() >= 1  # the due list
    page.locator('[data-testid="stPopover"] button').first.click()  # the due list's download menu
    menu = page.locator("[data-testid=\"stDownloadButton\"] button")
    menu.filter(has_text="CSV").first.wait_for(state="visible", timeout=90_000)
    assert menu.filter(has_text="Excel").count() >= 1
    # the download is made when clicked and does not rerun the page (a rerun could drop the maker before it ran:
    # 2 clicks in 20 gave nothing)
    with page.expect_download(timeout=90_000) as dl:
        menu.filter(has_text="CSV").first.click()
    assert dl.value.suggested_filename == "contacts-due.csv"
    table = pd.read_csv(Path(dl.value.path()), encoding="utf-8-sig", dtype=str)
    assert list(table.columns[:4]) == ["Customer", "Name", "Phone", "Why"]  # whom to call, and why
    assert table["Name"].notna().all() and table["Why"].str.startswith("Orders every").all()


def test_a_cohort_cell_opens_its_customers_and_downloads_them(server, page):
    """Issue 24: the customers behind a heatmap cell, as many as the cell counts, downloaded with whom to call."""
    page.goto(f"{server}/cohorts")
    ready(page, charts=1)
    box = page.locator('[data-testid="stExpander"]', has_text="Customers behind a cell").first
    box.locator("summary").click()
    caption = box.get_by_text(re.compile(r"^Customers: [\d,]+$")).first
    caption.wait_for(state="visible", timeout=90_000)
    shown = int(caption.inner_text().split(": ")[1].replace(",", ""))
    box.locator('[data-testid="stPopover"] button').first.click()
    csv_button = page.locator("[data-testid=\"stDownloadButton\"] button", has_text="CSV").first
    csv_button.wait_for(state="visible", timeout=90_000)
    with page.expect_download(timeout=90_000) as dl:
        csv_button.click()
    assert re.fullmatch(r"cohort-\d{4}-\d{2}-0\.csv", dl.value.suggested_filename)
    table = pd.read_csv(Path(dl.value.path()), encoding="utf-8-sig", dtype=str)
    assert len(table) == shown > 0
    assert list(table.columns[:3]) == ["Customer", "Name", "Phone"]


def test_two_files_of_one_shop_upload_together_and_show_the_journey(server, page):
    """Issue 23: a Taobao report and a Youzan export chosen together, one customer base, the journey on the Overview."""
    many = Path(__file__).parent / "fixtures" / "exports" / "many"
    page.goto(server)
    ready(page, charts=3)
    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]',
                         [str(many / "taobao_2024-q2.csv"), str(many / "youzan_2024-h2.xlsx")])
    page.get_by_text("From platform to your own channel").first.wait_for(state="visible", timeout=120_000)
    ready(page)
    assert metric(page, "Customers") == "70" and metric(page, "Orders") == "110"
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("dataset", ["sample", "douyin", "retail"])
def test_every_page_of_an_uploaded_export_reads_in_its_language(server, page, tmp_path, dataset, lang):
    """The sample, Douyin's masked buyers and an Online Retail-shaped file (uploaded in the browser), every page: in
    English no code name of ours on screen, in 中文 no sentence of ours left in English (test_human_labels checks every
    string in AppTest; this is what the browser draws)."""
    from test_human_labels import CODE_NAMES, SNAKE, _source

    from lib.i18n import ZH

    upload, _ = _source(dataset)
    page.goto(server)
    ready(page, charts=1)
    if lang == "zh":
        page.locator('[data-testid="stSidebar"] label', has_text="中文").first.click()
        ready(page, charts=1)
    if upload is not None:
        f = tmp_path / upload[0]
        f.write_bytes(upload[1])
        sample = ZH["You are looking at sample data: a made-up shop. Upload your own orders in the sidebar."] \
            if lang == "zh" else "You are looking at sample data"
        page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(f))
        page.wait_for_function(f"() => !document.body.innerText.includes({sample[:12]!r})", timeout=90_000)
        ready(page)
    sentences = [s for s in ZH if len(s) >= 16 and " " in s]
    links = page.locator('[data-testid="stSidebarNav"] a')
    for title, path in [(links.nth(i).inner_text().strip(), urlparse(links.nth(i).get_attribute("href") or "").path)
                        for i in range(links.count())]:
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        # its title, or (a page that needs customers, on masked buyers) the notice that says why it has none
        page.wait_for_function(f"() => location.pathname === {path!r} && ((document.querySelector('h1') && "
                               f"document.querySelector('h1').innerText.trim() === {title!r}) || "
                               "document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stAlert\"]'))", timeout=90_000)
        ready(page)
        assert page.locator('[data-testid="stException"]').count() == 0, title
        text = page.locator('[data-testid="stMain"]').inner_text() + page.locator('[data-testid="stSidebar"]').inner_text()
        if lang == "en":
            assert not [w for w in SNAKE.findall(text) if w in CODE_NAMES], (title, text[:300])
        else:
            assert not [s for s in sentences if s in text], title
