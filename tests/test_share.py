"""Share links: the server-side store (atomic, hashed random tokens, expiry) and a link opened in a new session."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pandas as pd
import pytest
from conftest import ROOT, load_here
from streamlit.testing.v1 import AppTest

from lib.errors import DataError
from lib.share import storage
from ui.session import startup


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LTV_DATA_DIR", str(tmp_path / "store"))
    return tmp_path / "store"


def test_dataset_roundtrip_keeps_tables_and_report(store, edge_ds):
    dataset_id = storage.save_dataset(edge_ds)
    back = storage.load_dataset(dataset_id)
    pd.testing.assert_frame_equal(back.orders, edge_ds.orders)
    pd.testing.assert_frame_equal(back.refunds, edge_ds.refunds)
    assert back.report.rows_read == 14 and back.report.table().equals(edge_ds.report.table())
    assert back.report.mapping == edge_ds.report.mapping
    assert not list((store / "datasets").glob(".tmp-*"))


STORE_V0 = ROOT / "tests" / "fixtures" / "store_v0"  # saved by the code before meta.json had a schema version
V0_TOKEN, V0_ID = "KK8foQKCdBtAyD4iSgZLEUlxfNMhaF59", "8bb2913aa94a43e5e6329782a9b28d61"


def test_a_dataset_saved_before_the_schema_version_still_opens(store):
    from lib.model.metrics import overview
    from lib.model.view import Filters, apply_filters

    shutil.copytree(STORE_V0, store)
    dataset_id, state = storage.resolve_link(V0_TOKEN)
    assert (dataset_id, state["page"]) == (V0_ID, "overview")
    back, fresh = storage.load_dataset(dataset_id), load_here(ROOT / "tests" / "fixtures" / "exports" / "shopify_orders.csv")
    # saved before net sales (subtotal, tax, shipping) were read: the orders without net_sales, a mapping without them
    new_fields = ("subtotal", "tax", "shipping")
    pd.testing.assert_frame_equal(back.orders, fresh.orders.drop(columns="net_sales"))
    pd.testing.assert_frame_equal(back.refunds, fresh.refunds.drop(columns="channel"))  # the refunds' channel: version 2
    pd.testing.assert_frame_equal(back.lines, fresh.lines)
    assert back.spend is None and fresh.spend is None and back.sheet_names == fresh.sheet_names
    rb, rf = back.report, fresh.report
    assert (rb.rows_read, rb.mapping, rb.platform, rb.currency, rb.customer_level) == \
        (rf.rows_read, {f: c for f, c in rf.mapping.items() if f not in new_fields}, rf.platform, rf.currency,
         rf.customer_level)
    assert rb.table()[["rows", "action", "amount"]].equals(rf.table()[["rows", "action", "amount"]])
    figures = [pd.Series(overview(apply_filters(ds, Filters())).as_dict()) for ds in (back, fresh)]
    assert figures[0].equals(figures[1])


def _v0_copy(store: Path, name: str, edit) -> None:  # noqa: ANN001 - edit: the file's text -> new text
    shutil.copytree(STORE_V0, store)
    path = store / "datasets" / V0_ID / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.mark.parametrize("name, edit, message", [
    ("meta.json", lambda s: s.replace('{"created"', '{"schema": 99, "created"'), "newer version"),
    ("report.json", lambda s: s.replace('{"rows_read"', '{"shop_size": "large", "rows_read"'), "does not know"),
    ("report.json", lambda s: s.replace('"rows": 2,', '"rows": 2, "copied_from": "x",', 1), "does not know"),
    ("meta.json", lambda s: s.replace('{"created"', '{"owner": "x", "created"'), "does not know"),
    ("report.json", lambda s: s[: len(s) // 2], "damaged"),
    ("report.json", lambda s: s.replace('"rows_read": 9', '"rows_read": "nine"'), "damaged"),
    ("report.json", lambda s: s.replace('"notes": [', '"notes": [3, '), "damaged"),
    ("report.json", lambda s: "[]", "damaged"),
    ("meta.json", lambda s: "", "damaged"),
], ids=["newer schema", "unknown report field", "unknown issue field", "unknown meta field", "cut short",
        "wrong type", "a note not text", "not an object", "empty meta"])
def test_a_stored_dataset_that_cannot_be_opened_says_why(store, name, edit, message):
    from lib.errors import DataError

    _v0_copy(store, name, edit)
    with pytest.raises(DataError, match=message):
        storage.load_dataset(V0_ID)


def test_a_new_dataset_records_the_schema_version(store, edge_ds):
    import json

    dataset_id = storage.save_dataset(edge_ds)
    assert json.loads((store / "datasets" / dataset_id / "meta.json").read_text())["schema"] == storage.SCHEMA == 2


@pytest.mark.apptest
def test_a_link_to_data_that_cannot_be_opened_says_so_and_shows_the_sample(store):
    _v0_copy(store, "meta.json", lambda s: s.replace('{"created"', '{"schema": 99, "created"'))
    at = _app(store, view=V0_TOKEN).run()
    assert not at.exception
    assert any("newer version of the app" in w.value and "sample data" in w.value for w in at.warning)
    assert "view" not in at.query_params
    at.run()  # the session stays on the sample, without saying it again
    assert not at.exception and not at.warning and any("sample data" in i.value for i in at.info)


def test_tokens_are_random_hashed_and_expire(store, edge_ds):
    dataset_id = storage.save_dataset(edge_ds)
    t1, _ = storage.create_link(dataset_id, {"page": "ltv"})
    t2, _ = storage.create_link(dataset_id, {"page": "ltv"})
    assert t1 != t2 and len(t1) >= 32  # 192 random bits, url-safe base64
    for f in (store / "links").glob("*.json"):
        assert t1 not in f.read_text() and t1 not in f.name and t2 not in f.name
    assert storage.resolve_link(t1) == (dataset_id, {"page": "ltv"})
    assert storage.resolve_link("not-a-token") is None and storage.resolve_link("") is None
    old, _ = storage.create_link(dataset_id, {}, days=-1)
    assert storage.resolve_link(old) is None
    assert len(list((store / "links").glob("*.json"))) == 2  # the expired link was deleted


def test_purge_deletes_datasets_without_live_links(store, edge_ds):
    keep = storage.save_dataset(edge_ds)
    drop = storage.save_dataset(edge_ds)
    storage.create_link(keep, {})
    storage.create_link(drop, {}, days=-1)
    old = store / "datasets" / drop
    os.utime(old, (0, 0))  # saved long ago
    storage.purge_expired()
    assert (store / "datasets" / keep).exists() and not old.exists()


def test_crash_while_saving_leaves_no_dataset(store, edge_ds, monkeypatch):
    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(DataError, match="could not store this view"):  # one sentence, not the OSError
        storage.save_dataset(edge_ds)
    assert not [p for p in (store / "datasets").iterdir()]  # no half-written dataset, no temp dir


@pytest.mark.child
def test_store_survives_a_restart(store, edge_ds):
    dataset_id = storage.save_dataset(edge_ds)
    token, _ = storage.create_link(dataset_id, {"page": "overview"})
    code = (f"from lib.share import storage; r = storage.resolve_link({token!r}); ds = storage.load_dataset(r[0]); "
            "print(len(ds.orders), r[1]['page'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "LTV_DATA_DIR": str(store)})
    assert out.stdout.split() == ["10", "overview"], out.stderr


def _app(tmp_store: Path, **params: str) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.query_params.update(params)
    return at


def _uploaded(store: Path, header: str, row, n: int) -> AppTest:  # noqa: ANN001 - row: i -> one CSV line
    """A session that has uploaded shop.csv: ``header``, then ``row(i)`` for i < ``n``."""
    at = _app(store).run()
    data = header + "\n" + "\n".join(row(i) for i in range(n))
    at.file_uploader[0].set_value(("shop.csv", data.encode(), "text/csv")).run()
    return at


@pytest.mark.apptest
def test_share_link_opens_same_data_page_and_filters(store):
    at = _uploaded(store, "order,customer,date,amount,channel",
                   lambda i: f"{i},c{i % 7},2024-0{1 + i % 6}-1{i % 9},{10 + i},{'SMS' if (i % 7) % 2 else 'Card'}", 40)
    at.switch_page("views/ltv.py").run()
    chans = [w for w in at.multiselect if w.key.startswith("channels-")][0]
    chans.set_value(["SMS"]).run()
    at.text_input(key="currency").set_value("$").run()
    at.button(key="share-button").click().run()
    assert not at.exception
    url = at.code[0].value
    assert "/ltv?view=" in url and "shop" not in url  # the file's name never leaves the server
    query = dict(parse_qsl(urlparse(url).query))
    assert query["ch"] == "SMS" and query["cur"] == "$"  # the link is the view: its query string says what is shown
    token = query.pop("view")
    # a new session: the same dataset, page, filters and settings
    other = _app(store, view=token, **query).run()
    other.switch_page("views/overview.py").run()  # AppTest starts on the default page; the URL path picks the page in a browser
    assert not other.exception
    m = {x.label: x.value for x in other.metric}
    assert m["Customers"] == "3" and m["Net revenue"].startswith("$")  # c1, c3, c5 came through SMS
    assert other.query_params.get("view") == token  # kept while moving between pages
    assert [w for w in other.multiselect if w.key.startswith("channels-")][0].value == ["SMS"]


@pytest.mark.apptest
def test_unknown_link_shows_message_and_sample(store):
    at = _app(store, view="forged-or-expired-token").run()
    assert not at.exception
    assert any("expired or does not exist" in w.value for w in at.warning)
    assert any("sample data" in i.value for i in at.info)


@pytest.mark.child
def test_a_save_killed_midway_leaves_nothing_after_the_next_start(store, edge_ds):
    # a real kill -9 while the dataset's files are written, before the rename; then the app's start clears it
    code = ("import os, time, sys; from lib.share import storage; from lib.clean import load; ds = load(sys.argv[1]); "
            "os.replace = lambda *a: (print('writing', flush=True), time.sleep(60)); storage.save_dataset(ds)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT / "tests" / "fixtures" / "edge_cases.csv")],
                            cwd=ROOT, env={**os.environ, "LTV_DATA_DIR": str(store)}, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"  # every file is written, the rename has not happened
    proc.kill()
    proc.wait()
    left = list((store / "datasets").glob(".tmp-*"))
    assert left and (left[0] / "orders.parquet").exists()
    assert storage.purge_expired() == 0 and list((store / "datasets").glob(".tmp-*"))  # too young for the purge
    assert storage.clean_temporary() == 1  # what the app runs once at start
    assert not list((store / "datasets").iterdir())


def test_the_purge_removes_stale_temporary_folders(store, edge_ds):
    old = store / "datasets" / ".tmp-abandoned"
    old.mkdir(parents=True)
    (old / "orders.parquet").write_bytes(b"x" * 100)
    stale = time.time() - 2 * 3600
    os.utime(old, (stale, stale))
    storage.purge_expired()
    assert not old.exists()


def test_a_saved_dataset_is_synced_before_and_after_its_rename(store, edge_ds, monkeypatch):
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    renamed: list[int] = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renamed.append(len(synced)), real_replace(a, b))[1])
    storage.save_dataset(edge_ds)  # orders, refunds, lines? and report, meta; the folder; then the parent
    assert renamed and renamed[0] >= 5  # the files and the folder before the rename
    assert len(synced) == renamed[0] + 1  # and the parent folder after it


@pytest.mark.apptest
@pytest.mark.child
@pytest.mark.parametrize("env, message", [
    ({"LTV_LINK_DAYS": "abc"}, "LTV_LINK_DAYS='abc' is not a whole number"),
    ({"LTV_LINK_DAYS": "0"}, "LTV_LINK_DAYS='0' is out of range"),
    ({"LTV_PARSE_MEM_MB": "lots"}, "LTV_PARSE_MEM_MB='lots' is not a whole number"),
], ids=["not a number", "dead on arrival", "parse memory"])
def test_a_bad_setting_stops_the_app_and_the_command_line_with_one_sentence(store, monkeypatch, env, message):

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    startup.clear()
    try:
        at = _app(store).run()
        assert not at.exception
        assert any(message in e.value for e in at.error)
        assert not at.metric  # nothing half-working is served
    finally:
        startup.clear()
    res = subprocess.run([sys.executable, "-m", "lib", "kpis", str(ROOT / "tests" / "fixtures" / "edge_cases.csv")],
                         capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env})
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr


def test_a_unwritable_store_is_named_at_start(tmp_path, monkeypatch):
    from lib.config import problems

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LTV_DATA_DIR", str(blocker / "store"))
    assert any("LTV_DATA_DIR" in p for p in problems())
    assert problems(store=False) == []


@pytest.mark.apptest
def test_a_shared_dataset_purged_under_an_open_session_falls_back_to_the_sample(store, edge_ds):
    from ui.cache import shared_dataset

    dataset_id = storage.save_dataset(edge_ds)
    token, _ = storage.create_link(dataset_id, {"page": "overview"})
    at = _app(store, view=token).run()
    assert not at.exception and {m.label: m.value for m in at.metric}["Customers"] == "8"
    shutil.rmtree(store / "datasets" / dataset_id)  # purged while the session is open, and gone from the cache
    shared_dataset.clear()
    at.switch_page("views/ltv.py").run()
    assert not at.exception
    assert any("no longer stored" in w.value for w in at.warning)
    at.switch_page("views/overview.py").run()
    assert not at.exception and any("sample data" in i.value for i in at.info)


@pytest.mark.apptest
def test_a_link_opens_the_view_its_query_string_says(store, edge_ds):
    # the stored view is the default; the URL's parameters win (a link edited by hand, or made by another tool)
    dataset_id = storage.save_dataset(edge_ds)
    token, _ = storage.create_link(dataset_id, {"page": "overview", "currency": "¥", "margin_pct": 60, "lang": "en",
                                                "dates": None, "channels": []})
    at = _app(store, view=token, ch="Phone call", cur="€", m="40", **{"from": "2024-01-01", "to": "2024-01-31"}).run()
    assert not at.exception
    m = {x.label: x.value for x in at.metric}
    assert m["Customers"] == "1" and m["Net revenue"].startswith("€")  # B, won by phone call in January
    assert at.slider(key="margin_pct").value == 40


def test_view_state_round_trips_through_a_query_string_and_a_record():
    from datetime import date

    from lib.share.viewstate import ViewState

    v = ViewState("cohorts", (date(2025, 1, 1), date(2025, 6, 30)), ("SMS", "A|B"), "$", 55, "zh")
    assert ViewState.from_query(v.to_query(), page="cohorts") == v
    assert ViewState.from_record(v.to_record()) == v
    bad = ViewState.from_query({"from": "2025-13-01", "to": "x", "m": "lots", "lang": "fr", "cur": "$$$$$$$"})
    assert bad.dates is None and bad.margin_pct == 60 and bad.lang == "en" and bad.currency == "¥"  # not a symbol: the default


@pytest.mark.apptest
def test_a_link_starts_with_the_public_url_behind_a_proxy(store, monkeypatch):
    # behind a proxy the browser of the person sharing may show an inner address (or 127.0.0.1 on the server):
    # LTV_PUBLIC_URL is what the people the link goes to open
    monkeypatch.setenv("LTV_PUBLIC_URL", "https://tools.shop.example/team/ltv/")
    at = _app(store).run()
    at.switch_page("views/cohorts.py").run()
    at.button(key="share-button").click().run()
    assert not at.exception
    url = at.code[0].value
    assert url.startswith("https://tools.shop.example/team/ltv/cohorts?view=")


@pytest.mark.parametrize("name, raw, said", [
    ("LTV_PUBLIC_URL", "tools.shop.example/ltv", "not an address people can open"),
    ("LTV_PUBLIC_URL", "https://tools.shop.example/ltv?x=1", "no query string"),
    ("LTV_PUBLIC_URL", "https://host:port/", "not an address people can open"),
    ("LTV_ADDRESS", "everywhere", "not an IP address"),
    ("LTV_PORT", "80000", "out of range"),
    ("LTV_MAX_UPLOAD_MB", "lots", "not a whole number"),
    ("LTV_CURRENCY", "**B**", "not a currency"),
])
def test_production_settings_are_checked_with_one_sentence(monkeypatch, name, raw, said):
    from lib import config

    monkeypatch.setenv(name, raw)
    found = [p for p in config.problems(store=False) if p.startswith(name)]
    assert len(found) == 1 and said in found[0]


def test_the_default_currency_is_a_setting(monkeypatch):
    from lib import config

    assert config.default_currency() == "¥"
    monkeypatch.setenv("LTV_CURRENCY", "GBP")
    assert config.default_currency() == "£" and not [p for p in config.problems(store=False) if "CURRENCY" in p]
    monkeypatch.setenv("LTV_CURRENCY", "€")
    assert config.default_currency() == "€"


def test_the_serve_command_follows_the_settings(monkeypatch):
    from lib.cli import serve_command

    for k in ("LTV_ADDRESS", "LTV_PORT", "LTV_PUBLIC_URL", "LTV_MAX_UPLOAD_MB"):
        monkeypatch.delenv(k, raising=False)
    args = serve_command(ROOT)
    opts = dict(zip(args[5::2], args[6::2]))
    assert opts["--server.address"] == "0.0.0.0" and opts["--server.port"] == "8501" and opts["--server.baseUrlPath"] == ""
    assert opts["--server.enableXsrfProtection"] == "true" and opts["--server.maxUploadSize"] == "200"
    monkeypatch.setenv("LTV_ADDRESS", "127.0.0.1")
    monkeypatch.setenv("LTV_PORT", "9000")
    monkeypatch.setenv("LTV_PUBLIC_URL", "https://tools.shop.example/team/ltv/")
    monkeypatch.setenv("LTV_MAX_UPLOAD_MB", "50")
    opts = dict(zip(serve_command(ROOT)[5::2], serve_command(ROOT)[6::2]))
    assert (opts["--server.address"], opts["--server.port"], opts["--server.baseUrlPath"], opts["--server.maxUploadSize"]) == (
        "127.0.0.1", "9000", "team/ltv", "50")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.child
def test_serve_runs_the_app_under_the_public_path_with_xsrf_on(tmp_path):
    # the README's "Serve it to your team", followed: python -m lib serve with the settings a proxy needs
    import urllib.error
    import urllib.request

    port = _free_port()
    env = {**os.environ, "LTV_ADDRESS": "127.0.0.1", "LTV_PORT": str(port), "LTV_DATA_DIR": str(tmp_path / "store"),
           "LTV_PUBLIC_URL": "https://tools.shop.example/team/ltv", "LTV_MAX_UPLOAD_MB": "50"}
    proc = subprocess.Popen([sys.executable, "-m", "lib", "serve"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}/team/ltv"
        cookies: list[str] = []
        for _ in range(600):  # wait for the server to listen (up to a minute on a loaded machine), not a timing check
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    cookies = r.headers.get_all("Set-Cookie") or []
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(proc.stderr.read1().decode() if proc.poll() is not None else "the server never answered")
        with urllib.request.urlopen(base + "/", timeout=5) as r:
            assert r.status == 200 and "<html" in r.read().decode().lower()
        assert any(c.startswith("_streamlit_xsrf") for c in cookies)  # XSRF protection is on ...
        put = urllib.request.Request(base + "/_stcore/upload_file/s/f", data=b"x", method="PUT")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(put, timeout=5)
        assert refused.value.code == 403  # ... and an upload without the token is refused
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.apptest
def test_a_shared_view_keeps_no_names_or_phones_and_says_so(store):
    # names and phones stay with the upload: a share link's stored tables hold the ids only, and its contact page says why
    at = _uploaded(store, "order,customer,date,amount,name,phone",
                   lambda i: f"{i},c{i % 5},2024-0{1 + i % 6}-1{i % 9},{10 + i},Name {i % 5},1380000000{i % 5}", 30)
    at.switch_page("views/contacts.py").run()
    assert "phone" in at.dataframe[0].value.columns  # the uploader's own session has them
    at.button(key="share-button").click().run()
    assert not at.exception
    token = dict(parse_qsl(urlparse(at.code[0].value).query))["view"]
    dataset_id = storage.resolve_link(token)[0]
    back = storage.load_dataset(dataset_id)
    assert back.contacts is None and not {"customer_name", "phone"} & set(back.orders.columns)
    other = _app(store, view=token).run()
    other.switch_page("views/contacts.py").run()
    assert not other.exception
    assert any("not kept with a share link" in c.value for c in other.caption)
    assert "phone" not in other.dataframe[0].value.columns


def _shop(store: Path) -> AppTest:
    return _uploaded(store, "order,customer,date,amount,channel",
                     lambda i: f"{i},c{i % 7},2024-0{1 + i % 6}-1{i % 9},{10 + i},{'SMS' if i % 2 else 'Card'}", 30)


@pytest.mark.apptest
@pytest.mark.parametrize("code, said", [(errno.ENOSPC, "storage is full"), (errno.EROFS, "storage is read-only"),
                                        (errno.EACCES, "storage is read-only")], ids=["full", "read-only", "no-permission"])
def test_a_store_that_cannot_take_a_link_is_said_in_one_sentence(store, monkeypatch, code, said):
    at = _shop(store)

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", refuse)  # the dataset's first file: 40 KB free, or a read-only disk
    at.button(key="share-button").click().run()
    assert not at.exception
    assert [e.value for e in at.error if said in e.value.replace("\\", "")], [e.value for e in at.error]  # shown as plain text
    assert not at.code  # no link that would not open
    assert not [p for p in (store / "datasets").iterdir()] if (store / "datasets").exists() else True  # nothing half-saved


def test_a_full_store_refuses_a_link_in_one_sentence(store, edge_ds, monkeypatch):
    dataset_id = storage.save_dataset(edge_ds)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.tempfile, "mkstemp", full)
    with pytest.raises(DataError, match="storage is full"):
        storage.create_link(dataset_id, {"page": "overview"})
    assert not list((store / "links").glob("*.json")) if (store / "links").exists() else True


@pytest.mark.apptest
def test_a_store_emptied_under_a_session_gets_the_data_again_and_a_link_that_opens(store):
    at = _shop(store)
    at.button(key="share-button").click().run()
    first = dict(parse_qsl(urlparse(at.code[0].value).query))["view"]
    assert storage.resolve_link(first) is not None
    shutil.rmtree(store)  # the data folder deleted (or purged) while the session goes on
    at.button(key="share-button").click().run()
    assert not at.exception
    query = dict(parse_qsl(urlparse(at.code[0].value).query))
    assert storage.resolve_link(query["view"]) is not None  # saved again: the link opens
    other = _app(store, **query).run()
    assert not other.exception
    assert not [w for w in other.warning if "expired or does not exist" in w.value]
    assert {m.label: m.value for m in other.metric}["Customers"] == "7"


@pytest.mark.apptest
def test_a_link_opened_from_a_store_emptied_since_is_shared_again_from_the_session_s_data(store, edge_ds):
    dataset_id = storage.save_dataset(edge_ds)
    token, _ = storage.create_link(dataset_id, {"page": "overview"})
    at = _app(store, view=token).run()
    assert {m.label: m.value for m in at.metric}["Customers"] == "8"
    shutil.rmtree(store / "datasets" / dataset_id)  # the session still holds the data it opened
    at.button(key="share-button").click().run()
    assert not at.exception
    again = storage.resolve_link(dict(parse_qsl(urlparse(at.code[0].value).query))["view"])
    assert again is not None and again[0] != dataset_id


def test_ids_that_are_phones_or_emails_are_told_apart_from_other_ids():
    from lib.share.pseudonyms import contact_like, scrub

    for contact in ("13800000001", "+86 138-0000-0001", "(021) 5555 0123", "a.b@shop.cn", "youzan:13800000001"):
        assert contact_like(contact), contact
    for other in ("c123", "1001", "A-17", "VIP 12", "2024-01-01x"):
        assert not contact_like(other), other
    assert scrub("Column 买家手机号 holds 13800000001 and a@b.cn; 2024-01-01, 1,234 rows") == \
        "Column 买家手机号 holds … and …; 2024-01-01, 1,234 rows"


@pytest.mark.apptest
def test_a_shared_dataset_keeps_no_phone_used_as_the_customer_id(store):
    phones = [f"1391234{i:04d}" for i in range(6)]
    mails = ["ann@shop.cn", "bo@shop.cn"]
    people = phones + mails

    def row(i: int) -> str:  # a chain: each customer was referred by the one before (no cycle to break by id)
        j = i % len(people)
        return f"{i},{people[j]},2024-0{1 + i % 6}-1{i % 9},{10 + i},{people[j - 1] if j else ''}"

    at = _uploaded(store, "order,customer,date,amount,referrer", row, 40)
    at.switch_page("views/referrals.py").run()
    before = {m.label: m.value for m in at.metric}
    at.button(key="share-button").click().run()
    assert not at.exception
    token = dict(parse_qsl(urlparse(at.code[0].value).query))["view"]
    folder = store / "datasets" / storage.resolve_link(token)[0]
    stored = [str(v) for p in folder.glob("*.parquet") for v in pd.read_parquet(p).to_numpy().ravel()]
    stored += [p.read_text(encoding="utf-8") for p in folder.glob("*.json")]
    assert not [s for s in stored if any(p in s for p in people)], "a phone or email reached the store"
    other = _app(store, view=token).run()
    other.switch_page("views/referrals.py").run()
    assert not other.exception
    assert {m.label: m.value for m in other.metric} == before  # the same customers and referrals, under pseudonyms
    other.switch_page("views/contacts.py").run()
    shown = other.dataframe[0].value["customer_id"].astype(str).tolist()
    assert shown and all(s.startswith("id-") for s in shown)


@pytest.mark.apptest
@pytest.mark.parametrize("window, shown", [(("2020-01-01", "2020-02-01"), None), (("2023-12-01", "2024-01-31"), "2024-01-31")],
                         ids=["none-of-the-data", "partly"])
def test_a_link_s_dates_outside_the_data_are_moved_in_and_said(store, edge_ds, window, shown):
    dataset_id = storage.save_dataset(edge_ds)
    token, _ = storage.create_link(dataset_id, {"page": "overview"})
    at = _app(store, view=token, **{"from": window[0], "to": window[1]}).run()
    assert not at.exception
    said = [w.value for w in at.warning if "outside the data" in w.value]
    dates = [d for d in at.date_input if d.key.startswith("dates-")][0].value
    assert said == [f"The link's dates were outside the data; showing {dates[0]} – {dates[1]}."]
    if shown:
        assert str(dates[1]) == shown and str(dates[0]) > window[0]  # cut to where the data starts
    at.run()
    assert [w.value for w in at.warning if "outside the data" in w.value] == said  # until the dates are changed
    inside = (at.date_input(key=[d for d in at.date_input if d.key.startswith("dates-")][0].key))
    inside.set_value((dates[0], dates[0])).run()
    assert not [w for w in at.warning if "outside the data" in w.value]


@pytest.mark.apptest
def test_a_link_s_dates_inside_the_data_are_not_remarked_on(store, edge_ds):
    dataset_id = storage.save_dataset(edge_ds)
    token, _ = storage.create_link(dataset_id, {"page": "overview"})
    at = _app(store, view=token, **{"from": "2024-01-05", "to": "2024-01-31"}).run()  # the data starts on the 5th
    assert not at.exception and not [w for w in at.warning if "outside the data" in w.value]
