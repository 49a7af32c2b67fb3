"""Type coercion for messy spreadsheet columns: ids, dates, money, flags.

Each function takes a raw column (any dtype) and returns the clean column plus
a count of values it had to change in a way a user would want to know about.
Work is done on unique values and mapped back, so a million rows with a few
thousand distinct values cost little.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lib.schema import is_country_column, is_currency_column

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Excel serial days read as dates: 1900-01-01 .. 2199-12-31 (the dashboard's dates are nanosecond timestamps, which end in
# 2262; a larger number is a quantity or an id, not a date)
SERIAL_MIN, SERIAL_MAX = 1.0, float((pd.Timestamp("2199-12-31") - EXCEL_EPOCH).days)
_INT_FLOAT_RE = re.compile(r"^(-?\d+)\.0+$")


@dataclass(frozen=True)
class Coerced:
    """A coerced column and what happened on the way."""

    values: pd.Series
    changed: int = 0  # values rewritten (e.g. "12417.0" -> "12417", "¥1,200" -> 1200)
    detail: str = ""


_BLANK_WORDS = ["", "nan", "none", "null", "nat", "-", "--", "n/a", "—", "——", "－", "/"]



def ids_in(ids: pd.Series, values: pd.Series | pd.Index) -> np.ndarray:
    """Whether each id (text) is among ``values``, as a bool array; a missing id never is.

    pandas' ``isin`` on Arrow-backed text walks ``values`` in Python (2 s for
    180,000 order ids); Arrow's hash lookup does it at C speed.
    """
    arr = pa.array(ids.astype("string[pyarrow]").array)
    vals = pa.array(pd.Series(values).astype("string[pyarrow]").array)
    if arr.type != vals.type:
        vals = vals.cast(arr.type)
    return pc.is_in(arr, value_set=pc.unique(vals), skip_nulls=True).fill_null(False).to_numpy(zero_copy_only=False)


def is_blank(s: pd.Series, text: pd.Series | None = None) -> pd.Series:
    """Missing cells and text that only says "nothing" ("", "NaN", "None", "null", "-", "n/a").

    ``text`` may pass ``s`` already converted to stripped strings.
    """
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return s.isna()
    if text is None:
        text = s.astype("string").str.strip()
    blank = text.isna().to_numpy().copy()
    short = (~blank) & (text.str.len() <= 4).fillna(False).to_numpy()  # every blank word is short
    if short.any():
        blank[short] = text[short].str.lower().isin(_BLANK_WORDS).to_numpy()
    return pd.Series(blank, index=s.index)


_WRAPPED_RE = re.compile(r'^=\s*"(.*)"$')


def unwrap_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text, without the wrappers shop systems put around ids to keep Excel off them.

    ``="2891234"`` (Taobao, Excel's text formula) -> ``2891234``; a leading apostrophe (``'186…``)
    or tab (``\t6917…``, Douyin) is dropped. Checks are literal first, so a million clean cells cost little.
    """
    text = s.astype("string").str.strip()
    starts = text.str.startswith("=").fillna(False)
    if starts.any():
        text = text.where(~starts, text.str.replace(_WRAPPED_RE, r"\1", regex=True).str.strip())
    quoted = text.str.startswith("'").fillna(False)
    if quoted.any():
        text = text.where(~quoted, text.str.slice(1).str.strip())
    return text


_SCI_RE = re.compile(r"^\d(\.\d+)?[eE]\+\d{2}$")


def scientific_ids(ids: pd.Series) -> int:
    """How many ids Excel has already turned into scientific notation (1.23457E+17): their digits are lost."""
    plus = ids.str.contains("+", regex=False).fillna(False)
    if not plus.any():
        return 0
    return int(ids[plus].str.match(_SCI_RE, na=False).sum())


