"""A Taobao order report (订单报表, 41 columns) saved by Excel: the shape users upload.

    python bench/wide_export.py --rows 1000000 [--narrow]

Excel keeps every text cell in one shared-strings table and leaves empty cells
out of the sheet; dates are serial numbers with a date style. This writes that
XML directly (openpyxl would take minutes at 1M rows x 41 columns). ``--narrow``
writes the same rows cut to the nine columns the dashboard maps, for the
wide-vs-narrow comparison. Files are cached in bench/out/.
"""
from __future__ import annotations

import argparse
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

HEADER = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分",
    "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址", "运送方式", "联系电话",
    "联系手机", "订单创建时间", "订单付款时间", "宝贝标题", "宝贝种类", "物流单号", "物流公司", "订单备注", "宝贝总数量",
    "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息",
    "特权订金订单id", "定金排名", "修改后的sku", "修改后的收货地址", "异常信息", "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易",
]
# the columns the proposed mapping reads (order, customer, amount, status, name, phone, date, product, quantity)
NARROW = ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "收货人姓名", "联系手机", "订单创建时间", "宝贝标题", "宝贝总数量"]
PRODUCTS = ["明前龙井 250g", "正山小种 礼盒", "白毫银针 100g", "凤凰单丛 蜜兰香", "云南普洱 熟茶饼", "茉莉花茶 罐装",
            "铁观音 清香型", "大红袍 岩茶", "六安瓜片", "黄山毛峰", "紫砂壶 西施", "玻璃茶杯 双层", "旅行茶具套装"]
STATUSES = ["交易成功"] * 16 + ["交易关闭", "等待买家付款", "卖家已发货，等待买家确认", "买家已付款，等待卖家发货"]
PROVINCES = ["浙江省 杭州市 西湖区", "广东省 深圳市 南山区", "上海 上海市 浦东新区", "北京 北京市 朝阳区", "四川省 成都市 武侯区",
             "江苏省 南京市 鼓楼区", "湖北省 武汉市 洪山区", "福建省 厦门市 思明区"]
CARRIERS = ["中通快递", "圆通速递", "顺丰速运", "韵达快递", "申通快递", "邮政EMS"]
EPOCH = pd.Timestamp("1899-12-30")


def _columns(start: int, n: int, rng: np.random.Generator) -> dict[str, object]:
    """Column name -> values for rows ``start .. start+n`` (None or '' = an empty cell)."""
    i = np.arange(start, start + n)
    customers = 400_000
    cust = rng.integers(0, customers, n)
    goods = np.round(rng.lognormal(4.6, 0.6, n), 2)
    post = np.where(goods > 88, 0.0, 8.0)
    paid_total = np.round(goods + post, 2)
    status = np.array(STATUSES, dtype=object)[rng.integers(0, len(STATUSES), n)]
    unpaid = status == "等待买家付款"
    created = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730 * 86400, n), unit="s")
    created_serial = (created - EPOCH) / pd.Timedelta(days=1)
    paid_serial = np.where(unpaid, np.nan, created_serial + rng.integers(1, 600, n) / 86400)
    product = rng.integers(0, len(PRODUCTS), n)
    kinds = rng.integers(1, 3, n)
    count = kinds + rng.integers(0, 2, n)
    title = [PRODUCTS[p] if k == 1 else f"{PRODUCTS[p]} {PRODUCTS[(p + 3) % len(PRODUCTS)]}" for p, k in zip(product, kinds)]
    note = np.where(rng.random(n) < 0.05, "请尽快发货", "")
    return {
        "订单编号": [f"{3_600_000_000_000_000_000 + k * 7919}" for k in i],
        "买家会员名": [f"tb_{c:06x}" for c in cust],
        "买家支付宝账号": [f"{c % 97:02d}***@{'163' if c % 3 else 'qq'}.com" for c in cust],
        "买家应付货款": goods, "买家应付邮费": post, "买家支付积分": np.zeros(n), "总金额": paid_total,
        "返点积分": np.zeros(n), "买家实际支付金额": np.where(unpaid, 0.0, paid_total), "买家实际支付积分": np.zeros(n),
        "订单状态": status, "买家留言": note,
        "收货人姓名": [f"{'张王李赵刘陈杨黄'[c % 8]}*" for c in cust],
        "收货地址": [f"{PROVINCES[c % 8]} 某某路{c % 997}号 ***" for c in cust],
        "运送方式": ["快递"] * n, "联系电话": None,
        "联系手机": [f"'1{30 + c % 60}****{c % 10000:04d}" for c in cust],
        "订单创建时间": created_serial.to_numpy(), "订单付款时间": paid_serial,
        "宝贝标题": title, "宝贝种类": kinds.astype(float),
        "物流单号": np.where(unpaid, "", np.array([f"No:YT{9_000_000_000 + k}" for k in i], dtype=object)),
        "物流公司": np.array(CARRIERS, dtype=object)[rng.integers(0, len(CARRIERS), n)],
        "订单备注": None, "宝贝总数量": count.astype(float), "店铺Id": np.full(n, 57_300_112.0), "店铺名称": ["茶叶小店"] * n,
        "订单关闭原因": np.where(status == "交易关闭", "买家不想买了", "订单未关闭"),
        "卖家服务费": np.zeros(n), "买家服务费": ["0元"] * n, "发票抬头": None,
        "是否手机订单": np.where(rng.random(n) < 0.8, "手机订单", ""),
        "分阶段订单信息": None, "特权订金订单id": None, "定金排名": None, "修改后的sku": None, "修改后的收货地址": None,
        "异常信息": None, "天猫卡券抵扣": np.zeros(n), "集分宝抵扣": np.zeros(n), "是否是O2O交易": None,
    }


