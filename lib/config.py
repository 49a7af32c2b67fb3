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
    Setting("LTV_SPLIT_MIN_BYTES", 64 * 1024**2, 1, 2**40),
    Setting("LTV_CHOOSE_MIN_BYTES", 32 * 1024**2, 1, 2**40),
    Setting("LTV_CSV_CHOOSE_MIN_BYTES", 16 * 1024**2, 1, 2**40),
    Setting("LTV_PARSE_SLOTS", float(max(1, os.cpu_count() or 1)), 1, 64),
    Setting("LTV_PORT", 8501, 1, 65535),
    Setting("LTV_MAX_UPLOAD_MB", 200, 1, 2000),
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
    from lib.coerce import currency_symbol  # pandas: only when asked, never at import

    raw = (os.environ.get("LTV_CURRENCY") or "").strip()
    return (currency_symbol(raw) if raw else None) or "¥"


def address() -> str:
    """``LTV_ADDRESS`` for ``python -m lib serve`` (default 0.0.0.0: every interface)."""
    return (os.environ.get("LTV_ADDRESS") or "0.0.0.0").strip()


def base_path() -> str:
    """The path prefix of ``LTV_PUBLIC_URL`` without slashes ("ltv" for https://host/ltv/), "" for none."""
    url = public_url()
    return urlsplit(url).path.strip("/") if url else ""


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
        from lib.coerce import currency_symbol

        if currency_symbol(cur) is None:
            out.append(f"LTV_CURRENCY={cur!r} is not a currency; use an ISO code such as GBP or USD, or a symbol "
                       "such as £, $, € or ¥.")
    raw = (os.environ.get("LTV_ADDRESS") or "").strip()
    if raw:
        try:
            ipaddress.ip_address(raw)
        except ValueError:
            out.append(f"LTV_ADDRESS={raw!r} is not an IP address; use 0.0.0.0 (every interface) or 127.0.0.1 (this machine).")
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
