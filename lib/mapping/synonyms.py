"""Column-name synonyms in English, Chinese and Japanese for each canonical field."""
from __future__ import annotations

import re
import unicodedata

# Each field lists names as seen in real exports; matching ignores case, spaces,
# underscores, hyphens and full-width forms. Order matters: earlier fields win ties.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "order_id": (
        "order id", "order", "order no", "order number", "invoice", "invoice no", "invoiceno",
        "invoice number", "transaction id", "receipt", "receipt no", "order #", "order_no", "orderid",
        "订单号", "订单编号", "订单id", "单号", "订单", "交易号", "流水号", "发票号",
        "注文番号", "注文id", "受注番号", "伝票番号", "注文no", "オーダーid",
    ),
    "customer_id": (
        "customer id", "customer", "customerid", "customer no", "client", "client id", "member id",
        "buyer", "buyer id", "user id", "userid", "email", "customer email", "phone", "account",
        "客户", "客户id", "客户编号", "顾客", "顾客id", "会员id", "会员号", "用户id", "买家", "买家id",
        "用户", "手机号", "客户手机", "微信号",
        "顧客", "顧客id", "顧客番号", "会員id", "会員番号", "お客様id", "購入者", "ユーザーid",
    ),
    "order_date": (
        "date", "order date", "invoicedate", "invoice date", "created at", "created", "order time",
        "purchase date", "transaction date", "time", "datetime", "paid at", "ordered on", "order placed",
        "下单时间", "下单日期", "订单日期", "日期", "时间", "付款时间", "支付时间", "成交时间", "创建时间",
        "注文日", "注文日時", "購入日", "日付", "受注日", "売上日",
    ),
    "amount": (
        "amount", "total", "order total", "revenue", "sales", "value", "order value", "paid",
        "amount paid", "total price", "gmv", "net sales", "grand total", "dollar value",
        "金额", "订单金额", "实付金额", "实付", "支付金额", "付款金额", "销售额", "总金额", "总价", "成交金额",
        "実付金額", "金額", "合計", "合計金額", "売上", "売上金額", "注文金額", "支払金額",
    ),
    # The order's money apart from its amount (net sales = subtotal, else amount - tax - shipping). Matched by exact
    # name only (see _EXACT_ONLY). Not "net sales" (an amount above: Square's item export's amount), nor WooCommerce's
    # "Order Subtotal Amount" (before discounts).
    "subtotal": (
        "subtotal", "sub total", "order subtotal", "subtotal after discounts", "subtotal after discount",
        "discounted subtotal", "小计", "商品小计", "订单小计", "小計", "商品小計",
    ),
    "tax": (
        "tax", "taxes", "tax amount", "tax total", "total tax", "sales tax", "order tax", "order tax amount",
        "order total tax amount", "vat", "vat amount", "gst", "tax collected",
        "税", "税额", "税费", "税金", "税款", "增值税", "增值税额", "消費税", "消費税額", "税額", "消費税合計",
    ),
    "shipping": (
        "shipping", "shipping cost", "shipping fee", "shipping amount", "shipping total", "shipping charge",
        "shipping price", "order shipping", "order shipping amount", "delivery fee", "delivery charge", "postage",
        "运费", "邮费", "运费(元)", "邮费(元)", "买家应付邮费", "快递费", "配送费", "运费金额",
        "送料", "配送料", "送料合計", "配送料金",
    ),
    "quantity": (
        "quantity", "qty", "units", "number of cds", "pcs",
        "数量", "件数", "购买数量", "個数", "数量(個)",
    ),
    "unit_price": (
        "unit price", "unitprice", "price", "item price", "单价", "价格", "商品单价", "単価", "価格", "販売価格",
    ),
    "channel": (
        "channel", "source", "acquisition channel", "utm source", "medium", "traffic source",
        "渠道", "来源", "来源渠道", "获客渠道", "渠道来源", "チャネル", "チャンネル", "流入元", "経路", "集客チャネル",
    ),
    "referrer_id": (
        "referrer", "referrer id", "referred by", "referral", "referred by id", "inviter", "invited by",
        "推荐人", "推荐人id", "介绍人", "邀请人", "邀请人id", "推荐者",
        "紹介者", "紹介者id", "紹介元", "招待者",
    ),
    "status": (
        "status", "order status", "state", "financial status", "订单状态", "状态", "ステータス", "注文ステータス", "状態",
    ),
    "refund_amount": (
        "refunded amount", "refund amount", "amount refunded", "refunds", "refunded", "order refund amount",
        "partial refunds", "退款金额", "已退款金额", "订单已退款金额", "退款额", "返金額", "返金金額",
    ),
    "refund_status": ("refund status", "after-sales status", "退款状态", "售后状态", "订单退款状态", "返金ステータス"),
    "cancelled_at": ("cancelled at", "canceled at", "cancelled date", "cancel reason", "取消时间", "取消原因", "キャンセル日"),
    "product": (
        "product", "product name", "item", "item name", "description", "lineitem name", "title", "商品", "商品名称",
        "商品名", "宝贝标题", "标题", "品名", "产品", "产品名称", "商品标题", "选购商品", "商品名称", "品目",
    ),
    "sku": ("sku", "stock code", "stockcode", "product code", "item code", "lineitem sku", "商家编码", "货号",
            "商品编码", "商品编号", "品番", "商品コード", "商品番号"),
    "discount_code": ("discount code", "coupon code", "coupon", "promo code", "优惠码", "优惠券", "クーポン", "クーポンコード"),
    "is_member": (
        "member", "is member", "membership", "vip", "loyalty", "member flag",
        "会员", "是否会员", "会员标识", "会員", "会員フラグ", "会員区分",
    ),
    # spend sheet fields
    "month": ("month", "period", "月份", "月", "年月", "期间", "対象月"),
    "spend": (
        "spend", "cost", "ad spend", "marketing spend", "budget", "expense",
        "花费", "费用", "成本", "投放费用", "营销费用", "広告費", "費用", "コスト", "支出",
    ),
    "touches": (
        "touches", "impressions", "reach", "sent", "cards", "calls", "sms sent", "contacts",
        "触达", "触达数", "发送量", "曝光", "接触数", "配信数", "リーチ",
    ),
    "adds": (
        "adds", "follows", "followers", "added", "new contacts", "leads", "signups",
        "加粉", "加粉数", "添加数", "新增好友", "关注", "友だち追加", "登録数", "追加数",
    ),
    "cost_per_touch": ("cost per touch", "unit cost", "cpt", "单次成本", "单位成本", "単価コスト"),
}