def _letters(k: int) -> str:
    s = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        s = chr(65 + r) + s
    return s


DATES = {"订单创建时间", "订单付款时间"}


class _Strings:
    """The workbook's shared-strings table, as Excel builds it: each distinct text once, cells hold its index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.references = 0

    def cells(self, letters: str, rows: np.ndarray, values: object) -> list[str]:
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        ids = np.array([self.index.setdefault(u, len(self.index)) if u != "" else -1 for u in uniques] + [-1])
        gid = ids[codes]  # code -1 (missing) picks the trailing -1
        self.references += int((gid >= 0).sum())
        return [f'<c r="{letters}{r}" t="s"><v>{g}</v></c>' if g >= 0 else "" for r, g in zip(rows, gid)]

    def xml(self) -> bytes:
        head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
                f'spreadsheetml/2006/main" count="{self.references}" uniqueCount="{len(self.index)}">')
        body = "".join(f"<si><t>{escape(s)}</t></si>" for s in self.index)
        return (head + body + "</sst>").encode()


def _number_cells(letters: str, rows: np.ndarray, values: np.ndarray, style: str) -> list[str]:
    text = np.asarray(values, dtype=float).astype(str)  # numpy writes NaN as "nan" (pandas keeps it a float)
    return [f'<c r="{letters}{r}"{style}><v>{t}</v></c>' if t != "nan" else "" for r, t in zip(rows, text)]


def write(rows: int, path: Path, columns: list[str], chunk: int = 50_000) -> None:
    """Write ``rows`` order rows with ``columns`` (a subset of :data:`HEADER`) as Excel would save them."""
    rng = np.random.default_rng(20261201)
    strings = _Strings()
    letters = {c: _letters(k) for k, c in enumerate(columns)}
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            last = f"{_letters(len(columns) - 1)}{rows + 1}"
            sheet.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
                         'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
                         f'officeDocument/2006/relationships"><dimension ref="A1:{last}"/><sheetData>').encode())
            head = "".join(strings.cells(letters[c], np.array([1]), [c])[0] for c in columns)
            sheet.write(f'<row r="1">{head}</row>'.encode())
            for start in range(0, rows, chunk):
                n = min(chunk, rows - start)
                values = _columns(start, n, rng)
                r = np.arange(start + 2, start + n + 2)
                cols = []
                for c in columns:
                    v = values[c]
                    if v is None:
                        continue
                    if c in DATES:
                        cols.append(_number_cells(letters[c], r, np.asarray(v, dtype=float), ' s="1"'))
                    elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
                        cols.append(_number_cells(letters[c], r, v, ""))
                    else:
                        cols.append(strings.cells(letters[c], r, v))
                body = "".join(f'<row r="{k}">{"".join(cells)}</row>' for k, *cells in zip(r, *cols))
                sheet.write(body.encode())
            sheet.write(b"</sheetData></worksheet>")
        z.writestr("xl/sharedStrings.xml", strings.xml())
        z.writestr("xl/styles.xml", STYLES)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("_rels/.rels", RELS)
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
    tmp.replace(path)


def workbook(rows: int, narrow: bool = False) -> Path:
    """The cached file for ``rows`` rows (written on first use)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"taobao_{'mapped' if narrow else 'wide'}_{rows}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        write(rows, path, NARROW if narrow else HEADER)
        print(f"wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://schemas.openxmlformats.org/'
          'spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/m/d h:mm:ss"/></numFmts>'
          '<fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill '
          'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
          '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
          'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
          'xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
          '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>').encode()
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="订单报表" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                 'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                 'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                 '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
                 'Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>').encode()
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode()
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                 'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                 'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                 'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                 'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" '
                 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override '
                 'PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'spreadsheetml.sharedStrings+xml"/></Types>').encode()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--narrow", action="store_true")
    a = ap.parse_args()
    print(workbook(a.rows, a.narrow))
