"""Settings read from the environment (``LTV_*``), each checked against what it may be.

A value that cannot be used never crashes an import or a page: :func:`value`
falls back to the default, and :func:`problems` names every bad variable with
what it may be, so the app (at start) and ``python -m lib`` refuse to run
with one sentence per problem instead of a traceback later (a share link
that fails after its data was saved, links dead on arrival).

=======================  =========  ==========================================
variable                 default    what it is
=======================  =========  ==========================================
LTV_DATA_DIR             .data      where shared datasets and links are stored
LTV_LINK_DAYS            30         days a share link lives (1 to 3650)
LTV_PARSE_TIMEOUT_S      240        seconds a file may take to parse (5 to 3600)
LTV_PARSE_MEM_MB         3072       memory of one parse (256 to 65536 MB)
LTV_PARSE_CPU_S          240        CPU seconds of one parse (5 to 3600)
LTV_TABLE_MB             1024       MB the table read from one file may take (1 to 65536; a CSV or Parquet file, which
                                    has no row limit, at most half of LTV_PARSE_MEM_MB)
LTV_SPLIT_MIN_BYTES      67108864   sheets at least this big are parsed in two halves
LTV_CHOOSE_MIN_BYTES     33554432   sheets at least this big are parsed for their mapping's columns only (in one
                                    pass when under LTV_SPLIT_MIN_BYTES)
LTV_CSV_CHOOSE_MIN_BYTES 16777216   CSV files at least this big are read for their mapping's columns only
LTV_PARSE_SLOTS          cores      files parsed at once by the server; more uploads wait their turn
LTV_PUBLIC_URL           (none)     the address people open, e.g. https://shop.example.com/ltv; share
                                    links start with it (else with the address the browser shows)
LTV_ADDRESS              0.0.0.0    ``python -m lib serve``: the interface to listen on
LTV_PORT                 8501       ``python -m lib serve``: the port (1 to 65535)
LTV_MAX_UPLOAD_MB        200        ``python -m lib serve``: largest upload (1 to 2000 MB)
LTV_CURRENCY             ¥          the currency shown when a file states none: an ISO code (GBP, USD …) or a
                                    symbol (£, $, €, ¥ …)
LTV_AUTH_SERVER_METADATA_URL (none) login (OpenID Connect): the provider's ``.well-known/openid-configuration``;
                                    setting any LTV_AUTH_* turns login on, and then all but the redirect are needed
LTV_AUTH_CLIENT_ID       (none)     login: this app's client id at the provider
LTV_AUTH_CLIENT_SECRET   (none)     login: its client secret
LTV_AUTH_COOKIE_SECRET   (none)     login: a random secret of at least 32 characters that signs the sign-in cookie
LTV_AUTH_REDIRECT_URI    LTV_PUBLIC_URL + /oauth2callback   login: where the provider sends people back
LTV_ALLOWED_USERS        (none)     with login on: who may use it, e-mails and @domains, comma-separated
                                    (``ana@shop.cn,@shop.cn``); ``*`` for everyone the provider signs in
LTV_SHARE_PUBLIC         1          with login on: 1 = a share link opens for anyone who has it, 0 = only for
                                    signed-in people on LTV_ALLOWED_USERS
LTV_METRICS              0          ``python -m lib serve``: 1 = serve Streamlit's /_stcore/metrics (session
                                    counts, cache sizes) to whoever asks; 0 = not found
=======================  =========  ==========================================
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Setting:
    name: str
    default: float
    low: float
    high: float
    integer: bool = True

    def parse(self, raw: str | None) -> tuple[float, str | None]:
        """(the value to use, a message when ``raw`` cannot be used)."""
        if raw is None or raw.strip() == "":
            return self.default, None
        try:
            v = float(raw) if not self.integer else int(raw.strip())
        except ValueError:
            return self.default, f"{self.name}={raw!r} is not a {'whole ' if self.integer else ''}number; use {self._range()}."
        if not self.low <= v <= self.high:
            return self.default, f"{self.name}={raw!r} is out of range; use {self._range()}."
        return v, None

    def _range(self) -> str:
        fmt = (lambda x: f"{int(x)}") if self.integer else (lambda x: f"{x:g}")
        return f"a value from {fmt(self.low)} to {fmt(self.high)} (default {fmt(self.default)})"


SETTINGS = {s.name: s for s in (
    Setting("LTV_LINK_DAYS", 30, 1, 3650),
    Setting("LTV_PARSE_TIMEOUT_S", 240, 5, 3600, integer=False),
    Setting("LTV_PARSE_MEM_MB", 3072, 256, 65536),
    Setting("LTV_PARSE_CPU_S", 240, 5, 3600),
    Setting("LTV_TABLE_MB", 1024, 1, 65536),
    Setting("LTV_SPLIT_MIN_BYTES", 64 * 1024**2, 1, 2**40),
    Setting("LTV_CHOOSE_MIN_BYTES", 32 * 1024**2, 1, 2**40),
    Setting("LTV_CSV_CHOOSE_MIN_BYTES", 16 * 1024**2, 1, 2**40),
    Setting("LTV_PARSE_SLOTS", float(max(1, os.cpu_count() or 1)), 1, 64),
    Setting("LTV_PORT", 8501, 1, 65535),
    Setting("LTV_MAX_UPLOAD_MB", 200, 1, 2000),
    Setting("LTV_SHARE_PUBLIC", 1, 0, 1),
    Setting("LTV_METRICS", 0, 0, 1),
)}


def public_url() -> str | None:
    """``LTV_PUBLIC_URL`` without its trailing slash (``https://host[:port][/prefix]``), None when unset or unusable."""
    raw = (os.environ.get("LTV_PUBLIC_URL") or "").strip()
    return raw.rstrip("/") if raw and _url_problem(raw) is None else None


def _url_problem(raw: str) -> str | None:
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return (f"LTV_PUBLIC_URL={raw!r} is not an address people can open; use the form https://host[:port][/path] "
                "(no query string).")
    return None


def default_currency() -> str:
    """The currency symbol shown when a file states none: ``LTV_CURRENCY`` (an ISO code or a symbol), else ¥ (the
    sample shop sells in yuan)."""
    from lib.coerce import currency_named  # pandas: only when asked, never at import

    raw = (os.environ.get("LTV_CURRENCY") or "").strip()
    return (currency_named(raw) if raw else None) or "¥"


def address() -> str:
    """``LTV_ADDRESS`` for ``python -m lib serve`` (default 0.0.0.0: every interface)."""
    return (os.environ.get("LTV_ADDRESS") or "0.0.0.0").strip()


def base_path() -> str:
    """The path prefix of ``LTV_PUBLIC_URL`` without slashes ("ltv" for https://host/ltv/), "" for none."""
    url = public_url()
    return urlsplit(url).path.strip("/") if url else ""


# LTV_AUTH_* -> the key of Streamlit's ``[auth]`` secrets section (st.login's settings)
AUTH_SETTINGS = {"LTV_AUTH_SERVER_METADATA_URL": "server_metadata_url", "LTV_AUTH_CLIENT_ID": "client_id",
                 "LTV_AUTH_CLIENT_SECRET": "client_secret", "LTV_AUTH_COOKIE_SECRET": "cookie_secret",
                 "LTV_AUTH_REDIRECT_URI": "redirect_uri"}
MIN_COOKIE_SECRET = 32  # characters; Streamlit signs the sign-in cookie with it


def _env(name: str) -> str:
    return (os.environ.get(name) or "").strip()


def login_settings_given() -> bool:
    """True when any ``LTV_AUTH_*`` is set: the operator asked for a sign-in, so nothing may run without one."""
    return any(_env(name) for name in AUTH_SETTINGS)


def auth_section() -> dict[str, str] | None:
    """Streamlit's ``[auth]`` secrets made from ``LTV_AUTH_*`` (redirect: ``LTV_PUBLIC_URL`` + ``/oauth2callback`` when
    unset); None when no ``LTV_AUTH_*`` is set or one cannot be used (:func:`problems` says which)."""
    if not login_settings_given() or _login_problems():
        return None
    out = {key: _env(name) for name, key in AUTH_SETTINGS.items() if _env(name)}
    out.setdefault("redirect_uri", f"{public_url()}/oauth2callback")
    return out


def allowed_users() -> tuple[str, ...]:
    """``LTV_ALLOWED_USERS`` as lower-case entries: e-mails, ``@domain``s, or ``*`` (everyone the provider signs in)."""
    return tuple(e.strip().lower() for e in _env("LTV_ALLOWED_USERS").split(",") if e.strip())


def may_use(email: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a signed-in ``email`` is on the ``allowed`` list: the same address, its whole domain (``@shop.cn``
    lets in ``ana@shop.cn``, not ``ana@eu.shop.cn`` nor ``ana@notshop.cn``) or ``*``."""
    address = (email or "").strip().lower()
    if address.count("@") != 1 or address.startswith("@") or address.endswith("@"):
        return False
    domain = "@" + address.split("@")[1]
    return any(entry in ("*", address, domain) for entry in allowed)


def share_public() -> bool:
    """``LTV_SHARE_PUBLIC``: with login on, does a share link open without a sign-in (default yes)?"""
    return value("LTV_SHARE_PUBLIC") == 1


def metrics_on() -> bool:
    """``LTV_METRICS``: does ``python -m lib serve`` answer ``/_stcore/metrics`` (default no)?"""
    return value("LTV_METRICS") == 1


def _login_problems() -> list[str]:
    if not login_settings_given():
        return []
    out = []
    missing = [name for name in AUTH_SETTINGS if name != "LTV_AUTH_REDIRECT_URI" and not _env(name)]
    if missing:
        out.append(f"Login is half set up: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set "
                   "(every LTV_AUTH_* is needed; LTV_AUTH_REDIRECT_URI may come from LTV_PUBLIC_URL).")
    metadata = _env("LTV_AUTH_SERVER_METADATA_URL")
    if metadata and _url_problem(metadata):
        out.append(f"LTV_AUTH_SERVER_METADATA_URL={metadata!r} is not an address; use the provider's "
                   "https://…/.well-known/openid-configuration.")
    redirect = _env("LTV_AUTH_REDIRECT_URI")
    if redirect and (_url_problem(redirect) or not urlsplit(redirect).path.endswith("/oauth2callback")):
        out.append(f"LTV_AUTH_REDIRECT_URI={redirect!r} is not where the app takes people back; use the app's address "
                   "followed by /oauth2callback (https://host/ltv/oauth2callback).")
    elif not redirect and public_url() is None:
        out.append("LTV_AUTH_REDIRECT_URI is not set and there is no LTV_PUBLIC_URL to make it from; set either.")
    secret = _env("LTV_AUTH_COOKIE_SECRET")
    if secret and len(secret) < MIN_COOKIE_SECRET:
        out.append(f"LTV_AUTH_COOKIE_SECRET is shorter than {MIN_COOKIE_SECRET} characters; use a random one "
                   "(python -c \"import secrets; print(secrets.token_hex(32))\").")
    odd = [e for e in allowed_users() if e != "*" and "@" not in e]
    if not allowed_users() or odd:
        out.append(f"LTV_ALLOWED_USERS={_env('LTV_ALLOWED_USERS')!r} names nobody who may sign in; with login on, list "
                   "e-mails and @domains (ana@shop.cn,@shop.cn), or * for everyone the provider signs in.")
    return out


def value(name: str) -> float:
    """The setting's value from the environment, or its default when unset or unusable."""
    return SETTINGS[name].parse(os.environ.get(name))[0]


def data_dir() -> Path:
    """The store's root, ``LTV_DATA_DIR`` (default ``.data`` in the working directory)."""
    return Path(os.environ.get("LTV_DATA_DIR") or ".data")


def problems(store: bool = True) -> list[str]:
    """One sentence per environment setting that cannot be used (empty when all are fine).

    ``store``: also check that ``LTV_DATA_DIR`` can be written (the app shares views there; the command
    line does not need it).
    """
    out = [msg for s in SETTINGS.values() if (msg := s.parse(os.environ.get(s.name))[1])]
    if (os.environ.get("LTV_PUBLIC_URL") or "").strip() and (msg := _url_problem(os.environ["LTV_PUBLIC_URL"].strip())):
        out.append(msg)
    cur = (os.environ.get("LTV_CURRENCY") or "").strip()
    if cur:
        from lib.coerce import currency_named

        if currency_named(cur) is None:
            out.append(f"LTV_CURRENCY={cur!r} is not a currency; use an ISO code such as GBP or USD, or a symbol "
                       "such as £, $, € or ¥.")
    raw = (os.environ.get("LTV_ADDRESS") or "").strip()
    if raw:
        try:
            ipaddress.ip_address(raw)
        except ValueError:
            out.append(f"LTV_ADDRESS={raw!r} is not an IP address; use 0.0.0.0 (every interface) or 127.0.0.1 (this machine).")
    out += _login_problems()
    if not store:
        return out
    root = data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        out.append(f"LTV_DATA_DIR={str(root)!r} cannot be written ({exc.strerror or exc}); point it at a writable folder.")
    return out