# How to reach a customer: matched by exact (normalised) name only, never by a word inside a longer name
# (收货人省份, 是否手机订单 and 挂账手机号 are not the customer's name or phone). A phone or email column may also be
# the customer id (手机号, Email): then it serves both.
CONTACT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_name": (
        "name", "customer name", "client name", "buyer name", "billing name", "shipping name", "full name", "recipient",
        "recipient name", "contact name", "first name", "billing first name", "first name (billing)",
        "收货人", "收货人姓名", "收件人", "收件人姓名", "姓名", "客户姓名", "客户名称", "顾客姓名", "买家姓名",
        "会员姓名", "联系人", "收货人/提货人", "名字",
        "氏名", "名前", "お名前", "顧客名", "購入者名", "お届け先氏名", "注文者氏名",
    ),
    "phone": (
        "phone", "phone number", "mobile", "mobile number", "mobile phone", "telephone", "tel", "billing phone",
        "shipping phone", "phone (billing)", "customer phone", "customer phone number", "contact number",
        "contact phone",
        "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话", "联系手机", "联系方式", "客户手机", "客户手机号",
        "买家手机号", "会员手机号", "收货人手机号", "收件人手机号", "收货人电话", "收货人手机号/提货人手机号",
        "電話番号", "携帯番号", "電話", "携帯電話番号",
    ),
    "email": (
        "email", "e-mail", "email address", "customer email", "billing email", "email (billing)", "buyer email",
        "邮箱", "电子邮箱", "电子邮件", "邮件", "邮箱地址", "メールアドレス", "メール", "eメール",
    ),
}
# A family name written apart from the first name (WooCommerce "Last Name (Billing)"): joined to it.
LAST_NAME_SYNONYMS: tuple[str, ...] = ("last name", "last name (billing)", "billing last name", "surname", "family name")


def normalise_name(name: str) -> str:
    """Lower-case, NFKC-fold and strip separators: "Order_ID " -> "orderid"."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    return re.sub(r"[\s_\-./#()（）:：]+", "", text)


_INDEX: dict[str, str] = {}
for _field, _names in SYNONYMS.items():
    for _name in _names:
        _INDEX.setdefault(normalise_name(_name), _field)


_CONTACT_INDEX: dict[str, str] = {normalise_name(n): f for f, names in CONTACT_SYNONYMS.items() for n in names}
_LAST_NAMES = frozenset(normalise_name(n) for n in LAST_NAME_SYNONYMS)


def match_contact(column: str) -> str | None:
    """The contact field (customer_name, phone, email) a column name stands for, by exact normalised name, or None."""
    return _CONTACT_INDEX.get(normalise_name(column))


def last_name_column(first_name: str, columns: list[str]) -> str | None:
    """The column holding the family name that goes with a first-name column ("First Name (Billing)" ->
    "Last Name (Billing)"; "first_name" -> "last_name"), when the file has one."""
    key = normalise_name(first_name)
    if "firstname" not in key:
        return None
    want = key.replace("firstname", "lastname")
    return next((c for c in columns if normalise_name(c) == want), None)


def is_last_name(column: str) -> bool:
    """Whether a column holds family names (read so that a first-name column can be completed)."""
    return normalise_name(column) in _LAST_NAMES


# A column whose name holds one of these is free text about a record ("Customer Note", 买家备注,
# 买家留言), never the record's key or amount, whatever else its name contains.
_FREE_TEXT = ("note", "remark", "comment", "message", "memo", "备注", "留言", "备忘", "メモ", "備考", "昵称", "nickname")


# Fields matched by their exact (normalised) name only: their words sit inside names of other things ("Shipping Zip",
# "Shipping Name", "Lineitem taxable", "Tax 1 Name", 运费险), which must never be read as the order's money.
_EXACT_ONLY = frozenset({"subtotal", "tax", "shipping"})

# synonyms that count when contained in a longer name, longest first: 4+ letters, or 2+ characters of other scripts
_CONTAINED = tuple(syn for syn in sorted(_INDEX, key=len, reverse=True)
                   if len(syn) >= 2 and (len(syn) >= 4 or not syn.isascii()) and _INDEX[syn] not in _EXACT_ONLY)


def match_field(column: str) -> str | None:
    """The canonical field a column name stands for, or ``None``.

    Exact (normalised) synonym first; then a synonym contained in the name
    ("Order Date (UTC)" -> order_date), longest synonym first. Names of
    free-text columns (notes, remarks, nicknames) match only exactly, and so
    do the subtotal, tax and shipping ("Shipping Zip" is no shipping).
    """
    key = normalise_name(column)
    if not key:
        return None
    if key in _INDEX:
        return _INDEX[key]
    if any(w in key for w in _FREE_TEXT):
        return None
    return next((_INDEX[syn] for syn in _CONTAINED if syn in key), None)
