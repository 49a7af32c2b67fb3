"""Login for a team server (st.login against a real OpenID provider), and what a visitor gets to see of the server.

The settings and the gate's rules run fast (``lib.config``, AppTest with ``at.user``); the browser tests start
``oidc-provider-mock`` (a real OpenID Connect provider, in a thread) and ``python -m lib serve`` on free ports,
and sign in through the provider's form in Chromium.
"""
from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
import urllib.parse
from urllib.parse import quote

import pytest
from conftest import ROOT
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest

from lib import config
from lib.share import storage
from lib.share.viewstate import ViewState
from ui.page import plain
from ui.server import VisitorFilter, dropped, scrubbed

LOGIN_ENV = ("LTV_AUTH_SERVER_METADATA_URL", "LTV_AUTH_CLIENT_ID", "LTV_AUTH_CLIENT_SECRET", "LTV_AUTH_COOKIE_SECRET",
             "LTV_AUTH_REDIRECT_URI", "LTV_ALLOWED_USERS", "LTV_SHARE_PUBLIC", "LTV_METRICS", "LTV_PUBLIC_URL")
SECRET = "a" * 40
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": SECRET, "client_id": "ltv",
        "client_secret": "s", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in LOGIN_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LTV_DATA_DIR", str(tmp_path / "store"))
    return monkeypatch


def _login_env(monkeypatch, **changes: str) -> None:
    values = {"LTV_AUTH_SERVER_METADATA_URL": "https://id.shop.cn/.well-known/openid-configuration",
              "LTV_AUTH_CLIENT_ID": "ltv", "LTV_AUTH_CLIENT_SECRET": "s3cret", "LTV_AUTH_COOKIE_SECRET": SECRET,
              "LTV_AUTH_REDIRECT_URI": "https://tools.shop.cn/ltv/oauth2callback", "LTV_ALLOWED_USERS": "@shop.cn"}
    for name, value in {**values, **changes}.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)


# --- the settings -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("email, allowed, expected", [
    ("ana@shop.cn", ("ana@shop.cn",), True), ("Ana@Shop.CN", ("ana@shop.cn",), True), ("bo@shop.cn", ("@shop.cn",), True),
    ("bo@eu.shop.cn", ("@shop.cn",), False), ("bo@notshop.cn", ("@shop.cn",), False), ("bo@other.cn", ("ana@shop.cn",), False),
    ("x@y@shop.cn", ("@shop.cn",), False), ("", ("*",), False), (None, ("@shop.cn",), False), ("bo@other.cn", ("*",), True),
], ids=["same", "case", "domain", "subdomain", "lookalike", "other", "two @", "no address", "none", "everyone"])
def test_who_may_use_the_dashboard(email, allowed, expected):
    assert config.may_use(email, allowed) is expected


def test_login_settings_make_streamlits_auth_section(clean_env):
    assert config.auth_section() is None and not config.login_settings_given() and config.problems(store=False) == []
    _login_env(clean_env, LTV_AUTH_REDIRECT_URI="", LTV_ALLOWED_USERS="ana@shop.cn, @Team.shop.cn")
    clean_env.setenv("LTV_PUBLIC_URL", "https://tools.shop.cn/ltv/")
    assert config.problems(store=False) == []
    assert config.auth_section() == {"server_metadata_url": "https://id.shop.cn/.well-known/openid-configuration",
                                     "client_id": "ltv", "client_secret": "s3cret", "cookie_secret": SECRET,
                                     "redirect_uri": "https://tools.shop.cn/ltv/oauth2callback"}
    assert config.allowed_users() == ("ana@shop.cn", "@team.shop.cn")
    assert config.share_public() and not config.metrics_on()  # the defaults: links stay public, metrics are not served


@pytest.mark.parametrize("changes, said", [
    ({"LTV_AUTH_CLIENT_SECRET": ""}, "LTV_AUTH_CLIENT_SECRET is not set"),
    ({"LTV_AUTH_COOKIE_SECRET": "short"}, "shorter than 32 characters"),
    ({"LTV_AUTH_REDIRECT_URI": "https://tools.shop.cn/ltv/"}, "followed by /oauth2callback"),
    ({"LTV_AUTH_REDIRECT_URI": ""}, "no LTV_PUBLIC_URL to make it from"),
    ({"LTV_AUTH_SERVER_METADATA_URL": "id.shop.cn"}, "LTV_AUTH_SERVER_METADATA_URL='id.shop.cn' is not an address"),
    ({"LTV_ALLOWED_USERS": ""}, "names nobody"),
    ({"LTV_ALLOWED_USERS": "ana"}, "names nobody"),
    ({"LTV_SHARE_PUBLIC": "yes"}, "LTV_SHARE_PUBLIC='yes' is not a whole number"),
], ids=["half set up", "short secret", "redirect", "no redirect", "metadata", "nobody", "not an address", "share"])
def test_a_login_setting_that_cannot_work_stops_the_server_with_one_sentence(clean_env, changes, said):
    _login_env(clean_env, **changes)
    found = config.problems(store=False)
    assert len(found) == 1 and said in found[0], found
    if "LTV_SHARE_PUBLIC" not in changes:
        assert config.auth_section() is None  # never a half-working login


