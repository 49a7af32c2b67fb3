"""Text from a user's file or a link, made inert for where it is shown: a chart (Plotly's HTML subset) or the page.

Everything a shop uploads (channel, product, customer, platform, sheet and file names) and every parameter of a
share link is somebody else's text on the screen of whoever opens the link. Three things keep it plain:

- :func:`strip_controls` takes out the Unicode direction controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
  U+061C): a right-to-left override before "1,710,913" shows it as "319,017,1", a plausible wrong number.
- :func:`html_inert` also writes ``&``, ``<`` and ``>`` as entities: Plotly draws ``<a href>``, ``<b>`` and ``<br>``
  in legend names, tick labels, hover text and annotations; ``&lt;a&gt;`` shows as those characters.
- :func:`currency_symbol` accepts a currency only as letters and at most a currency sign or two (``¥``, ``US$``,
  ``CHF``, ``kr``): it is written before every money figure, in Markdown too.

Markdown on the page is escaped in ``ui.page.plain``, which strips the controls with this module first.
"""
from __future__ import annotations

import html
import re
import unicodedata

DIRECTION_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_CONTROLS = re.compile(f"[{DIRECTION_CONTROLS}]")
CURRENCY_MAX = 5  # characters, as the sidebar's box allows
# the tags of the app's own hover and text templates; any other tag in a template came from the data
_TEMPLATE_TAGS = re.compile(r"(<br>|<extra>|</extra>)")


def strip_controls(text: str) -> str:
    """``text`` without Unicode direction controls (:data:`DIRECTION_CONTROLS`)."""
    return _CONTROLS.sub("", text)


def html_inert(text: str) -> str:
    """``text`` for a Plotly figure: direction controls out, ``&``, ``<``, ``>`` as HTML entities (shown as such)."""
    return html.escape(strip_controls(text), quote=False)


def template_inert(template: str) -> str:
    """A hover or text template (``"group=SMS<br>%{x}<extra></extra>"``) with the data's text in it made inert.

    Plotly Express writes a trace's group value into its hover template as text; the template's own tags
    (``<br>``, ``<extra>``) stay, everything else is escaped as :func:`html_inert` does.
    """
    return "".join(part if _TEMPLATE_TAGS.fullmatch(part) else html_inert(part)
                   for part in _TEMPLATE_TAGS.split(template))


def currency_symbol(text: str) -> str | None:
    """``text`` as a currency symbol, or None when it cannot be one.

    A symbol is at most :data:`CURRENCY_MAX` characters, each a letter or a currency sign (Unicode
    categories L* and Sc), with at most one ``$`` (two would open a formula in Markdown): ``¥``, ``$``,
    ``€``, ``US$``, ``HK$``, ``CHF``, ``kr``, ``zł``, ``元``. Empty is a symbol (figures without one).
    Markdown (``**B**``, ``:red[``), tags and direction controls are not.
    """
    text = text.strip()
    if len(text) > CURRENCY_MAX or text.count("$") > 1:
        return None
    if all(unicodedata.category(c).startswith("L") or unicodedata.category(c) == "Sc" for c in text):
        return text
    return None
