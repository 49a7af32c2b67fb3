"""The Data page's notes in the reader's language (:func:`note_text`).

The quality report's notes (:attr:`lib.schema.QualityReport.notes`) are English sentences the reading and
cleaning stages write, with numbers and names from the file in them; a stored dataset keeps them as written.
In 中文 each is matched against :data:`NOTE_PATTERNS` (one pattern per sentence the code writes, its 中文
beside it) and said again with the same numbers and names; a sentence without numbers is in
:data:`lib.i18n.ZH`. A note of several files ("orders-2024.xlsx: …") keeps its file and translates the rest.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from lib.i18n import ZH, translate
from lib.mapping.profiles import PROFILES
from lib.mapping.proposal import implausible_message

_PROFILE_ZH = {p.name: p.label("zh") for p in PROFILES}


def _fields(text: str) -> str:
    return "、".join(translate(f.strip(), "zh") for f in text.split(","))


def _implausible(text: str) -> str | None:
    problems = []
    for part in text.split("; "):
        m = re.fullmatch(r"column '(?P<col>.*)' is mapped as the (?P<field>.+?) but (?P<why>.+)", part)
        if m is None:
            return None
        problems.append((m["field"].replace(" ", "_"), m["col"], m["why"]))
    try:
        return implausible_message(problems, "zh")
    except KeyError:  # a reason this version does not know (a stored note of other code)
        return None


# (the English sentence with named groups, its 中文 with {group}); a group named in _SAID is translated first
NOTE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(en, re.S), zh) for en, zh in (
    (r"Recognised: (?P<platform>.+)\.", "已识别：{platform}。"),
    (r"Read the ordinary way: (?P<why>.+)\.", "按常规方式读取：{why}。"),
    (r"Text encoding: (?P<encoding>.+); separator: '(?P<sep>.*)'\.", "文本编码：{encoding}；分隔符：“{sep}”。"),
    (r"NUL characters \(invisible, never part of text\) removed from the file: (?P<n>[\d,]+), first on line (?P<line>[\d,]+)\.",
     "已从文件中删除 NUL 字符（不可见，从不属于文本）：{n} 个，首次出现在第 {line} 行。"),
    (r"(?P<n>[\d,]+) columns the mapping does not use were not read: (?P<shown>.*)\.", "字段对应未用到的 {n} 列未读取：{shown}。"),
    (r"Sheets (?P<names>.+) have the same columns and were combined\.", "工作表 {names} 的列相同，已合并。"),
    (r"Currency (?P<symbol>.+?): the country of (?P<share>.+?) of the rows \('(?P<column>.*)': (?P<country>.*)\)\.",
     "货币按 {share} 的行所在的国家定为 {symbol}（“{column}”：{country}）。"),
    (r"Products read from sheet '(?P<sheet>.*)': (?P<lines>[\d,]+) lines of (?P<orders>[\d,]+) orders\.(?P<left> Left out: .*)?",
     "已从工作表“{sheet}”读取商品：{orders} 笔订单的 {lines} 行明细。{left}"),
    (r"Copied from each order's first row to its other lines: (?P<fields>.+)\.", "已从每笔订单的首行复制到其他行：{fields}。"),
    (r"The customer column '(?P<column>.*)' is empty on every row: customers, repurchase, cohorts, LTV, CAC and "
     r"referrals cannot be computed from it\. Order-level figures only\.",
     "客户列“{column}”每一行都为空：无法据此计算客户数、复购、同期群、LTV、获客成本和转介绍，只显示订单层面的数字。"),
    (r"Buyers are masked in this file \((?P<masked>[\d,]+) of (?P<ids>[\d,]+) customer ids, e\.g\. (?P<example>.*)\): "
     r"customers, repurchase, cohorts, LTV, CAC and referrals cannot be computed from it\. Order-level figures only\.",
     "此文件中的买家已打码（{ids} 个客户标识中有 {masked} 个，例如 {example}）：无法据此计算客户数、复购、同期群、LTV、"
     "获客成本和转介绍，只显示订单层面的数字。"),
    (r"One person, one customer: (?P<tel>[\d,]+) customers linked across files by phone, (?P<mail>[\d,]+) by email\.",
     "跨文件同一人算同一位客户：按手机号关联了 {tel} 位客户，按邮箱关联了 {mail} 位。"),
    (r"(?P<file>.+?): (?P<platform>.+), (?P<rows>[\d,]+) rows, (?P<orders>[\d,]+) orders(?P<masked> \(buyers masked or "
     r"absent: its orders count as guest orders\))?\.",
     "{file}：{platform}，{rows} 行，{orders} 笔订单{masked}。"),
))

_SAID: dict[str, Callable[[str], str]] = {
    "platform": lambda v: _PROFILE_ZH.get(v, translate(v, "zh")),
    "why": lambda v: re.sub(r"column '(.*)' holds other kinds of values in the second half of the sheet",
                            lambda m: f"列“{m[1]}”在工作表后半部分含有其他类型的值", translate(v, "zh")),
    "fields": _fields,
    "left": lambda v: ZH[" Left out: {n} of its lines, whose orders are not kept (cancelled, unpaid or not in the orders "
                         "sheet)."].format(n=v.split()[2]) if v else "",  # " Left out: 1,234 of its lines, …"
    "masked": lambda v: "（买家已打码或缺失：其订单按访客订单计）" if v else "",
}


def _zh(note: str) -> str | None:
    if note in ZH:
        return ZH[note]
    if note.startswith("Check the mapping: ") and note.endswith("."):
        return _implausible(note[len("Check the mapping: "):-1])
    for pattern, zh in NOTE_PATTERNS:
        m = pattern.fullmatch(note)
        if m is not None:
            return zh.format_map({k: _SAID[k](v or "") if k in _SAID else v for k, v in m.groupdict().items()})
    return None


def note_text(note: str, lang: str = "en") -> str:
    """``note`` (a quality report's note, as written in English) in ``lang``; in 中文 the note as it was written
    when no pattern knows it. A note of several files' report keeps its "file: " before the translated rest."""
    if lang != "zh":
        return note
    said = _zh(note)
    if said is not None:
        return said
    for m in re.finditer(": ", note):  # "orders-2024.xlsx: Recognised: …": the file, then a note of its own
        rest = _zh(note[m.end():])
        if rest is not None:
            return f"{note[:m.start()]}：{rest}"
    return note