def test_serve_runs_the_asgi_app_without_error_details():
    from lib.cli import serve_command

    cmd = serve_command(ROOT)
    assert cmd[4] == str(ROOT / "asgi.py")
    assert dict(zip(cmd[5::2], cmd[6::2]))["--client.showErrorDetails"] == "none"


# --- what a visitor receives --------------------------------------------------------------------------------------

def _new_session(path: str) -> ForwardMsg:
    msg = ForwardMsg()
    msg.new_session.main_script_path = path
    msg.new_session.name = "app"
    env = msg.new_session.initialize.environment_info
    env.streamlit_version, env.python_version, env.server_os = "1.67.0", "3.11.9.final.0", "Linux"
    msg.new_session.initialize.user_info.installation_id = "machine-id"
    msg.new_session.initialize.session_id = "s1"
    return msg


def test_a_new_session_leaves_without_the_servers_path_versions_and_ids():
    path = "/srv/shop/ltv/app.py"
    out = ForwardMsg()
    out.ParseFromString(scrubbed(_new_session(path).SerializeToString(), path.encode()))
    assert out.new_session.main_script_path == "app.py" and out.new_session.initialize.session_id == "s1"
    assert out.new_session.initialize.HasField("environment_info")  # present (the browser reads it), empty
    assert out.new_session.initialize.environment_info.streamlit_version == ""
    assert out.new_session.initialize.user_info.installation_id == ""
    other = ForwardMsg()
    other.delta.new_element.markdown.body = f"shown by the app: {path}"
    assert scrubbed(other.SerializeToString(), path.encode()) == other.SerializeToString()  # only NewSession changes


@pytest.mark.parametrize("kind, expected", [("load_git_info", True), ("clear_cache", True), ("app_heartbeat", False)])
def test_a_visitor_cannot_ask_for_the_repository_or_empty_everyones_caches(kind, expected):
    msg = BackMsg()
    setattr(msg, kind, True)
    assert dropped(msg.SerializeToString()) is expected
    assert dropped(b"\xff\xff not a message") is False


def _asgi_get(filter_: VisitorFilter, path: str) -> int:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(filter_({"type": "http", "path": path, "method": "GET"}, receive, send))
    return sent[0]["status"]


