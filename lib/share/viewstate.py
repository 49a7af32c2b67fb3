"""What a person is looking at, as one value: the page, the window, the channels and the settings.

A :class:`ViewState` maps to and from a URL's query string, so a share link
*is* the view: ``/cohorts?view=TOKEN&from=2025-01-01&to=2025-06-30&ch=SMS&cur=$&m=55&lang=zh&rev=net``
(the token names the stored data, nothing else). A value that cannot be read
(a hand-edited link) falls back to its default instead of failing. A link's text is
somebody else's text on the screen of whoever opens it: direction controls are taken
out of every parameter, and a currency that is not a symbol (``cur=**B**``, ``cur=:red[``,
a right-to-left override) is the stored one (:func:`lib.present.text.currency_symbol`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lib.model.basis import BASES  # the revenue basis; "total" is not written in a URL
from lib.present.text import currency_symbol, strip_controls

LANGS = ("en", "zh")
CHANNEL_SEP = "|"  # between channels in ``ch=``; a channel name holding it is written with it doubled


@dataclass(frozen=True)
class ViewState:
    """page: the page's URL path; dates: the window (first, last day) or None for all the data; channels: the
    acquisition channels chosen (empty = all); currency: the symbol shown; margin_pct: gross margin, 0..100;
    lang: "en" or "zh"; basis: the revenue basis, "total" or "net" (``rev=net``); platforms: the acquisition
    platforms chosen of a several-file dataset (empty = all; ``pf=``, written as ``ch=`` is)."""

    page: str = "overview"
    dates: tuple[date, date] | None = None
    channels: tuple[str, ...] = field(default_factory=tuple)
    currency: str = "¥"
    margin_pct: int = 60
    lang: str = "en"
    basis: str = "total"
    platforms: tuple[str, ...] = field(default_factory=tuple)

    def to_query(self) -> dict[str, str]:
        """Query-string parameters (the page is the URL's path, not a parameter)."""
        q: dict[str, str] = {"cur": self.currency, "m": str(self.margin_pct), "lang": self.lang}
        if self.dates:
            q["from"], q["to"] = self.dates[0].isoformat(), self.dates[1].isoformat()
        if self.channels:
            q["ch"] = CHANNEL_SEP.join(c.replace(CHANNEL_SEP, CHANNEL_SEP * 2) for c in self.channels)
        if self.basis != "total":
            q["rev"] = self.basis
        if self.platforms:
            q["pf"] = CHANNEL_SEP.join(c.replace(CHANNEL_SEP, CHANNEL_SEP * 2) for c in self.platforms)
        return q

    @classmethod
    def from_query(cls, params: Mapping[str, str], page: str = "overview", base: ViewState | None = None) -> ViewState:
        """The view a query string describes; parameters it lacks (or that cannot be read) come from ``base``."""
        b = base or cls(page=page)
        params = {k: strip_controls(v) if k != "cur" else v for k, v in params.items()}
        dates = b.dates
        if "from" in params and "to" in params:
            try:
                a, z = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
                dates = (a, z) if a <= z else (z, a)
            except ValueError:
                pass
        channels = b.channels
        if "ch" in params:
            channels = tuple(c for c in _split_channels(params["ch"]) if c)
        currency = currency_symbol(params["cur"]) if "cur" in params else None
        currency = b.currency if currency is None else currency
        margin = b.margin_pct
        try:
            margin = min(100, max(0, int(params["m"]))) if "m" in params else margin
        except ValueError:
            pass
        lang = params["lang"] if params.get("lang") in LANGS else b.lang
        basis = params["rev"] if params.get("rev") in BASES else b.basis
        platforms = tuple(c for c in _split_channels(params["pf"]) if c) if "pf" in params else b.platforms
        return cls(page, dates, channels, currency, margin, lang, basis, platforms)

    def to_record(self) -> dict[str, Any]:
        """The form a stored share link keeps (JSON)."""
        return {"page": self.page, "currency": self.currency, "margin_pct": self.margin_pct, "lang": self.lang,
                "dates": [d.isoformat() for d in self.dates] if self.dates else None, "channels": list(self.channels),
                "basis": self.basis, "platforms": list(self.platforms)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ViewState:
        """:meth:`to_record`'s inverse (links stored before this class keep working: same keys)."""
        params: dict[str, str] = {"cur": str(record.get("currency", "¥")), "m": str(record.get("margin_pct", 60)),
                                  "lang": str(record.get("lang", "en")), "rev": str(record.get("basis", "total"))}
        dates = record.get("dates")
        if isinstance(dates, (list, tuple)) and len(dates) == 2:
            params["from"], params["to"] = str(dates[0]), str(dates[1])
        plats = record.get("platforms") or []
        if plats:
            params["pf"] = CHANNEL_SEP.join(str(c).replace(CHANNEL_SEP, CHANNEL_SEP * 2) for c in plats)
        chans = record.get("channels") or []
        if chans:
            params["ch"] = CHANNEL_SEP.join(str(c).replace(CHANNEL_SEP, CHANNEL_SEP * 2) for c in chans)
        return cls.from_query(params, page=str(record.get("page", "overview")))


def _split_channels(text: str) -> list[str]:
    """``a|b||c`` -> ["a", "b|c"] (a doubled separator is part of a name)."""
    out, cur, i = [], [], 0
    while i < len(text):
        if text[i] == CHANNEL_SEP:
            if i + 1 < len(text) and text[i + 1] == CHANNEL_SEP:
                cur.append(CHANNEL_SEP)
                i += 2
                continue
            out.append("".join(cur))
            cur = []
        else:
            cur.append(text[i])
        i += 1
    out.append("".join(cur))
    return out
