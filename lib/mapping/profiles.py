"""What real shop systems' order exports mean, as data the loader reads.

Each :class:`Profile` names one export (Shopify orders, Taobao 订单报表, …) by
the columns its header always has, and says which of its columns stand for
each canonical field, which fields hold one value per *order* even when the
rows are line items, and whether the export has a buyer key at all. Header rows
come from ``shared/EXPORTS.md`` (help centres, parsers, sample files).

A profile never overrides what the user chose: it only proposes a mapping,
and the generic rules of :mod:`lib.clean.orders` (carrying order fields down,
refund rows, masked buyers …) apply to every file, profiled or not.

Status words are data too: :data:`STATUS_WORDS` maps what shop systems write
in their status columns to one of the classes in :data:`STATUS_CLASSES`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lib.mapping.synonyms import normalise_name
from lib.schema import says_currency

if TYPE_CHECKING:  # the parse child asks may_map() without pandas (lib.read.child)
    import pandas as pd


@dataclass(frozen=True)
class Profile:
    """One shop system's export.

    Attributes
    ----------
    key, name
        Short id and the name shown to the user ("Shopify orders export").
    name_zh
        The name in 中文 ("抖店订单导出"), shown instead of ``name`` there (:meth:`label`).
    signature
        Column names that are all present in this export's header (compared
        after :func:`lib.mapping.synonyms.normalise_name`).
    columns
        Canonical field -> candidate column names, first present wins. No
        candidates (``()``): the export has no such column, and no synonym
        proposes one (Square's item export's "Tax": its amount is before tax).
    order_level
        Fields whose value belongs to the whole order, repeated on (or written
        only on the first of) its line rows: taken once per order, never summed.
    customer_level
        False when the export carries no usable buyer key (masked or absent):
        only order-level figures can be computed.
    needs
        When set, this export cannot be used on its own; the sentence says what
        else to upload.
    """

    key: str
    name: str
    signature: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    order_level: tuple[str, ...] = ()
    customer_level: bool = True
    needs: str | None = None
    name_zh: str = ""

    def label(self, lang: str = "en") -> str:
        """The export's name in ``lang`` ("en" or "zh")."""
        return self.name_zh if lang == "zh" and self.name_zh else self.name

    @property
    def currency(self) -> str | None:
        """The currency symbol every file of this export is in (the Chinese platforms settle in yuan), else None."""
        return "¥" if self.key.startswith(("taobao", "douyin", "youzan", "pinduoduo")) else None