def test_metrics_are_not_found_unless_the_setting_serves_them():
    async def streamlit(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    closed, open_ = VisitorFilter(streamlit, "/srv/app.py"), VisitorFilter(streamlit, "/srv/app.py", metrics=True)
    assert [_asgi_get(closed, p) for p in ("/_stcore/metrics", "/ltv/_stcore/metrics/", "/_stcore/health")] == [404, 404, 200]
    assert _asgi_get(open_, "/_stcore/metrics") == 200


def test_a_path_below_a_page_is_sent_to_the_page():
    """/data/ltv was a blank page (Streamlit's index.html with scripts that load as HTML): it goes to /data now."""
    from ui.server import nested_page

    assert [nested_page(p) for p in ("/data/ltv", "/cohorts/x/y", "/data", "/", "/_stcore/health", "/static/js/main.js",
                                     "/media/abc/def", "/favicon.png", "/app/static/x", "/cohorts/_stcore/health",
                                     "/cohorts/static/js/a.js")] == \
        ["/data", "/cohorts", None, None, None, None, None, None, None, None, None]
    assert nested_page("/ltv/data/ltv", "ltv") == "/ltv/data" and nested_page("/ltv/static/js/a.js", "ltv") is None
    assert nested_page("/other/data", "ltv") is None

    async def streamlit(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    assert [_asgi_get(VisitorFilter(streamlit, "/srv/app.py"), p) for p in ("/data/ltv", "/data", "/static/js/a.js")] == \
        [302, 200, 200]


# --- the gate (AppTest) -------------------------------------------------------------------------------------------

def _at(monkeypatch, user: dict | None, login: bool = True, **params: str) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=180)
    if login:
        at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user
    at.query_params.update(params)
    return at.run()


def _link(page: str = "cohorts") -> str:
    from lib.clean import load
    from lib.read import read_here

    ds = load(ROOT / "sample_data" / "orders.xlsx", read=read_here)
    return storage.create_link(storage.save_dataset(ds), ViewState(page=page).to_record())[0]


def _shows_the_app(at: AppTest) -> bool:
    return any(b.key == "share-button" for b in at.button)


def _buttons(at: AppTest) -> set[str]:
    return {b.key for b in at.button}


@pytest.mark.apptest
def test_signed_out_nobody_gets_past_the_sign_in(clean_env):
    clean_env.setenv("LTV_ALLOWED_USERS", "@shop.cn")
    at = _at(clean_env, {"is_logged_in": False})
    assert not at.exception and not _shows_the_app(at) and _buttons(at) == {"auth-sign-in"}
    assert [m.value for m in at.markdown] == ["Sign in to use this dashboard."]


@pytest.mark.apptest
def test_a_team_member_gets_the_app_and_a_way_out(clean_env):
    clean_env.setenv("LTV_ALLOWED_USERS", "ana@shop.cn")
    at = _at(clean_env, {"is_logged_in": True, "email": "ana@shop.cn", "email_verified": True})
    assert not at.exception and _shows_the_app(at) and "auth-sign-out" in _buttons(at)
    assert f"Signed in as {plain('ana@shop.cn')}" in [c.value for c in at.sidebar.caption]  # markdown-escaped


@pytest.mark.apptest
@pytest.mark.parametrize("user", [{"is_logged_in": True, "email": "bo@other.cn"},
                                  {"is_logged_in": True, "email": "ana@shop.cn", "email_verified": False}],
                         ids=["not on the list", "address not verified"])
def test_someone_else_gets_one_sentence_and_sign_out(clean_env, user):
    clean_env.setenv("LTV_ALLOWED_USERS", "ana@shop.cn")
    at = _at(clean_env, user)
    assert not at.exception and not _shows_the_app(at) and _buttons(at) == {"auth-sign-out"}
    assert [e.value for e in at.error] == [f"This account is not on the list of people who may use this dashboard: "
                                           f"{plain(user['email'])}."]


@pytest.mark.apptest
def test_without_login_the_sidebar_says_anyone_can_use_it(clean_env):
    at = _at(clean_env, None, login=False)
    assert not at.exception and _shows_the_app(at)
    assert "No sign-in on this server: anyone who reaches its address can use this dashboard." in \
        [c.value for c in at.sidebar.caption]
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert "此服务器未设置登录：任何能访问其地址的人都可以使用此看板。" in [c.value for c in at.sidebar.caption]


@pytest.mark.apptest
def test_login_settings_without_streamlits_auth_stop_everyone(clean_env):
    _login_env(clean_env)  # LTV_AUTH_* set, but the app runs as `streamlit run app.py`: no [auth] in its secrets
    at = _at(clean_env, None, login=False)
    assert not _shows_the_app(at) and "not started with python -m lib serve" in at.error[0].value


@pytest.mark.apptest
@pytest.mark.parametrize("public", ["1", "0"])
def test_a_share_link_opens_signed_out_only_when_links_are_public(clean_env, public):
    clean_env.setenv("LTV_ALLOWED_USERS", "@shop.cn")
    clean_env.setenv("LTV_SHARE_PUBLIC", public)
    token = _link()
    at = _at(clean_env, {"is_logged_in": False}, view=token)
    assert not at.exception and _shows_the_app(at) is (public == "1")
    if public == "1":  # a guest of the link: the shared page, and the way in for the rest
        assert "auth-sign-in" in _buttons(at)
        at.switch_page("views/ltv.py").run()
        assert _shows_the_app(at) and at.title[0].value == "LTV"  # the link's data on the other pages too
        at.button(key="back-to-sample").click().run()  # leaving the link's data needs a sign-in
        assert not _shows_the_app(at) and _buttons(at) == {"auth-sign-in"}


@pytest.mark.apptest
def test_a_made_up_or_expired_link_does_not_open_signed_out(clean_env):
    clean_env.setenv("LTV_ALLOWED_USERS", "@shop.cn")
    at = _at(clean_env, {"is_logged_in": False}, view="made-up-token")
    assert not at.exception and not _shows_the_app(at) and _buttons(at) == {"auth-sign-in"}


# --- a real provider, a real server, a real browser -------------------------------------------------------------

from test_browser import HAVE_BROWSER, browser  # noqa: E402,F401 - one Chromium setup for every browser test


def browser_test(test):  # noqa: ANN001, ANN201 - marks a test that starts servers and drives Chromium
    for mark in (pytest.mark.browser, pytest.mark.slow,
                 pytest.mark.skipif(not HAVE_BROWSER, reason="Chromium is not installed (apt-get install chromium)")):
        test = mark(test)
    return test

READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
WAIT = 90_000  # ms: generous, for a loaded machine; every wait is for something only the new state shows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str, Path]:
    """``python -m lib serve`` in ``tmp`` with ``env`` on a free port: the process, its address, its log."""
    port = _free_port()
    log = tmp / "serve.log"
    env = {**{k: v for k, v in os.environ.items() if k not in LOGIN_ENV}, "PYTHONPATH": str(ROOT), "LTV_ADDRESS": "127.0.0.1",
           "LTV_PORT": str(port), "LTV_DATA_DIR": str(tmp / "store"),
           **{k: v.replace("{port}", str(port)) for k, v in env.items()}}
    proc = subprocess.Popen([sys.executable, "-m", "lib", "serve"], cwd=tmp, env=env, stdout=open(log, "w"),
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # wait for it to listen (a minute on a loaded machine); not a timing check
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url, log
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(log.read_text())


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def provider():
    import httpx
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        url = f"http://localhost:{server.server_port}"
        for email in ("ana@shop.cn", "bo@other.cn"):
            assert httpx.put(f"{url}/users/{quote(email)}", json={"email": email, "name": email.split("@")[0]}).status_code == 204
        yield url


@pytest.fixture(scope="module")
def team_server(provider, tmp_path_factory):
    """A server with login on (public share links) and a live link to the Repurchase cohorts page."""
    tmp = tmp_path_factory.mktemp("team")
    proc, url, log = _serve(tmp, {
        "LTV_AUTH_SERVER_METADATA_URL": f"{provider}/.well-known/openid-configuration", "LTV_AUTH_CLIENT_ID": "ltv",
        "LTV_AUTH_CLIENT_SECRET": "s3cret", "LTV_AUTH_COOKIE_SECRET": SECRET,
        "LTV_AUTH_REDIRECT_URI": "http://127.0.0.1:{port}/oauth2callback", "LTV_ALLOWED_USERS": "ana@shop.cn",
        "LTV_SHARE_PUBLIC": "1"})
    from lib.clean import load
    from lib.read import read_here

    root = tmp / "store"
    ds = load(ROOT / "sample_data" / "orders.xlsx", read=read_here)
    token = storage.create_link(storage.save_dataset(ds, root), ViewState(page="cohorts").to_record(), root=root)[0]
    yield url, token, log
    _stop(proc)




@pytest.fixture
def page(browser):  # noqa: F811 - the fixture imported from test_browser
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
    pg = ctx.new_page()
    pg.frames_received = []  # every websocket message the server sent this page
    pg.on("websocket", lambda ws: ws.on("framereceived", lambda f: pg.frames_received.append(
        f if isinstance(f, bytes) else f.encode())))
    yield pg
    ctx.close()


def _sign_in(pg, provider: str, email: str) -> None:
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_url(re.compile("^" + re.escape(provider)), timeout=WAIT)  # sent to the provider
    pg.get_by_placeholder("sub").fill(email)
    pg.get_by_role("button", name="Authorize").click()
    pg.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/"), timeout=WAIT)  # and back
    pg.wait_for_selector(READY, timeout=WAIT)


@browser_test
@pytest.mark.parametrize("path", ["/cohorts?view=made-up", "/contacts", "/"], ids=["deep link", "phones", "home"])
def test_signed_out_every_address_asks_for_a_sign_in_first(team_server, page, path):
    url, _, _ = team_server
    page.goto(url + path)
    page.wait_for_selector(READY, timeout=WAIT)
    page.get_by_role("button", name="Sign in").wait_for(timeout=WAIT)
    assert page.get_by_text("Sign in to use this dashboard.").count() == 1
    assert page.locator("h1").all_inner_texts() == ["Customer value"]  # no page's title, no sidebar of the app
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0 and page.locator('[data-testid="stDataFrame"]').count() == 0


@browser_test
def test_a_team_member_signs_in_at_the_provider_and_gets_the_app(team_server, provider, page):
    url, _, log = team_server
    page.goto(url + "/cohorts")
    page.wait_for_selector(READY, timeout=WAIT)
    _sign_in(page, provider, "ana@shop.cn")
    page.get_by_text("Signed in as ana@shop.cn").wait_for(timeout=WAIT)
    assert page.locator('[data-testid="stSidebarNav"] a').count() == 9
    assert page.locator('[data-testid="stException"]').count() == 0
    page.locator('[data-testid="stSidebarNav"] a', has_text="Who to contact").click()
    page.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').innerText === 'Who to contact'",
                           timeout=WAIT)
    assert "Login is on" in log.read_text()
    page.get_by_role("button", name="Sign out").click()  # st.logout: the cookie goes, and the provider ends its session
    page.wait_for_url(re.compile("^" + re.escape(provider) + ".*end_session"), timeout=WAIT)
    page.get_by_role("button", name="End session").click()
    page.get_by_text("Sign in to use this dashboard.").wait_for(timeout=WAIT)
    page.goto(url + "/contacts")
    page.get_by_text("Sign in to use this dashboard.").wait_for(timeout=WAIT)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0


@browser_test
def test_someone_not_on_the_list_is_refused_with_one_sentence(team_server, provider, page):
    url, _, _ = team_server
    page.goto(url)
    page.wait_for_selector(READY, timeout=WAIT)
    _sign_in(page, provider, "bo@other.cn")
    page.get_by_role("button", name="Sign out").wait_for(timeout=WAIT)
    assert page.get_by_text("This account is not on the list of people who may use this dashboard: bo@other.cn.").count() == 1
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0


@browser_test
def test_a_public_link_opens_signed_out_on_its_page(team_server, page, tmp_path):
    url, token, _ = team_server
    page.goto(f"{url}/cohorts?view={token}")
    page.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').innerText === "
                           "'Repurchase cohorts'", timeout=WAIT)
    page.get_by_text("You are looking at a shared link. Sign in to use your own data.").wait_for(timeout=WAIT)
    page.wait_for_selector(READY, timeout=WAIT)
    page.locator('[data-testid="stSidebarNav"] a', has_text="LTV").click()  # the sidebar's link drops ?view=: still in
    page.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').innerText === 'LTV'",
                           timeout=WAIT)
    page.wait_for_selector(READY, timeout=WAIT)
    assert page.get_by_text("Sign in to use this dashboard.").count() == 0
    f = tmp_path / "orders.csv"
    f.write_text("order,customer,date,amount\n1,c1,2024-01-05,100\n2,c2,2024-02-05,50\n")
    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(f))  # through the filter's websocket
    page.get_by_text("Sign in to use this dashboard.").wait_for(timeout=WAIT)  # a file of one's own: sign in first