def to_text_id(s: pd.Series) -> Coerced:
    """Ids as text: numbers read as floats lose their ".0" (12417.0 -> "12417").

    Blank cells become ``<NA>``. ``changed`` counts ids that were numbers with
    a fractional zero.
    """
    if pd.api.types.is_float_dtype(s):
        blank = s.isna()
        whole = s.notna() & np.isfinite(s.astype(float)) & (s == np.floor(s))
        out = s.astype("string")
        out[whole] = s[whole].astype("int64").astype("string")
        out[blank] = pd.NA
        return Coerced(out.astype("string"), int(whole.sum()), "ids read as decimal numbers")
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        return Coerced(s.astype("string"))
    text = unwrap_text(s)
    blank = is_blank(s, text)
    floaty = text.str.endswith(".0").fillna(False)  # cheap filter before the regex
    if floaty.any():
        floaty &= text.str.match(_INT_FLOAT_RE, na=False)
    if floaty.any():
        text = text.where(~floaty, text.str.replace(r"\.0+$", "", regex=True))
    text = text.mask(blank, pd.NA)
    return Coerced(text.astype("string"), int(floaty.sum()), "ids read as decimal numbers")


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d",
    "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y", "%B %d, %Y", "%d %B %Y",
)
# a time followed by a zone: "…09:50:26 +0200", "…T14:22:10Z", "… 14:22 UTC", "…+08:00"; the wall clock is kept
_TZ_RE = re.compile(r"(\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*(?:Z|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2})$",
                    re.IGNORECASE)
# (trigger, pattern, replacement) rewriting dates into what pandas reads: Chinese/Japanese dates and times, a
# morning mark, a time zone after the time (dropped: the wall clock is kept)
_DATE_REWRITES: tuple[tuple[str, str | re.Pattern[str], str], ...] = (
    ("年", r"(\d{4})\s*[年]\s*(\d{1,2})\s*[月]\s*(\d{1,2})\s*[日]?", r"\1-\2-\3"),
    ("[时時]", r"\s*(?:时|時)\s*", ":"),
    ("分", r"\s*分\s*$", ""),
    ("上午|AM", r"(\d)\s*(?:上午|AM)\s*", r"\1 "),
    (r"(?:Z|UTC|GMT|\d[+-]\d{2}:?\d{2})\s*$", _TZ_RE, r"\1"),
)
_DMY = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y")
_MDY = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")
_SLASH_RE = re.compile(r"^\s*(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}")


def _day_first(texts: pd.Series) -> bool:
    parts = texts.str.extract(_SLASH_RE).dropna().astype(int)
    if parts.empty:
        return False
    if (parts[0] > 12).any():
        return True
    return False