PROFILES: tuple[Profile, ...] = (
    Profile(
        "shopify", "Shopify orders export", name_zh="Shopify 订单导出",
        signature=("Name", "Financial Status", "Created at", "Lineitem quantity", "Lineitem name"),
        columns={
            "order_id": ("Name",), "customer_id": ("Email", "Phone"), "order_date": ("Created at",),
            "amount": ("Total",), "quantity": ("Lineitem quantity",), "unit_price": ("Lineitem price",),
            "product": ("Lineitem name",), "sku": ("Lineitem sku",), "status": ("Financial Status",),
            "cancelled_at": ("Cancelled at",), "refund_amount": ("Refunded Amount",), "channel": ("Source",),
            "discount_code": ("Discount Code",), "customer_name": ("Billing Name", "Shipping Name"),
            "phone": ("Phone", "Billing Phone", "Shipping Phone"), "email": ("Email",),
            "subtotal": ("Subtotal",), "tax": ("Taxes",), "shipping": ("Shipping",),  # Subtotal: after discounts
        },
        order_level=("amount", "refund_amount", "status", "cancelled_at", "channel", "discount_code", "customer_name",
                     "phone", "email", "subtotal", "tax", "shipping"),
    ),
    Profile(
        "woocommerce", "WooCommerce order export", name_zh="WooCommerce 订单导出",
        signature=("Order Number", "Order Status", "Order Date"),
        columns={
            "order_id": ("Order Number",), "customer_id": ("Email (Billing)", "Phone (Billing)"),
            "order_date": ("Order Date",), "amount": ("Order Total Amount",), "quantity": ("Quantity",),
            "unit_price": ("Item Cost",), "product": ("Name", "Product Name"), "sku": ("SKU",),
            "status": ("Order Status",), "refund_amount": ("Order Refund Amount",),
            "discount_code": ("Coupon Code", "Coupons Used"), "customer_name": ("First Name (Billing)",),
            "phone": ("Phone (Billing)",), "email": ("Email (Billing)",),
            # "Order Subtotal Amount" is before discounts: no subtotal; net sales = total - total tax - shipping (ex tax)
            "subtotal": (), "tax": ("Order Total Tax Amount", "Order Tax Amount"), "shipping": ("Order Shipping Amount",),
        },
        order_level=("amount", "refund_amount", "status", "discount_code", "customer_name", "phone", "email", "tax",
                     "shipping"),
    ),
    Profile(
        "square_items", "Square item sales export", name_zh="Square 商品销售导出",
        signature=("Date", "Time", "Item", "Qty", "Gross Sales", "Net Sales", "Transaction ID", "Event Type"),
        columns={
            "order_id": ("Transaction ID",), "customer_id": ("Customer ID", "Customer Reference ID"),
            "order_date": ("Date",), "amount": ("Net Sales",), "quantity": ("Qty",), "product": ("Item",),
            "sku": ("SKU",), "status": ("Event Type",), "channel": ("Channel",), "customer_name": ("Customer Name",),
            # the amount is the items' Net Sales, before tax already: its Tax is not taken off again
            "subtotal": (), "tax": (), "shipping": (),
        },
    ),
    Profile(
        "square_transactions", "Square transactions export", name_zh="Square 交易导出",
        signature=("Date", "Time", "Gross Sales", "Total Collected", "Transaction ID", "Event Type"),
        columns={
            "order_id": ("Transaction ID",), "customer_id": ("Customer ID", "Customer Reference ID"),
            "order_date": ("Date",), "amount": ("Total Collected",), "status": ("Event Type",),
            "refund_amount": ("Partial Refunds",), "channel": ("Channel", "Source"), "customer_name": ("Customer Name",),
            "subtotal": ("Net Sales",), "tax": ("Tax",), "shipping": (),  # Net Sales: gross sales - discounts
        },
    ),
    Profile(
        "stripe", "Stripe payments export", name_zh="Stripe 付款导出",
        signature=("id", "Created (UTC)", "Amount", "Amount Refunded", "Status"),
        columns={
            "order_id": ("id",), "customer_id": ("Customer ID", "Customer Email"), "order_date": ("Created (UTC)",),
            "amount": ("Amount",), "refund_amount": ("Amount Refunded",), "status": ("Status",),
            "email": ("Customer Email",),
            # "Tax" beside "Fee" is the tax on Stripe's fee (newer exports: "Taxes On Fee"), not tax the buyer paid
            "subtotal": (), "tax": (), "shipping": (),
        },
    ),
    Profile(
        "taobao_orders", "Taobao / Tmall order report (订单报表)", name_zh="淘宝/天猫订单报表",
        signature=("订单编号", "买家实际支付金额", "订单状态", "订单创建时间"),
        columns={
            "order_id": ("订单编号",), "customer_id": ("买家会员名", "买家支付宝账号"), "order_date": ("订单创建时间",),
            "amount": ("买家实际支付金额",), "status": ("订单状态",),
            "quantity": ("宝贝总数量",), "product": ("宝贝标题",), "customer_name": ("收货人姓名",),
            "phone": ("联系手机", "联系电话"),
            # prices include VAT (no tax column); 买家应付货款 is before the platform's discounts: no subtotal
            "subtotal": (), "tax": (), "shipping": ("买家应付邮费",),
        },
        order_level=("amount", "shipping"),
    ),
    Profile(
        "taobao_lines", "Taobao / Tmall sales detail (销售明细)", name_zh="淘宝/天猫销售明细",
        signature=("主订单编号", "子订单编号", "标题", "价格", "购买数量"),
        columns={
            "order_id": ("主订单编号",), "order_date": ("订单创建时间", "订单付款时间"), "quantity": ("购买数量",),
            "unit_price": ("价格",), "product": ("标题",), "sku": ("商家编码", "外部系统编号"), "status": ("订单状态",),
            "refund_status": ("退款状态",), "refund_amount": ("退款金额",),
        },
        customer_level=False,
    ),
    Profile(
        "taobao_items", "Taobao / Tmall item report (宝贝报表)", name_zh="淘宝/天猫宝贝报表",
        signature=("订单编号", "标题", "价格", "购买数量", "商家编码"),
        columns={"order_id": ("订单编号",), "quantity": ("购买数量",), "unit_price": ("价格",), "product": ("标题",),
                 "sku": ("商家编码", "外部系统编号"), "status": ("订单状态",)},
        customer_level=False,
        needs=("This is Taobao's item report (宝贝报表): it has no buyer and no order date. Upload the order report "
               "(订单报表) too, or the 千牛 workbook that holds both."),
    ),
    Profile(
        "douyin", "Douyin shop order export (抖店)", name_zh="抖店订单导出",
        signature=("主订单编号", "子订单编号", "选购商品", "订单提交时间"),
        columns={
            "order_id": ("主订单编号",), "customer_id": ("收件人手机号", "收件人"), "order_date": ("订单提交时间", "支付完成时间"),
            "amount": ("订单应付金额",), "quantity": ("商品数量",), "unit_price": ("商品单价",), "product": ("选购商品",),
            "sku": ("商家编码",), "status": ("订单状态",), "refund_status": ("售后状态",), "cancelled_at": ("取消原因",),
            "channel": ("流量来源", "APP渠道", "广告渠道"), "customer_name": ("收件人",), "phone": ("收件人手机号",),
            "subtotal": (), "tax": (), "shipping": ("运费",),
        },
    ),
    Profile(
        "youzan", "Youzan order export (有赞)", name_zh="有赞订单导出",
        signature=("订单号", "订单创建时间", "订单实付金额", "买家手机号"),
        columns={
            "order_id": ("订单号",), "customer_id": ("买家手机号",), "order_date": ("订单创建时间",),
            "amount": ("订单实付金额",), "status": ("订单状态",), "refund_status": ("订单退款状态",),
            "refund_amount": ("订单已退款金额",), "channel": ("销售渠道", "推广方式"),
            "referrer_id": ("分销员手机号",), "is_member": ("买家是否会员",), "quantity": ("商品数量",),
            "unit_price": ("商品单价",), "product": ("商品名称", "全部商品名称"), "discount_code": ("店铺优惠方式",),
            "customer_name": ("收货人/提货人", "收货人"), "phone": ("买家手机号", "收货人手机号/提货人手机号"),
            # 商品金额合计 is before the shop's discounts: no subtotal
            "subtotal": (), "tax": (), "shipping": ("运费",),
        },
        order_level=("amount", "refund_amount", "refund_status", "shipping"),
    ),
    Profile(
        "pinduoduo", "Pinduoduo order export (拼多多)", name_zh="拼多多订单导出",
        signature=("订单号", "订单成交时间", "用户实付金额(元)"),
        columns={
            "order_id": ("订单号",), "order_date": ("订单成交时间", "发货时间"), "amount": ("用户实付金额(元)",),
            "quantity": ("商品数量(件)",), "product": ("商品",), "sku": ("商家编码-规格维度", "商家编码-商品维度"),
            "status": ("订单状态",), "refund_status": ("售后状态",),
            # 商品总价(元) is before the discounts: no subtotal
            "subtotal": (), "tax": (), "shipping": ("邮费(元)",),
        },
        customer_level=False,
    ),
)