@browser_test
def test_a_visitor_learns_nothing_about_the_server(team_server, page):
    import streamlit

    url, token, _ = team_server
    page.goto(f"{url}/cohorts?view={token}")  # the app itself, drawn for a signed-out visitor
    page.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').innerText === "
                           "'Repurchase cohorts'", timeout=WAIT)
    page.wait_for_selector(READY, timeout=WAIT)
    frames = page.frames_received
    assert len(frames) > 5
    secrets = [str(ROOT).encode(), streamlit.__version__.encode(), ".".join(map(str, sys.version_info[:3])).encode()]
    assert [s for s in secrets if any(s in f for f in frames)] == []
    assert str(ROOT) not in page.content()
    with urllib.request.urlopen(url + "/", timeout=10) as r:
        assert str(ROOT).encode() not in r.read()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url + "/_stcore/metrics", timeout=10)
    assert refused.value.code == 404
    with urllib.request.urlopen(url + "/data/ltv", timeout=10) as r:  # a path below a page ends on the page
        assert urllib.parse.urlparse(r.geturl()).path == "/data"


@browser_test
def test_without_login_the_server_and_the_sidebar_say_anyone_can_use_it(tmp_path, page):
    proc, url, log = _serve(tmp_path, {"LTV_METRICS": "1"})
    try:
        page.goto(url)
        page.get_by_text("No sign-in on this server: anyone who reaches its address can use this dashboard.").wait_for(
            timeout=WAIT)
        with urllib.request.urlopen(url + "/_stcore/metrics", timeout=10) as r:  # asked for: served
            assert r.status == 200 and b"session" in r.read()
    finally:
        _stop(proc)
    assert "No login is configured: anyone who reaches this address can use the app" in log.read_text()



@pytest.mark.apptest
@pytest.mark.parametrize("public, said", [("1", "Anyone with this link sees"), ("0", "Signed-in team members with this link see")])
def test_share_says_who_a_link_opens_for(clean_env, public, said):
    clean_env.setenv("LTV_ALLOWED_USERS", "ana@shop.cn")
    clean_env.setenv("LTV_SHARE_PUBLIC", public)
    at = _at(clean_env, {"is_logged_in": True, "email": "ana@shop.cn", "email_verified": True})
    at.button(key="share-button").click().run()
    assert not at.exception and any(c.value.startswith(said) for c in at.caption)