def to_datetime(s: pd.Series) -> Coerced:
    """Dates from datetimes, Excel serial numbers or text in common formats.

    Text formats: ISO (2024-01-05, with time), 2024/1/5, 2024.01.05,
    20240105, 2024年1月5日 (Chinese and Japanese), 05.01.2024, 5-Jan-2024,
    Jan 5, 2024, and d/m/Y or m/d/Y; a column is read day-first when any
    value's first number exceeds 12, else month-first. Numbers (or numeric
    text) between 1 and 2,958,465 are Excel serial days since 1899-12-30.
    Unreadable values become ``NaT``. ``changed`` counts serial numbers.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return Coerced(_within_ns(out))
    if pd.api.types.is_numeric_dtype(s):
        return _from_serial(s.astype(float))
    text = unwrap_text(s)
    text = text.mask(is_blank(s, text), pd.NA)
    uniques = pd.Series(text.dropna().unique(), dtype="string")
    if uniques.empty:
        return Coerced(pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"))
    norm = uniques
    for trigger, pattern, repl in _DATE_REWRITES:  # each only where its words are: a regex on every date is slow
        if norm.str.contains(trigger, regex=True, case=False).any():
            norm = norm.str.replace(pattern, repl, regex=True)
    parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
    slash_formats = _DMY + _MDY if _day_first(norm) else _MDY + _DMY
    for fmt in ("ISO8601",) + _DATE_FORMATS + slash_formats:
        todo = parsed.isna()
        if not todo.any():
            break
        try:
            got = _naive(pd.to_datetime(norm[todo], format=fmt, errors="coerce"))
        except (ValueError, TypeError, OverflowError):
            continue
        parsed[todo] = got
    serial_changed = 0
    todo = parsed.isna()
    if todo.any():
        nums = pd.to_numeric(norm[todo].astype(object), errors="coerce").astype("float64")
        ok = nums.between(SERIAL_MIN, SERIAL_MAX)
        if ok.any():
            parsed[nums[ok].index] = (EXCEL_EPOCH + pd.to_timedelta(nums[ok], unit="D")).astype("datetime64[ns]")
    lookup = pd.Series(parsed.to_numpy(), index=uniques.to_numpy())
    out = text.map(lookup)
    out = pd.to_datetime(out).astype("datetime64[ns]")
    if todo.any():
        serial_vals = set(nums[ok].index)
        if serial_vals:
            serial_changed = int(text.isin(uniques[list(serial_vals)]).sum())
    return Coerced(out, serial_changed, "dates given as Excel serial numbers")


def _within_ns(s: pd.Series) -> pd.Series:
    """Dates as datetime64[ns]; dates that nanoseconds cannot hold (before 1677, after 2262) become NaT."""
    if s.dtype != "datetime64[ns]" and s.notna().any() and (s.min() < pd.Timestamp.min or s.max() > pd.Timestamp.max):
        s = s.mask((s < pd.Timestamp.min) | (s > pd.Timestamp.max))
    return s.astype("datetime64[ns]")


def _naive(got: pd.Series) -> pd.Series:
    """datetime64[ns] without a zone (wall clock kept); anything that is not a date becomes NaT."""
    if isinstance(got.dtype, pd.DatetimeTZDtype):
        got = got.dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_any_dtype(got):
        got = got.map(lambda v: v.replace(tzinfo=None) if isinstance(v, pd.Timestamp) else pd.NaT)
        got = pd.to_datetime(got, errors="coerce")
    return _within_ns(got)


def _from_serial(x: pd.Series) -> Coerced:
    ok = x.between(SERIAL_MIN, SERIAL_MAX)
    out = pd.Series(pd.NaT, index=x.index, dtype="datetime64[ns]")
    out[ok] = (EXCEL_EPOCH + pd.to_timedelta(x[ok], unit="D")).astype("datetime64[ns]")
    return Coerced(out, int(ok.sum()), "dates given as Excel serial numbers")


_CURRENCY_RE = re.compile(r"(?i)rmb|cny|usd|jpy|eur|gbp|hkd|twd|krw|yuan|元|円|圆|[¥￥$€£₩₹¢\\\\]|\s")


def _parse_money_text(t: str) -> float:
    neg = False
    t = t.strip()
    if t.startswith("(") and t.endswith(")"):
        neg, t = True, t[1:-1]
    t = _CURRENCY_RE.sub("", t).replace("\u2212", "-").replace("'", "")
    if t.endswith("-"):
        neg, t = not neg, t[:-1]
    if t.startswith("-"):
        neg, t = not neg, t[1:]
    if t.startswith("+"):
        t = t[1:]
    if "," in t and "." in t:
        if t.rfind(",") > t.rfind("."):
            t = t.replace(".", "").replace(",", ".")
        else:
            t = t.replace(",", "")
    elif "," in t:
        if re.fullmatch(r"\d{1,3}(,\d{3})+", t):
            t = t.replace(",", "")
        else:
            t = t.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3}){2,}", t):
        t = t.replace(".", "")
    try:
        v = float(t)
    except ValueError:
        return float("nan")
    return -v if neg else v


def to_money(s: pd.Series) -> Coerced:
    """Amounts from numbers or text with currency signs and separators.

    "¥1,200.50" -> 1200.5, "1.234,56 €" -> 1234.56, "1,5" -> 1.5,
    "(12.00)" and "12.00-" -> -12.0, "RMB 30" -> 30.0. Unreadable -> NaN.
    ``changed`` counts text values that needed cleaning beyond a plain number.
    """
    if pd.api.types.is_bool_dtype(s):
        return Coerced(pd.Series(np.nan, index=s.index, dtype="float64"))
    if pd.api.types.is_numeric_dtype(s):
        return Coerced(s.astype("float64"))
    text = unwrap_text(s)
    text = text.mask(is_blank(s, text), pd.NA)
    uniques = pd.Series(text.dropna().unique(), dtype="string")
    plain = pd.to_numeric(uniques.astype(object), errors="coerce").astype("float64")
    fancy = plain.isna()
    if fancy.any():
        plain[fancy] = [_parse_money_text(str(t)) for t in uniques[fancy]]
    lookup = pd.Series(plain.to_numpy(dtype=float), index=uniques.to_numpy())
    out = text.map(lookup).astype("float64")
    changed_vals = uniques[fancy & plain.notna()]
    changed = int(text.isin(changed_vals).sum()) if len(changed_vals) else 0
    return Coerced(out, changed, "amounts written as text with symbols or separators")


_TRUE = {"1", "1.0", "true", "yes", "y", "t", "x", "✓", "✔", "是", "会员", "vip", "member", "はい", "○", "◯", "会員", "有"}
_FALSE = {"0", "0.0", "false", "no", "n", "f", "否", "非会员", "不是", "non-member", "nonmember", "いいえ", "非会員", "×", "无", "無"}


def to_flag(s: pd.Series) -> Coerced:
    """Yes/no flags: 1/0, true/false, yes/no, 是/否, はい/いいえ, 会员/非会员 …; blank -> False."""
    if pd.api.types.is_bool_dtype(s):
        return Coerced(s.fillna(False).astype(bool))
    text = s.astype("string").str.strip().str.lower()
    out = text.isin(_TRUE)
    unknown = text.notna() & ~text.isin(_TRUE | _FALSE) & (text != "")
    return Coerced(out.fillna(False).astype(bool), int(unknown.sum()), "member flags not recognised (read as no)")


def month_start(s: pd.Series) -> Coerced:
    """Months from dates or text like "2024-01", "2024/1", "2024年1月", "Jan 2024"; first day of the month."""
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_numeric_dtype(s):
        d = to_datetime(s)
        return Coerced(d.values.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]"))
    text = s.astype("string").str.strip()
    text = text.str.replace(r"^(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*月?$", r"\1-\2-1", regex=True)
    d = to_datetime(text)
    if d.values.isna().all():
        d = Coerced(pd.to_datetime(text, format="%b %Y", errors="coerce").astype("datetime64[ns]"))
    return Coerced(d.values.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]"))


CURRENCY_SYMBOLS: dict[str, str] = {
    "CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "GBP": "£", "EUR": "€", "HKD": "HK$", "TWD": "NT$", "KRW": "₩",
    "INR": "₹", "AUD": "A$", "CAD": "C$", "SGD": "S$", "NZD": "NZ$", "CHF": "CHF ", "SEK": "kr ", "MYR": "RM", "THB": "฿",
}
_SIGNS = (("HK$", "HK$"), ("NT$", "NT$"), ("US$", "$"), ("£", "£"), ("€", "€"), ("₩", "₩"), ("₹", "₹"), ("￥", "¥"),
          ("¥", "¥"), ("元", "¥"), ("RMB", "¥"), ("$", "$"))
# a country -> the ISO code of its currency (names as shop systems and the UCI Online Retail data write them, ISO
# alpha-2 codes, 中文 names); lower case
_COUNTRY_CODES: dict[str, str] = {
    **{k: "GBP" for k in ("united kingdom", "uk", "gb", "great britain", "england", "scotland", "wales",
                          "northern ireland", "英国")},
    **{k: "USD" for k in ("united states", "united states of america", "usa", "us", "美国")},
    **{k: "EUR" for k in ("germany", "de", "france", "fr", "spain", "es", "italy", "it", "netherlands", "nl",
                          "belgium", "be", "portugal", "pt", "austria", "at", "ireland", "eire", "ie", "finland", "fi",
                          "greece", "gr", "luxembourg", "lu", "slovakia", "sk", "slovenia", "si", "estonia", "ee",
                          "latvia", "lv", "lithuania", "lt", "malta", "mt", "cyprus", "cy", "croatia", "hr",
                          "德国", "法国", "西班牙", "意大利", "荷兰")},
    **{k: "CNY" for k in ("china", "cn", "中国", "中國", "中国大陆")},
    **{k: "JPY" for k in ("japan", "jp", "日本")},
    **{k: "HKD" for k in ("hong kong", "hk", "香港", "中国香港")},
    **{k: "TWD" for k in ("taiwan", "tw", "台湾", "台灣", "中国台湾")},
    **{k: "KRW" for k in ("south korea", "korea", "kr", "韩国")},
    **{k: "INR" for k in ("india", "in", "印度")},
    **{k: "AUD" for k in ("australia", "au", "澳大利亚")},
    **{k: "CAD" for k in ("canada", "ca", "加拿大")},
    **{k: "SGD" for k in ("singapore", "sg", "新加坡")},
    **{k: "NZD" for k in ("new zealand", "nz", "新西兰")},
    **{k: "CHF" for k in ("switzerland", "ch", "瑞士")},
    **{k: "SEK" for k in ("sweden", "se", "瑞典")},
    **{k: "MYR" for k in ("malaysia", "my", "马来西亚")},
    **{k: "THB" for k in ("thailand", "th", "泰国")},
}


@dataclass(frozen=True)
class CountryCurrency:
    """A currency read from a country column: ``symbol``, the ``country`` that says it, the ``share`` (0..1) of the
    sampled rows naming that country, the ``column``."""

    symbol: str
    country: str
    share: float
    column: str


def currency_by_country(frame: pd.DataFrame, sample: int = 20_000) -> CountryCurrency | None:
    """The currency of the country most rows name, when it is at least half of them (a UK shop selling abroad:
    United Kingdom on 91 % of Online Retail II's rows → £); None when no country column names a known country
    for half the rows. Reads at most ``sample`` non-blank cells, spread over the column."""
    for col in frame.columns:
        if not is_country_column(col):
            continue
        values = frame[col].dropna().astype(str).str.strip()
        values = values.loc[values != ""]
        if not len(values):
            continue
        values = values.iloc[:: max(1, len(values) // sample)]
        counts = values.value_counts()
        top, n = str(counts.index[0]), int(counts.iloc[0])
        code = _COUNTRY_CODES.get(top.lower())
        if code is not None and n >= len(values) / 2:
            return CountryCurrency(CURRENCY_SYMBOLS.get(code, f"{code} "), top, n / len(values), str(col))
    return None


def currency_named(given: str) -> str | None:
    """The symbol for a currency named by an ISO code ("GBP" → "£"; an unknown code as the code) or by a symbol of
    ours ("£"); None for anything else. For ``LTV_CURRENCY``, which names a currency; what a person types or a link
    carries is checked as a symbol by :func:`lib.present.text.currency_symbol`."""
    text = given.strip()
    if re.fullmatch(r"[A-Za-z]{3}", text):
        return CURRENCY_SYMBOLS.get(text.upper(), f"{text.upper()} ")
    symbols = {v.strip() for v in CURRENCY_SYMBOLS.values()} | {sign for sign, _ in _SIGNS}
    return dict(_SIGNS).get(text, text) if text in symbols else None


def detect_currency(frame: pd.DataFrame, amount_column: str | None = None, sample: int = 500) -> str | None:
    """The shop's currency symbol as the file states it, or None when it does not.

    A currency column (Shopify and Stripe "Currency", WooCommerce "Order
    Currency", 币种) holding ISO codes wins: its most common code, mapped to a
    symbol (an unknown code is shown as the code). Otherwise the symbols
    written in the amount column's text ("£12.00", "¥30", "30元"). Reads at
    most ``sample`` non-blank cells.
    """
    for col in frame.columns:
        if is_currency_column(col):
            codes = frame[col].dropna().astype(str).str.strip().str.upper()
            codes = codes.loc[codes.str.fullmatch(r"[A-Z]{3}")].head(sample)
            if len(codes):
                code = str(codes.value_counts().index[0])
                return CURRENCY_SYMBOLS.get(code, f"{code} ")
    if amount_column is not None and amount_column in frame.columns:
        s = frame[amount_column]
        if not pd.api.types.is_numeric_dtype(s):
            text = s.dropna().astype(str).head(sample)
            for sign, symbol in _SIGNS:
                if text.str.contains(sign, regex=False).mean() > 0.5:
                    return symbol
    return None