_BY_KEY = {p.key: p for p in PROFILES}


def profile_by_key(key: str) -> Profile:
    """The profile whose ``key`` this is (a :class:`lib.schema.SheetProposal` names its export by key)."""
    return _BY_KEY[key]


def _normalised_columns(columns: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in columns:
        out.setdefault(normalise_name(str(c)), str(c))
    return out


def may_map(column: str) -> bool:
    """Whether a column name can serve a mapping: a synonym of a field or of a contact field (or a last name that
    completes a first name), or a column a shop-system profile names (as a field's candidate or in its signature),
    or the amounts' currency (a currency or country column). Columns for which this is False are not read
    unless the user asks for every column."""
    from lib.mapping.synonyms import is_last_name, match_contact, match_field

    return (match_field(column) is not None or match_contact(column) is not None or is_last_name(column)
            or normalise_name(column) in _PROFILE_NAMES or says_currency(column))


def detect_profile(columns: list[str]) -> Profile | None:
    """The export whose signature columns are all in ``columns``; the most specific wins."""
    have = _normalised_columns(columns)
    best: Profile | None = None
    for p in PROFILES:
        if all(normalise_name(s) in have for s in p.signature):
            if best is None or len(p.signature) > len(best.signature):
                best = p
    return best


def profile_mapping(profile: Profile, columns: list[str]) -> dict[str, str]:
    """Field -> the file's column name, from the profile's candidates that the file has."""
    have = _normalised_columns(columns)
    out: dict[str, str] = {}
    for f, candidates in profile.columns.items():
        for c in candidates:
            if normalise_name(c) in have:
                out[f] = have[normalise_name(c)]
                break
    return out


# --------------------------------------------------------------------------- status words

#: What a status value means for the money: "sale" (paid, shipped, completed …), "unpaid" (not paid yet),
#: "cancelled" (cancelled, closed, voided, failed), "refunded" (money returned in full),
#: "partially_refunded" (part returned), "none" (an after-sales column saying nothing happened).
STATUS_CLASSES = ("sale", "unpaid", "cancelled", "refunded", "partially_refunded", "none")

STATUS_WORDS: dict[str, str] = {
    # English (Shopify financial status, WooCommerce order status, Stripe, Square event type)
    "paid": "sale", "completed": "sale", "complete": "sale", "processing": "sale", "shipped": "sale",
    "delivered": "sale", "fulfilled": "sale", "authorized": "sale", "partially_paid": "sale", "succeeded": "sale",
    "captured": "sale", "payment": "sale", "sale": "sale", "success": "sale",
    "pending": "unpaid", "on-hold": "unpaid", "on hold": "unpaid", "unpaid": "unpaid", "awaiting payment": "unpaid",
    "pending payment": "unpaid", "draft": "unpaid",
    "cancelled": "cancelled", "canceled": "cancelled", "voided": "cancelled", "void": "cancelled",
    "failed": "cancelled", "declined": "cancelled", "trash": "cancelled", "expired": "cancelled",
    "refunded": "refunded", "refund": "refunded", "returned": "refunded", "chargeback": "refunded",
    "partially_refunded": "partially_refunded", "partially refunded": "partially_refunded",
    # 中文 (Taobao, Douyin, Youzan, Pinduoduo)
    "交易成功": "sale", "已完成": "sale", "已发货": "sale", "待发货": "sale", "已付款": "sale", "已签收": "sale",
    "买家已付款，等待卖家发货": "sale", "卖家已发货，等待买家确认": "sale", "待收货": "sale", "已收货": "sale",
    "待成团": "sale", "已成团": "sale", "部分发货": "sale",
    "等待买家付款": "unpaid", "待付款": "unpaid", "待支付": "unpaid", "未付款": "unpaid",
    "交易关闭": "cancelled", "已关闭": "cancelled", "已取消": "cancelled", "取消": "cancelled", "作废": "cancelled",
    "退款成功": "refunded", "已退款": "refunded", "全额退款": "refunded", "退货退款成功": "refunded",
    "部分退款": "partially_refunded", "部分退款成功": "partially_refunded",
    "无售后或售后取消": "none", "无售后": "none", "售后取消": "none", "退款关闭": "none", "退款中": "none",
    "无退款": "none", "退款失败": "none", "售后关闭": "none",
    # 日本語
    "支払済み": "sale", "発送済み": "sale", "完了": "sale", "キャンセル": "cancelled", "返品": "refunded", "返金": "refunded",
    "返金済み": "refunded", "入金待ち": "unpaid",
}
_STATUS_INDEX = {normalise_name(k): v for k, v in STATUS_WORDS.items()}
_FALLBACK = (  # a word inside a status nobody listed, checked in this order
    (re.compile(r"partial|部分"), "partially_refunded"),
    (re.compile(r"refund|return|chargeback|退款|退货|返金|返品"), "refunded"),
    (re.compile(r"cancel|void|fail|关闭|取消|作废|キャンセル|取り消し|取消し"), "cancelled"),
    (re.compile(r"pending|unpaid|待付|未付"), "unpaid"),
)


def status_class(value: str) -> str:
    """The class of one status text; unknown words are "sale" unless they contain a telling word."""
    key = normalise_name(value)
    if not key:
        return "none"
    if key in _STATUS_INDEX:
        return _STATUS_INDEX[key]
    low = str(value).lower()
    for pattern, cls in _FALLBACK:
        if pattern.search(low):
            return cls
    return "sale"


def classify_status(s: pd.Series) -> pd.Series:
    """Status class per row (categorical over :data:`STATUS_CLASSES`); blank -> "none".

    Distinct values are classified once (a million rows hold a handful of status words).
    """
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(s.astype("string").str.strip())
    classes = np.array([STATUS_CLASSES.index(status_class(str(u))) for u in uniques] + [STATUS_CLASSES.index("none")],
                       dtype=np.int8)
    cat = pd.Categorical.from_codes(classes[codes], categories=list(STATUS_CLASSES))  # code -1 (blank) -> the last: "none"
    return pd.Series(cat, index=s.index)


_PROFILE_NAMES = frozenset(normalise_name(c) for p in PROFILES
                           for c in (*p.signature, *(n for names in p.columns.values() for n in names)))
