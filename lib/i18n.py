"""One translation table for every UI string, and locale-aware number and date formatting.

Keys are the English strings themselves; ``translate(text, "zh")`` returns the
Chinese, or the English when a string has no entry (a test checks that every
string the pages use has one). The data quality report's reasons are keyed by
code instead (:data:`QUALITY_ISSUES`, both languages side by side).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pandas where dates are formatted: lib.schema imports this module in the parse child, before it forks
    import pandas as pd

Lang = Literal["en", "zh"]
LANGS: dict[str, str] = {"en": "English", "zh": "中文"}

ZH: dict[str, str] = {
    "No customer had been a customer for 12 months by the window's end, so there is no 12-month LTV yet.":
        "截至时间段末没有满12个月的客户，因此暂无12个月LTV。",
    "Net revenue in the first 12 months per customer, over customers 12 months old by the window's end.":
        "每位客户首单后12个月内的净收入，按截至时间段末已满12个月的客户计算。",
    "Other files are being read first; yours is next in line.": "正在读取其他文件，下一个就是您的。",
    "Other files are being read first. Files before yours": "正在读取其他文件。排在您前面的文件数",
    "Spend rows left out": "未计入的费用行",
    "New customers brought per customer (K)": "人均带来的新客（K）",
    "The shared data of this link is no longer stored (its link expired). Showing the sample data; ask for a new link.":
        "此链接的共享数据已不再保存（链接已过期）。现显示示例数据；请索取新链接。",
    # a stored dataset that cannot be opened (lib.share.storage)
    "This link's data was saved by a newer version of the app, so this version cannot open it: ask for a new link.":
        "此链接的数据由更新版本的应用保存，当前版本无法打开：请索取新链接。",
    "This link's data has a field this version of the app does not know, so it cannot be opened: ask for a new link.":
        "此链接的数据含有当前版本应用不认识的字段，无法打开：请索取新链接。",
    "This link's stored data is damaged, so it cannot be opened: ask for a new link.": "此链接保存的数据已损坏，无法打开：请索取新链接。",
    "Showing the sample data.": "正在显示示例数据。",
    # table headers (lib.present.labels), report sheets and figures (lib.present.export), chart words (lib.present.charts), our values
    "25th percentile (days)": "25%分位（天）", "75th percentile (days)": "75%分位（天）", "Active customers": "活跃客户数",
    "Adds": "加粉数", "Adds who bought": "加粉后购买占比", "All descendants": "全部下线", "Amount": "金额",
    "Average P(active)": "平均活跃概率", "Average days since last order": "平均距上次下单天数", "Average orders": "平均订单数",
    "Average repeat order": "平均复购单金额", "Channel": "渠道", "Cost per add": "单个加粉成本", "Cost per touch": "单次触达成本",
    "Customer": "客户", "Customers brought": "带来的客户数", "Customers in cohort": "同期群客户数",
    "Days since last order": "距上次下单天数", "Descendants' revenue": "下线收入", "Expected orders": "预期订单数",
    "F": "F", "Figure": "指标", "Group": "分组", "K (next ÷ this)": "K（下一代 ÷ 本代）", "Lever": "杠杆", "M": "M",
    "Median days between orders": "下单间隔中位天数", "Median days from the previous order": "距上一单中位天数",
    "Member": "会员", "Month": "月份", "New customers": "新客户", "Of first orders": "占首单客户", "Of the previous step": "占上一步",
    "Order": "订单", "Order date": "下单时间", "Period": "期", "Problem": "问题", "R": "R", "RFM segment": "RFM分群", "ROAS": "ROAS", "ROAS (revenue before refunds ÷ spend)": "ROAS（未扣退款收入 ÷ 费用）",
    "Referred by": "推荐人", "Repeat customers": "复购客户数", "Repeat orders": "复购订单数", "Repeat purchases": "复购次数",
    "Repurchase within 30 days": "30天内复购", "Repurchase within 60 days": "60天内复购", "Repurchase within 90 days": "90天内复购",
    "Repurchase within 180 days": "180天内复购", "Rows": "行数", "Rung": "阶梯", "Share of revenue": "收入占比", "Spend": "费用",
    "Status": "状态", "Touches": "触达数", "Value": "数值", "Weeks as a customer": "成为客户的周数",
    "Weeks from first to last purchase": "首单到末单的周数", "What happened": "处理", "Why": "原因",
    "3-month LTV": "3个月LTV", "6-month LTV": "6个月LTV", "Analysis date": "分析日期", "From": "起", "To": "止",
    "Revenue before refunds": "收入（未扣退款）", "AOV after refunds": "客单价（扣除退款）",
    "the model (MBG/NBD + Gamma-Gamma)": "模型（MBG/NBD + Gamma-Gamma）", "Forecast": "预测方法", "File": "文件", "Platform": "平台", "First order": "首单", "In words": "说明", "Prediction accuracy": "预测准确度",
    "Predicted purchases": "预测购买次数", "Actual purchases": "实际购买次数", "Purchases: off by": "购买次数偏差",
    "Predicted revenue": "预测收入", "Actual revenue": "实际收入", "Revenue: off by": "收入偏差",
    "Mean error per customer": "每位客户的平均误差", "Checked on the last": "检验区间：最近",
    "6 months (or a third of the history)": "6 个月（历史较短时取三分之一）", "3 months": "3 个月", "6 months": "6 个月",
    "12 months": "12 个月", "How accurate are these predictions?": "这些预测有多准？",
    "The models were fitted on the orders up to": "模型只用截至以下日期（含）的订单拟合：",
    "and asked what the customers acquired by then would buy after it; here is what they did.":
        "并预测当时已有的客户之后会购买多少；下图是他们的实际表现。",
    "actual": "实际", "model": "模型", "Repeat purchases before the holdout": "检验期之前的复购次数",
    "Purchases per customer in the holdout": "检验期内人均购买次数", "holdout": "检验期",
    "Cumulative repeat purchases": "累计复购次数", "Holdout purchases by past purchases": "按过去购买次数看检验期购买",
    "Cumulative repeat purchases, actual and predicted": "累计复购次数：实际与预测",
    "Predicted revenue of these customers over the horizon": "这些客户在预测期内的预计收入", "90 % interval": "90% 区间",
    "CLV at stake: the predicted 12-month value of the list, with its 90 % interval.":
        "潜在 CLV：名单中客户预计 12 个月的价值，括号内为 90% 区间。",
    "From platform to your own channel": "从平台到自有渠道",
    "Customers acquired on a platform who later bought in a channel the shop owns, per platform; their revenue in the 12 "
    "months from that move against those who stayed, in the 12 months from their first order.":
        "按平台统计：在平台上获得、之后又在店铺自有渠道购买的客户；他们迁移后 12 个月的收入，对比留在平台的客户首单后 12 个月的收入。",
    "Moved to an owned channel": "迁移到自有渠道", "Share moved": "迁移比例", "Median days to move": "迁移天数中位数",
    "12-month value after moving": "迁移后 12 个月价值", "12-month value of those who stayed": "留在平台者 12 个月价值",
    "Not moved yet, with a phone to reach them": "尚未迁移、可电话联系的客户",
    "Several files: each is read with the mapping proposed for it; this is the first file's.":
        "多个文件：每个文件按为其推荐的字段对应读取；这里显示的是第一个文件的。",
    "Orders and revenue by the platform of each order (guest orders included); customers by the platform they were "
    "acquired on.": "订单数和收入按每笔订单所在平台统计（含访客订单）；客户按获客平台统计。",
    "One person, one customer across files": "跨文件同一人算同一位客户",
    "The same phone or email on two platforms is one customer.": "两个平台上相同的手机号或邮箱算同一位客户。",
    "Platforms the shop owns": "店铺自有的平台",
    "The journey counts a customer who moved from another platform to one of these.": "迁移是指客户从其他平台转到这些平台之一购买。",
    "CAC by platform": "各平台获客成本", "Spend entered for a platform ÷ the window's new customers acquired on it.":
        "为某个平台填写的投放费用 ÷ 该时间段内在该平台获得的新客数。",
    "Platforms": "平台", "All platforms": "全部平台", "By platform": "按平台",
    "Revenue and orders by month": "每月收入与订单", "By channel": "按渠道", "By product": "按商品",
    "Orders with it": "含该商品的订单", "Quantity": "数量", "refund rate": "退款率",
    "files": "个文件", "Remove this file": "移除此文件", "Add the next files to these": "下次上传的文件加入这些文件",
    "Several files of one shop (monthly exports, a platform and your own store) are read together: an order in two files "
    "counts once, the same phone or email on two platforms is one customer.":
        "同一店铺的多个文件（按月导出、平台与自有店铺）会合并读取：同一订单只计一次，两个平台上相同的手机号或邮箱算同一位客户。",
    "Customers behind a cell": "查看某个单元格里的客户", "Customers of a first product": "查看某个首购商品的客户",
    "Customers of a generation": "查看某一代的客户", "Customers of a segment": "查看某个分群的客户",
    "Customers on a rung": "查看某一阶梯上的客户", "New customers of a channel": "查看某个渠道的新客",

    "nobody bought, so the predictions cannot be checked yet.": "无人购买，暂时无法检验预测。",
    "each customer's own past rate": "每位客户自己过去的购买频率", "the shop's average": "全店平均水平",
    "Revenue basis": "收入口径", "order amounts as the file gives them": "文件中的订单金额",
    "order totals (with tax and shipping)": "订单总额（含税和运费）", "net sales (before tax and shipping)": "净销售额（不含税和运费）",
    "Order totals are what customers paid, tax and shipping included. Net sales leave tax and shipping out (Shopify's "
    "definition); a refund counts in its order's proportion.":
        "订单总额是顾客实际支付的金额，含税和运费。净销售额不含税和运费（Shopify 的定义）；退款按其订单的比例计入。",
    "Guest orders (no customer)": "访客订单（无客户）", "Guest orders' revenue": "访客订单收入", "guest orders": "访客订单", "AOV of customers' orders": "客户订单的客单价", "of them guest orders without a customer": "其中没有客户的访客订单",
    "Orders, revenue, refunds and AOV include": "订单数、收入、退款和客单价包含",
    "guest orders without a customer": "笔没有客户的访客订单",
    "customers, repurchase, customer value (its AOV too), LTV, CAC, referrals and cohorts leave them out.": "客户数、复购、客户价值（含其中的客单价）、LTV、获客成本、推荐和同期群不含这些订单。",
    "Champions": "冠军客户", "Loyal": "忠诚客户", "Potential loyalists": "潜力客户",
    "Need attention": "需要关注", "Can't lose them": "不能流失", "At risk": "有流失风险", "Hibernating": "沉睡客户", "Other": "其他",
    "1st": "第1单", "2nd": "第2单", "3rd": "第3单", "4th+": "第4单及以上", "ok": "正常", "no spend (organic)": "无投放（自然）",
    "spend but no new customers": "有投放但无新客", "referral cycle": "推荐循环", "referrer never bought": "推荐人从未购买",
    "self-referral": "自己推荐自己", "All customers": "全部客户", "yes": "是", "no": "否",
    "Cohorts": "同期群", "Repurchase by cohort": "各同期群复购率", "Contact rhythm": "联系节奏", "Order funnel": "订单漏斗",
    "LTV by channel": "各渠道LTV", "CLV by segment": "各分群预测CLV", "Levers to double revenue": "收入翻倍的杠杆",
    "Referral issues": "推荐数据问题", "Data quality": "数据质量",
    "Gross-margin LTV": "毛利LTV", "count": "数量", "30 days": "30天", "60 days": "60天", "90 days": "90天", "180 days": "180天",
    "median": "中位数", "Count (log scale)": "数量（对数刻度）", "buyers": "购买客户", "repeat buyers": "复购客户",
    "not yet paid back": "尚未回本", "Projected": "预计", "2× target": "2倍目标", "Periods since first order": "首单后期数",
    "Days between orders": "下单间隔天数", "LTV per customer": "人均LTV", "of revenue": "的收入",
    "No channel has customers 12 months old by the window's end, so there is no 12-month LTV to draw yet.": "截至时间段末，没有渠道的客户满12个月，因此暂无12个月LTV。",
    "Bars: customers of the window on each rung (orders up to its end); labels: their share of revenue.": "条形：该时间段客户在各阶梯的人数（按截至时间段末的订单）；标签：其收入占比。",
    "12 × the average monthly revenue (before refunds) of": "12 × 以下月份的平均月收入（未扣退款）：",
    "The levers build up over the year, so the year earns less than the month-12 rate.": "各杠杆在一年内逐步生效，因此全年收入低于第12个月的水平。",
    "month-12 revenue": "第12个月收入", "the baseline": "基线",
    "A period is a month. Defaults: the window's customers, the share of them who brought someone spread over the window's months, and the customers each of those brought.":
        "一期为一个月。默认值：该时间段的客户数、其中带来新客户者的占比（按时间段月数平均），以及每位推荐人带来的客户数。",
    "months": "个月",
    "no comparison: the previous period of the same length starts before the data": "无对比：同样长度的上一时段早于数据开始",
    "Order amounts ÷ orders, before refunds. After refunds": "订单金额 ÷ 订单数，未扣退款。扣除退款后",
    "New customers brought per customer: customers they referred who bought, divided by customers.":
        "每位客户带来的新客户数：其推荐并已购买的客户数 ÷ 客户数。",
    "Share of customers who brought at least one buying customer.": "至少带来一位已购买客户的客户占比。",
    "No customer of this window brought a buying customer.": "此时间段的客户没有带来已购买的客户。",
    "The forest and the generations show every customer up to the window's end, in every channel: referrals cross channels. The figures above and the top referrers are the window's customers.":
        "推荐森林和代际图显示截至时间段末的所有客户（所有渠道）：推荐会跨渠道。上方指标和头部推荐人只统计该时间段的客户。",
    # frame
    "Customer value": "客户价值",
    "Explore": "分析",
    "Plan": "规划",
    "Overview": "总览",
    "LTV": "客户终身价值",
    "Repurchase cohorts": "复购同期群",
    "CAC by channel": "渠道获客成本",
    "Referrals": "转介绍",
    "Growth planner": "增长规划",
    "Data": "数据",
    "Data source": "数据来源",
    "You are looking at sample data: a made-up shop. Upload your own orders in the sidebar.":
        "当前为示例数据（虚构店铺）。请在侧边栏上传您自己的订单。",
    "Back to the sample data": "返回示例数据",
    "Upload orders (.xlsx, .xls, .csv, .parquet)": "上传订单（.xlsx、.xls、.csv、.parquet）",
    "Orders sheet": "订单工作表",
    "Spend sheet": "投放费用工作表",
    "(none)": "（无）",
    "Column mapping": "字段对应",
    "Apply mapping": "应用字段对应",
    "Preview of the sheet": "工作表预览",
    "Filters": "筛选",
    "Date range": "日期范围",
    "Channels": "渠道",
    "All channels": "全部渠道",
    "Cohort": "同期群",
    "Generation": "代",
    "Settings": "设置",
    "Currency symbol": "货币符号",
    "Gross margin %": "毛利率 %", "Gross margin": "毛利率",
    "Language": "语言",
    "Using": "正在使用",
    "Due now": "该联系了",
    "own": "自身", "shop": "全店",
    "Name": "姓名", "Phone": "手机号", "Email": "邮箱",
    "phone masked by the platform (no use to reach anyone): left empty": "手机号已被平台打码（无法联系）：留空",
    "email masked by the platform (no use to reach anyone): left empty": "邮箱已被平台打码（无法联系）：留空",
    "name masked by the platform (no use to reach anyone): left empty": "姓名已被平台打码（无法联系）：留空",
    "The file has no name, phone or email column that the loader recognised, so the lists carry the customer "
    "id only. Choose such a column in the sidebar's column mapping to add it to the lists and downloads.":
        "文件中没有可识别的姓名、手机号或邮箱列，因此名单只有客户编号。请在侧边栏的字段对应中选择这样的列，名单和下载中就会带上它。",
    "Names, phones and emails are not kept with a share link: the lists carry the customer id only, "
    "and an id that was a phone or an email is a code (id-…).":
        "分享链接不保存姓名、手机号和邮箱：名单只有客户编号，原本是手机号或邮箱的编号以代码（id-…）代替。",
    "The file's name, phone and email columns are empty or masked (186****0001), so the lists carry the customer id only.":
        "文件中的姓名、手机号和邮箱列为空或已打码（186****0001），因此名单只有客户编号。",
    "List": "名单", "Due": "应联系日", "Last order": "上次下单", "Rhythm (days)": "节奏（天）", "Rhythm from": "节奏来源",
    "Next order expected": "预计下次下单", "Days until due": "距应联系日天数", "Predicted 12-month CLV": "预测12个月CLV",
    "Who to contact": "今天联系谁",
    "Act": "行动",
    "As of": "截至",
    "the window's end; the lists follow the filters.": "（所选期间结束日）；名单随筛选变化。",
    "CLV at stake": "涉及的预测CLV",
    "Custom list": "自定义名单",
    "At least this many orders": "至少下单次数",
    "P(active) at most": "活跃概率不高于",
    "Nobody is on this list as of this day.": "截至该日，此名单为空。",
    "Contact lists need a customer id: this file has none (or only masked buyers).": "联系名单需要客户ID：此文件没有（或买家已脱敏）。",
    "The models could not be fitted, so P(active) and predicted CLV are empty and 'valuable' means the top spenders:":
        "模型无法拟合，因此活跃概率和预测CLV为空，“高价值”按消费额排名：",
    "Valuable, at risk": "高价值、有流失风险",
    "One-time buyers to convert": "待转化的一次性买家",
    "Top referrers to reward": "值得奖励的推荐人",
    "Orders every {rhythm} days; last order {last}; next expected {due}.": "每{rhythm}天下单一次；上次下单{last}；预计下次{due}。",
    "Worth {clv} in the next 12 months; P(active) {p} and falling: {late} days past the usual {rhythm}-day rhythm.":
        "未来12个月价值{clv}；活跃概率{p}且在下降：已超过通常{rhythm}天节奏{late}天。",
    "One order, {days} days ago; {channel} customers usually order again within {rhythm} days.":
        "{days}天前下过一单；{channel}渠道的客户通常在{rhythm}天内再次下单。",
    "Brought {n} buying customers, who spent {revenue}.": "带来{n}位下单客户，共消费{revenue}。",
    "Product journey": "商品旅程",
    "what the window's customers spent per head in it, plus what the customers they brought spent (before refunds).":
        "本时段客户的人均消费，加上他们带来的客户的消费（未扣退款）。",
    "net revenue per customer in their first 12 months, after refunds, over customers that old.":
        "客户首单后 12 个月内的人均净收入（已扣退款），只计满 12 个月的客户。",
    "Predicted CLV (LTV page): what the models expect each customer's orders of the next 12 months to be worth, before refunds.":
        "预测 CLV（LTV 页）：模型预计每位客户未来 12 个月订单的价值，未扣退款。", "All sheets (combined)": "全部工作表（合并）", "As shown": "页面显示", "Came back by the window's end": "截至时段结束已回购",
    "Expected spend per order": "预计每单消费金额", "Next product": "下一件商品",
    "All new customers": "全部新客",
    "Discount code": "优惠码",
    "Cohorts of": "分组依据",
    "Customers acquired in the window, grouped by each product of their first order; their later orders count up to the window's end.":
        "按首单中的每件商品对本期新客分组；其后续订单统计到所选期间结束。",
    "This file has no product column, so product journeys cannot be shown. Map a product or SKU column (Product, Lineitem name, "
    "StockCode, 宝贝标题, 商品名称 …) in the column mapping, or upload an export with order lines.":
        "此文件没有商品列，无法显示商品旅程。请在列映射中指定商品或SKU列（Product、Lineitem name、StockCode、宝贝标题、商品名称等），"
        "或上传含订单明细的导出文件。",
    "No customer acquired in the window has a product line in a first order.": "所选期间的新客首单中没有商品明细。",
    "New customers with products": "有商品明细的新客",
    "Repeat rate": "复购率",
    "Median days to the 2nd order": "到第2单的中位天数",
    "Net revenue per customer in the 12 months from the first order, of customers 12+ months old.":
        "首单后12个月内每位客户的净收入（仅统计已满12个月的客户）。",
    "Brings customers back": "带来回头客",
    "come back": "回购",
    "the shop": "全店",
    "Brings one-time buyers": "多为一次性购买",
    "Repeat rate by first product": "按首单商品的复购率",
    "First product": "首单商品",
    "Shop average": "全店平均",
    "What they buy next": "下一单买什么",
    "First product → product of the 2nd order, for customers who came back (the most common pairs).":
        "回购客户的首单商品 → 第2单商品（最常见的组合）。",
    "Nobody acquired in the window has come back yet.": "所选期间的新客尚无人回购。",
    "Lines that are not products were left out (postage, fees, adjustments)": "非商品明细已排除（运费、手续费、调整）",
    "New customers whose first order has no product line": "首单没有商品明细的新客",
    "Product": "商品",
    "Share of new customers": "占新客比例",
    "Customers 12+ months old": "已满12个月的客户",
    "Repeat rate − the shop's": "复购率 − 全店",
    "12-month LTV ÷ the shop's": "12个月LTV ÷ 全店",
    "Product of the 2nd order": "第2单商品",
    "Line": "明细",
    "Lines": "明细数",
    "Reading": "正在读取",
    "Columns not read, as the mapping does not use them": "未读取的列（映射未使用）",
    "Read every column": "读取全部列",
    "No customer placed a first order in this window, so there is no cohort to show. Widen the date range.":
        "此时间范围内没有顾客首次下单，因此没有可显示的同期群。请扩大日期范围。",
    "Reading only the columns the mapping uses": "只读取映射用到的列",
    "Mapping one of them reads the file again with every column.": "映射其中任一列时，会重新读取文件的全部列。",
    "A column in the mapping was not read, as no rule maps it: choose 'Read every column' under the column mapping, "
    "then map it again.": "映射中的某一列未被读取（没有规则映射它）：请在列映射下选择“读取全部列”，然后重新映射。",
    "File checked": "文件已检查",
    "Reading the sheets": "正在读取工作表",
    "unpacked": "解压后",
    "This server has read this file already": "此服务器已读取过该文件",
    "Cleaning the orders": "正在清洗订单",
    "Drawing the page": "正在绘制页面",
    "Read": "已读取",
    "orders": "笔订单",
    "Read; choose the columns in the mapping": "已读取；请在列映射中选择列",
    "The file could not be used:": "无法使用该文件：",
    "The previous data is still shown.": "仍显示之前的数据。",
    "No orders match these filters. Widen the date range or choose more channels.":
        "没有符合筛选条件的订单。请扩大日期范围或选择更多渠道。",
    # fields
    "order_id": "订单号", "customer_id": "客户", "order_date": "下单时间", "amount": "金额", "quantity": "数量",
    "unit_price": "单价", "channel": "渠道", "referrer_id": "推荐人", "status": "订单状态", "is_member": "会员",
    "month": "月份", "spend": "费用", "touches": "触达数", "adds": "加粉数", "cost_per_touch": "单次触达成本",
    "refund_amount": "退款金额", "refund_status": "售后/退款状态", "cancelled_at": "取消时间/原因", "product": "商品",
    "sku": "商家编码（SKU）", "discount_code": "优惠码", "customer_name": "客户姓名", "phone": "手机号", "email": "邮箱",
    "subtotal": "小计（折后，不含税费和运费）", "tax": "税费", "shipping": "运费",
    "Net sales (before tax and shipping)": "净销售额（不含税费和运费）",
    "— not in the file —": "— 文件中没有 —",
    "Recognised": "已识别", "Refunds": "退款",
    "No customer column is mapped, so customers, repurchase, cohorts, LTV, CAC and referrals cannot be computed. "
    "Choose the customer column in the sidebar's column mapping; the Overview shows order-level figures meanwhile.":
        "没有对应的客户列，因此无法计算客户数、复购、同期群、LTV、获客成本和转介绍。请在侧边栏的字段对应中选择客户列；"
        "在此之前总览只显示订单层面的数字。",
    "Buyers are masked in this file (***, 密文), so customers, repurchase, cohorts, LTV, CAC and referrals cannot be "
    "computed from it. The Overview shows order-level figures: orders, revenue, AOV, refunds.":
        "此文件中的买家信息已打码（***、密文），因此无法计算客户数、复购、同期群、LTV、获客成本和转介绍。"
        "总览显示订单层面的数字：订单数、收入、客单价、退款。",
    # table columns
    "new_customers": "新客数", "repeat_customers": "复购客户数", "add_to_buyer": "加粉→购买转化",
    "revenue": "收入", "roas": "ROAS", "ltv": "LTV", "ltv_cac": "LTV:CAC", "payback_months": "回本月数",
    "direct_referrals": "直接推荐数", "total_descendants": "下线总数", "descendants_revenue": "下线收入",
    "generation": "代", "reason": "原因", "rows": "行数", "action": "处理", "gaps": "间隔数",
    "median_days": "中位天数", "p25_days": "25%分位天数", "p75_days": "75%分位天数", "step": "步骤",
    "customers": "客户数", "of_previous": "占上一步", "of_first": "占首单", "median_days_from_previous": "距上一单中位天数",
    "segment": "分群", "clv": "预测CLV", "avg_clv": "平均预测CLV", "avg_p_alive": "平均活跃概率", "frequency": "复购次数",
    "recency": "最近购买（周）", "T": "客龄（周）", "monetary_value": "平均复购金额", "expected_purchases": "预期订单数",
    "p_alive": "仍活跃概率", "period": "期", "total": "合计", "issue": "问题", "cac": "获客成本",
    "cost_per_add": "单个加粉成本",
    # overview
    "Customers": "客户数", "Orders": "订单数", "Net revenue": "净收入", "AOV": "客单价",
    "No acquisition month of this window with spend is 12 months old yet, so the LTV and CAC of the same customers cannot be compared.":
        "本时段内有投放的获客月份还没有满 12 个月，因此无法比较同一批客户的 LTV 与 CAC。",
    "12-month LTV × gross margin ÷ CAC of the customers acquired in": "12 个月 LTV × 毛利率 ÷ CAC，客户获客月份：",
    "gross margin": "毛利率",
    "Expected value of each customer's orders in the next 12 months, before refunds (the LTV curves above are after refunds).":
        "每位客户未来 12 个月订单的预期金额，未扣退款（上方的 LTV 曲线已扣退款）。",
    "LTV:CAC acquisition months": "LTV:CAC 获客月份",
    "Repurchase rate": "复购率", "Sharing rate": "分享率", "12-month LTV": "12个月LTV", "CAC": "获客成本",
    "LTV:CAC": "LTV:CAC",
    "vs. the previous period of the same length": "与上一个同等时长周期相比",
    "Customer value = AOV × repurchase + sharing": "客户价值 = 客单价 × 复购 + 分享",
    "Orders per customer": "人均订单数", "Referred customers per customer": "人均带来的新客",
    "Referred customers' value": "被推荐客户的价值", "Direct value (AOV × repurchase)": "直接价值（客单价 × 复购）",
    "Referral value (sharing)": "转介绍价值（分享）",
    "Biggest mover vs. the previous period": "与上一周期相比变化最大的杠杆",
    "Revenue by month: new vs. returning customers": "月度收入：新客与老客",
    "new": "新客", "returning": "老客",
    "Value ladder": "价值阶梯",
    "potential": "潜在客户", "bought once": "购买一次", "repeat": "复购", "loyal": "忠实/会员",
    "Customers on each rung over time": "各阶梯客户数变化",
    "Loyal from this many orders": "达到此订单数即为忠实客户",
    "Repurchase within N days counts only customers whose first order is at least N days before the end of the data.":
        "N天复购率只统计首单距数据结束至少N天的客户。",
    "repurchase within": "天内复购", "days": "天",
    "No spend data, so no CAC. Add a Spend sheet or enter spend below.":
        "没有投放费用数据，无法计算获客成本。请添加费用工作表，或在下方录入费用。",
    "No spend data, so no CAC. Add a Spend sheet or enter spend on the CAC page.":
        "没有投放费用数据，无法计算获客成本。请添加费用工作表，或在获客成本页面录入费用。",
    # LTV
    "Cumulative LTV per customer": "每位客户的累计LTV", "by cohort": "按同期群", "by channel": "按渠道",
    "Group by": "分组方式", "Months since first order": "首单后月数",
    "Predicted lifetime value (MBG/NBD + Gamma-Gamma)": "预测终身价值（MBG/NBD + Gamma-Gamma）",
    "Horizon (months)": "预测期（月）", "Monthly discount rate %": "月折现率 %",
    "Predicted CLV": "预测CLV", "P(active)": "仍活跃概率", "Top customers by predicted value": "预测价值最高的客户",
    "Gross-margin LTV against CAC per channel": "各渠道毛利LTV与获客成本",
    "Not enough data to predict yet:": "数据还不足以预测：", "No file to read.": "没有可读取的文件。",

    "No customer has bought twice with a positive amount, so the value of future orders cannot be estimated.":
        "没有客户以正金额购买过两次，无法估计今后订单的价值。",
    "Average predicted CLV": "平均预测CLV", "Expected orders per customer": "人均预期订单",
    "Model fit": "模型参数",
    "Predicted CLV per RFM segment": "各RFM分群的预测CLV",
    # cohorts
    "Cohort heatmap": "同期群热力图", "Show": "显示", "Monthly": "按月", "Weekly": "按周",
    "Active customers %": "活跃客户占比", "Revenue": "收入", "Revenue per customer": "人均收入",
    "Cumulative LTV": "累计LTV",
    "N-day repurchase by cohort (censored)": "各同期群N天复购率（已考虑截尾）",
    "Days between consecutive orders": "相邻两单的间隔天数",
    "Median days between orders per channel: the natural rhythm for contacting customers":
        "各渠道相邻订单间隔中位数：联系客户的自然节奏",
    "Order funnel: 1st → 2nd → 3rd → 4th+": "订单漏斗：首单 → 第2单 → 第3单 → 第4单及以上",
    # CAC
    "Spend comes from the workbook's Spend sheet.": "费用来自工作簿中的费用工作表。",
    "Spend entered below.": "费用来自下方录入。",
    "Enter spend per channel and month (or cost per touch × touches), then apply.":
        "按渠道和月份录入费用（或 单次触达成本 × 触达数），然后应用。",
    "Apply spend": "应用费用",
    "Acquisition funnel per channel: touches → adds → buyers → repeat buyers": "各渠道获客漏斗：触达 → 加粉 → 购买 → 复购",
    "Payback (months)": "回本周期（月）", "CAC and LTV per channel": "各渠道获客成本与LTV",
    "Channels that never pay back within the data are marked.": "在数据期内未回本的渠道会被标出。",
    # referrals
    "K-factor": "K因子", "Referral share of revenue": "转介绍收入占比", "Median days to referral": "转介绍间隔中位数（天）",
    "Referral forest (largest trees by revenue)": "转介绍森林（按收入最大的树）",
    "Trees shown": "显示的树数量",
    "Other trees": "其他树",
    "Drawn: {customers} of the {total} customers of these trees, the first generations first; a box's area also holds its "
    "customers not drawn.": "已绘制这些树的 {total} 位客户中的 {customers} 位（先画前几代）；方块的面积也包含未绘制的客户。",
    "The other {trees} trees ({customers} customers) are summed in one box, “Other trees”.":
        "其余 {trees} 棵树（{customers} 位客户）合并为一个方块“其他树”。",
    "One referrer's descendants": "某位推荐人的下线", "Referrer": "推荐人",
    "Customers per generation (K = next / this)": "各代客户数（K = 下一代 / 本代）",
    "Top referrers": "头部推荐人", "Data problems in referrer links": "推荐关系中的数据问题",
    "This data has no referrer links, so there is no referral tree. Map a referrer column on the Data source panel.":
        "数据中没有推荐人信息，无法生成转介绍树。请在数据来源面板中对应推荐人字段。",
    # planner
    "What doubles revenue?": "怎样让收入翻倍？", "AOV lift %": "客单价提升 %", "Repurchase lift %": "复购提升 %",
    "Sharing lift %": "分享提升 %", "Projected monthly revenue": "预计月收入",
    "Lever combinations that reach 2×": "达到2倍的杠杆组合",
    "All three levers equally": "三个杠杆同比例提升", "AOV alone": "仅提升客单价", "Repurchase alone": "仅提升复购",
    "Sharing alone": "仅提升分享", "Projected 12-month revenue": "预计12个月收入", "Baseline": "基线",
    "Referral fission projection": "转介绍裂变推演", "Starting customers": "起始客户数",
    "Share who refer each period %": "每期推荐者占比 %", "Referrals per referrer": "每位推荐者带来的人数",
    "Periods": "期数", "Earlier referrers keep referring": "早期推荐者持续推荐", "Total customers": "客户总数",
    "not reachable": "无法达到",
    # data
    "Data quality report": "数据质量报告", "Rows read": "读取行数", "Rows dropped": "丢弃行数",
    "Mapping in use": "当前字段对应", "Cleaned orders (first 500 rows)": "清洗后的订单（前500行）",
    "Notes": "说明", "Nothing was dropped or changed.": "没有行被丢弃或修改。",
    "Download cleaned orders (CSV)": "下载清洗后的订单（CSV）",
    "Field": "字段", "Column in the file": "文件中的列",
    # data quality report: what was done (the reasons: QUALITY_ISSUES below)
    "dropped": "已丢弃", "changed": "已修正", "kept as refund": "作为退款保留", "kept as cancelled": "作为取消订单保留",
    "merged": "已合并", "kept apart": "单独列出", "kept as guests": "作为访客订单保留", "refund added": "已记为退款",
    "No orders are left after cleaning: every row was blank, a refund, cancelled, or lacked a date or amount. "
    "See the mapping and the data quality report.":
        "清洗后没有剩余订单：每一行都是空行、退款、取消，或缺少日期或金额。请检查字段对应和数据质量报告。",
    "This is Taobao's item report (宝贝报表): it has no buyer and no order date. Upload the order report "
    "(订单报表) too, or the 千牛 workbook that holds both.":
        "这是淘宝的宝贝报表：其中没有买家和下单时间。请同时上传订单报表，或上传同时包含两者的千牛工作簿。",
    # sign-in (ui/auth.py)
    "Sign in": "登录", "Sign out": "退出登录", "Signed in as": "已登录：",
    "Sign in to use this dashboard.": "请登录后使用此看板。",
    "This account is not on the list of people who may use this dashboard":
        "此账号不在可使用此看板的名单上",
    "You are looking at a shared link. Sign in to use your own data.": "您正在查看分享链接。登录后可使用自己的数据。",
    "No sign-in on this server: anyone who reaches its address can use this dashboard.":
        "此服务器未设置登录：任何能访问其地址的人都可以使用此看板。",
    "This server asks for a sign-in but LTV_ALLOWED_USERS names nobody who may use it.":
        "此服务器要求登录，但 LTV_ALLOWED_USERS 未列出任何可使用的人。",
    "LTV_AUTH_* asks for a sign-in, but this server was not started with python -m lib serve, which sets it up; "
    "nothing is shown until it is.":
        "LTV_AUTH_* 要求登录，但此服务器不是用 python -m lib serve 启动的（登录由它设置）；在此之前不显示任何内容。",
    # share & downloads
    "Share this view": "分享当前视图", "Anyone with this link sees this data, page and filters until":
        "持有此链接的任何人都可查看此数据、页面和筛选，有效期至",
    "Signed-in team members with this link see this data, page and filters until":
        "已登录的团队成员凭此链接可查看此数据、页面和筛选，有效期至",
    "This link has expired or does not exist. Showing the sample data.": "此链接已过期或不存在。正在显示示例数据。",
    "Download": "下载", "Excel report (all tables)": "Excel报告（全部表格）",
    "PNG export needs Chromium on the server; download the interactive HTML instead.":
        "服务器上没有Chromium，无法导出PNG；请下载交互式HTML。",
    # what a link or a file may not put on the screen, and a store that cannot take a link (issue #25)
    "A currency symbol is letters or a sign such as ¥, $, €, kr, CHF; the figures show":
        "货币符号应为字母或¥、$、€、kr、CHF等符号；当前数字显示为",
    "The server's storage is full, so this view cannot be shared now: ask whoever runs the app to free space.":
        "服务器存储空间已满，暂时无法分享此视图：请联系应用管理员释放空间。",
    "The server's storage is read-only, so views cannot be shared: ask whoever runs the app to make its data folder "
    "(LTV_DATA_DIR) writable.": "服务器存储为只读，无法分享视图：请联系应用管理员将数据文件夹（LTV_DATA_DIR）设为可写。",
    "The server could not store this view, so it cannot be shared now: try again, or ask whoever runs the app.":
        "服务器无法保存此视图，暂时无法分享：请重试，或联系应用管理员。",
    "The link's dates were outside the data; showing": "链接中的日期超出了数据范围；当前显示",
    # messages from lib (constant ones; messages naming columns or numbers stay in English)
    "A sheet goes beyond Excel's limits (1,048,576 rows, 16,384 columns); it was not opened.":
        "某个工作表超出了Excel的上限（1,048,576行、16,384列），未打开。",
    "Reading the file took too long and was stopped. Is it unusually large or damaged?": "读取文件耗时过长，已停止。文件是否过大或已损坏？",
    "The CSV file has no rows.": "CSV文件没有数据行。",
    'The CSV file has a quotation mark (") that is never closed, so the rest of the file would be one cell. '
    "Check the quotes and export again.":
        "CSV文件中有一个引号（\"）始终没有闭合，文件其余部分会成为同一个单元格。请检查引号后重新导出。",
    "The Parquet file could not be read: it seems damaged.": "无法读取Parquet文件：文件似乎已损坏。",
    "The file could not be read: it is damaged, or far larger inside than a normal spreadsheet (the reader ran out of memory or time). Save it again in Excel and upload the new copy.":
        "无法读取文件：文件已损坏，或内部远大于普通表格（读取时内存或时间不足）。请在Excel中另存后重新上传。",
    "The file has no data: every sheet is empty.": "文件中没有数据：所有工作表都是空的。",
    "The file is damaged: a part of the workbook cannot be read. Save it again in Excel and upload the new copy.":
        "文件已损坏：工作簿的一部分无法读取。请在Excel中另存后重新上传。",
    "The file is damaged: it looks like a workbook but cannot be opened. Open it in Excel, save it again and upload the new copy.":
        "文件已损坏：看起来是工作簿，但无法打开。请在Excel中打开、另存后重新上传。",
    "The file is empty.": "文件是空的。",
    "The uploaded file is no longer on the server. Upload it again.": "上传的文件已不在服务器上，请重新上传。",
    "The workbook contains XML declarations that spreadsheets never use; it was not opened.": "工作簿包含表格从不使用的XML声明，未打开。",
    "The workbook has too many internal parts to be a normal spreadsheet.": "工作簿内部组成部分过多，不像正常的表格。",
    "The workbook is damaged (it contains duplicate parts). Save it again in Excel and retry.": "工作簿已损坏（包含重复部分）。请在Excel中另存后重试。",
    "The workbook is damaged: its text table declares more entries than it holds.": "工作簿已损坏：其文本表声明的条目多于实际内容。",
    "The workbook unpacks to far more data than its size suggests (a 'zip bomb'); it was not opened.":
        "工作簿解压后的数据量远超其文件大小（“压缩炸弹”），未打开。",
    "The workbook's parts unpack to more than the workbook's own index says (a 'zip bomb' trick); it was not opened. "
    "Open it in Excel, save it again and upload the new copy.":
        "工作簿各部分解压后的大小超过其自身目录所声明的大小（“压缩炸弹”的手法），未打开。请在Excel中打开、另存后重新上传。",
    "The workbook repeats a long text in a great many cells: it would unpack to hundreds of millions of characters. "
    "It was not opened; export the data again from the shop system.":
        "工作簿在极多单元格中重复同一段长文本，解压后将达数亿字符，未打开。请从店铺系统重新导出数据。",
    "The workbook uses a compression method Excel does not write. Save it again in Excel and retry.":
        "工作簿使用了Excel不会使用的压缩方式。请在Excel中另存后重试。",
    "This file is not a spreadsheet. Upload an Excel workbook (.xlsx, .xlsm, .xls), a CSV file or a Parquet file.":
        "此文件不是表格。请上传Excel工作簿（.xlsx、.xlsm、.xls）、CSV文件或Parquet文件。",
    "This workbook is protected with a password. Open it in Excel, remove the password (File > Info > Protect Workbook), save, and upload again.":
        "此工作簿设置了密码。请在Excel中打开，移除密码（文件 > 信息 > 保护工作簿），保存后重新上传。",
    "This workbook is protected with a password. Remove the password in Excel and upload again.": "此工作簿设置了密码。请在Excel中移除密码后重新上传。",
    "This zip file is not an Excel workbook. Upload .xlsx, .xlsm, .xls, .csv or .parquet.": "此zip文件不是Excel工作簿。请上传.xlsx、.xlsm、.xls、.csv或.parquet文件。",
    "Too few repeat customers (fewer than 10) to model order values.": "复购客户少于10位，无法建立订单金额模型。",
    "The repurchase model did not converge on this data (too little repeat buying, or too short a history). Historical LTV is still shown.":
        "复购模型在此数据上未收敛（复购太少或历史太短）。仍显示历史LTV。",
    "The order-value model did not converge on this data.": "订单金额模型在此数据上未收敛。",
    "The spend sheet needs a channel, a month (or date) and a spend column (or cost per touch and touches).":
        "费用表需要渠道、月份（或日期）和费用列（或 单次触达成本 与 触达数）。",
    "Some repeat customers have a zero or negative average order value; the order-value model needs positive amounts.":
        "部分复购客户的平均订单金额为零或负数；订单金额模型需要正数金额。",
    # issue #25, 中文 finished: the Data page's notes (lib.present.notes translates those with numbers and names), the
    # words around the uploader, a shared link's name, a customer's spend (消费金额, not the marketing 费用)
    "The workbook contains macros; they were ignored and never run.": "工作簿包含宏；已忽略，从未运行。",
    "Net sales: the amount is quantity × unit price, before shipping: tax and shipping are not taken off it.":
        "净销售额：金额为数量 × 单价，不含运费；税费和运费未从中扣除。",
    "The file has no customer column: customers, repurchase, cohorts, LTV, CAC and referrals cannot be computed from "
    "it. Order-level figures only. Choose the customer column in the mapping if the file has one.":
        "文件中没有客户列：无法据此计算客户数、复购、同期群、LTV、获客成本和转介绍，只显示订单层面的数字。"
        "如果文件中有客户列，请在字段对应中选择它。",
    "The amount repeats on every line of an order: it is the order's total and is counted once per order.":
        "金额在订单的每一行都重复出现：它是订单总额，每笔订单只计一次。",
    "Spend entered in the app replaces the workbook's spend.": "在应用中录入的费用取代了工作簿中的费用。",
    " Left out: {n} of its lines, whose orders are not kept (cancelled, unpaid or not in the orders sheet).":
        "未计入其中 {n} 行明细，其订单未保留（已取消、未付款或不在订单工作表中）。",
    # why a big sheet was read the ordinary way (lib.read.split's NotSplit)
    "a cell outside a row": "有单元格不在任何行内", "a cell reference without column letters": "有单元格引用缺少列字母",
    "a cell with CDATA or an XML comment": "有单元格含 CDATA 或 XML 注释", "a row without a row number": "有一行没有行号",
    "blank rows end the first half of the sheet": "工作表前半部分以空行结尾",
    "rows are missing in the middle of the sheet": "工作表中间缺少若干行",
    "the first half of the sheet could not be read on its own": "工作表前半部分无法单独读取",
    "the first rows have other columns than the rest of the sheet": "前几行的列与工作表其余部分不同",
    "the look at the first rows failed": "查看前几行时失败",
    "the second half of the sheet could not be read on its own": "工作表后半部分无法单独读取",
    "the sheet's XML ends early": "工作表的 XML 提前结束", "the sheet's XML is laid out unexpectedly": "工作表的 XML 结构异常",
    "the sheet's XML uses prefixed names": "工作表的 XML 使用了带前缀的名称",
    "the sheet's first row is unusually long": "工作表第一行异常地长", "the sheet's first rows are unusually long": "工作表前几行异常地长",
    "the sheet's rows are numbered unexpectedly": "工作表的行号异常",
    "the two halves of the sheet have different columns": "工作表前后两半的列不同",
    'a cell whose first attribute is not its reference (r="…")': "有单元格的第一个属性不是其引用（r=\"…\"）",
    "shared link": "分享链接", "descendants": "下线",
    "Amount spent": "消费金额",
    "No orders on or before the analysis date.": "分析日期（含）之前没有订单。",
    "The summary needs frequency, recency and T columns.": "汇总表需要 frequency、recency 和 T 列。",
    "The summary is inconsistent: recency beyond T or negative frequency.": "汇总表不一致：recency 超过 T，或 frequency 为负。",
    "Click “Browse files” to choose a file, or drag it onto the box.":  # shown in 中文 only: Streamlit's words stay English
        "点击“Browse files”（浏览文件）选择文件，或把文件拖放到框内（“Drag and drop file here”即“拖放文件到此处”）。",
    # issue 25: bounded sheet and column pickers; a refused upload said in the main area
    "Still showing the data you had:": "仍显示之前的数据：",
    "Still showing the shared data.": "仍显示分享的数据。",
    "Dismiss": "关闭",
    "Find a sheet": "查找工作表",
    "Sheets in the file": "文件中的工作表",
    "The boxes offer those that look like orders or spend first; type part of a name to find others.":
        "下拉框先列出看起来是订单或费用的工作表；输入名称的一部分可查找其他工作表。",
    "Find a column": "查找列",
    "Columns in the sheet": "工作表中的列",
    "Each box offers the first of them; type part of a name to find others.": "每个下拉框只列出前面的列；输入列名的一部分可查找其他列。",
    # human labels (issue #25): the mapping editor's fields and the cleaned orders' headers (lib.present.labels.COLUMNS)
    "Order id": "订单号", "Unit price": "单价", "Subtotal (after discounts, before tax and shipping)": "小计（折后，不含税费和运费）",
    "Tax": "税费", "Shipping": "运费", "Refund amount": "退款金额", "Refund status": "售后/退款状态",
    "Cancelled (time or reason)": "取消时间/原因", "SKU": "商家编码（SKU）", "Refund date": "退款日期",
    # the exports the mapping recognises (lib.mapping.profiles.PROFILES)
    "Shopify orders export": "Shopify 订单导出", "WooCommerce order export": "WooCommerce 订单导出",
    "Square item sales export": "Square 商品销售导出", "Square transactions export": "Square 交易导出",
    "Stripe payments export": "Stripe 付款导出", "Taobao / Tmall order report (订单报表)": "淘宝/天猫 订单报表",
    "Taobao / Tmall sales detail (销售明细)": "淘宝/天猫 销售明细", "Taobao / Tmall item report (宝贝报表)": "淘宝/天猫 宝贝报表",
    "Douyin shop order export (抖店)": "抖店订单导出", "Youzan order export (有赞)": "有赞订单导出",
    "Pinduoduo order export (拼多多)": "拼多多订单导出",
}


# Sentences with numbers in them (why a model could not be fitted, lib.model.btyd and lib.model.backtest): the
# English with named groups, its 中文 with {group}; a group named "reason" is a sentence translated in turn.
ZH_SENTENCES: tuple[tuple[str, str], ...] = (
    (r"Too few customers \((?P<n>[\d,]+)\) to predict lifetime value; at least 20 are needed\.",
     "客户太少（{n} 位），无法预测终身价值；至少需要 20 位。"),
    (r"Too few customers have bought more than once \((?P<n>[\d,]+); 5 are needed\) to predict repurchases\.",
     "购买过不止一次的客户太少（{n} 位，需要 5 位），无法预测复购。"),
    (r"The backtest could not fit on the history before (?P<date>[\d-]+): (?P<reason>.+)",
     "无法用 {date} 之前的历史数据做回测：{reason}"),
)
_ZH_SENTENCES = tuple((re.compile(en, re.S), zh) for en, zh in ZH_SENTENCES)


# The data quality report's reasons, one entry per code (lib.schema.Issue.code): the sentence in English and in
# 中文, with {name} where the entry's parameter ``name`` goes. Codes are what tests and programs key on.
QUALITY_ISSUES: dict[str, tuple[str, str]] = {
    # the orders sheet (lib/clean/orders.py)
    "blank_row": ("blank row", "空行"),
    "duplicate_row": ("exact duplicate row", "完全重复的行"),
    "order_id_read_as_number": ("order id read as a number (12417.0 → 12417)", "订单号被读成数字（12417.0 → 12417）"),
    "order_id_scientific": ("order id written in scientific notation by Excel (its digits are lost; such orders may merge)",
                            "订单号被 Excel 写成科学计数法（位数已丢失，这些订单可能被合并）"),
    "order_id_missing": ("order id missing (each such row is its own order)", "缺少订单号（每行各算一单）"),
    "order_fields_carried_down": ("order fields written only on an order's first row, copied to its other lines",
                                  "仅写在订单首行的订单字段，已复制到该订单的其他行"),
    "customer_id_read_as_number": ("customer id read as a number (12417.0 → 12417)", "客户编号被读成数字（12417.0 → 12417）"),
    "customer_id_masked": ("customer id masked (***): treated as missing", "客户标识已打码（***）：视为缺失"),
    "date_excel_serial": ("date given as an Excel serial number", "日期为Excel序列号"),
    "amount_as_text": ("amount written as text with symbols or separators", "金额为带符号或分隔符的文本"),
    "amount_from_quantity_price": ("amount computed as quantity × unit price", "金额按数量 × 单价计算"),
    "channel_missing": ("channel missing (shown as “(none)”)", "缺少渠道（显示为“(none)”）"),
    "member_flag_unrecognised": ("member flag not recognised (read as no)", "无法识别的会员标记（按“否”处理）"),
    "phone_masked": ("phone masked by the platform (no use to reach anyone): left empty", "电话已被平台打码（无法用于联系）：留空"),
    "email_masked": ("email masked by the platform (no use to reach anyone): left empty", "邮箱已被平台打码（无法用于联系）：留空"),
    "name_masked": ("name masked by the platform (no use to reach anyone): left empty", "姓名已被平台打码（无法用于联系）：留空"),
    "date_missing": ("date missing or unreadable", "日期缺失或无法识别"),
    "amount_missing": ("amount missing or unreadable", "金额缺失或无法识别"),
    "bad_amount": ("amount no order holds (infinite, or beyond ±{bound:,.0f}): the row is left out",
                   "金额不可能属于任何订单（无穷大，或超出 ±{bound:,.0f}）：该行不计入"),
    "customer_id_missing": ("customer id missing", "缺少客户编号"),  # stored by earlier code, which dropped them
    "guest_row": ("a guest's order or refund (no customer on any of its rows): in the order totals (orders, revenue, "
                  "refunds), left out of customer figures",
                  "访客的订单或退款（各行都没有客户）：计入订单合计（订单数、收入、退款），不计入客户相关指标"),
    "order_id_several_customers": ("order id used by several customers (first customer kept)",
                                   "同一订单号属于多个客户（保留第一个客户）"),
    "lines_merged": ("line items merged into their orders", "明细行已合并为订单"),
    "net_sales_below_zero": ("net sales (before tax and shipping) below zero: the tax and shipping exceed the order's "
                             "amount, or its subtotal is negative; counted as 0",
                             "净销售额（不含税费和运费）小于零：税费和运费超过订单金额，或小计为负；按 0 计"),
    # several files of one shop (lib/clean/many.py)
    "order_in_two_files": ("order already in an earlier file (same platform and order id: overlapping exports), counted once",
                           "订单已在前一个文件中（同一平台、同一订单号：导出时间段重叠），只计一次"),
    "refund_in_two_files": ("refund already in an earlier file, counted once", "退款已在前一个文件中，只计一次"),
    # money back (lib/clean/refunds.py)
    "refund_amount_as_text": ("refund amount written as text with symbols or separators", "退款金额为带符号或分隔符的文本"),
    "refund_row": ("refund (negative amount or cancelled invoice)", "退款（负金额或作废发票）"),
    "cancelled_by_status": ("cancelled, closed or failed order (status)", "已取消、已关闭或支付失败的订单（状态列）"),
    "unpaid_by_status": ("order not paid (status: pending, awaiting payment)", "未付款订单（状态：待付款、等待买家付款）"),
    "refund_from_column": ("refund from the file's refund amount (the order is kept; the refund is subtracted once)",
                           "来自文件退款金额列的退款（订单保留，退款只扣除一次）"),
    "partial_refund_unknown": ("partially refunded, refund amount not in the file (counted in full)",
                               "部分退款，但文件中没有退款金额（按全额计）"),
    "zero_amount_order": ("order of zero amount (gift or free sample): not counted as an order",
                          "金额为零的订单（赠品或试用装）：不计为订单"),
    # the spend sheet (lib/clean/spend.py)
    "spend_from_cost_per_touch": ("spend computed as cost per touch × touches", "投放费用按单次触达成本 × 触达数计算"),
    "spend_row_incomplete": ("spend row without channel, month or spend", "投放费用行缺少渠道、月份或金额"),
    "spend_negative": ("negative spend", "负的投放费用"),
    # an entry stored by older code, before codes: its sentence as it was written
    "legacy": ("{reason}", "{reason}"),
}


def quality_sentence(code: str, params: Mapping[str, str | int | float], lang: str) -> str:
    """The data quality report's sentence for ``code`` in ``lang`` ("en" or "zh"), its ``params`` filled in."""
    english, chinese = QUALITY_ISSUES[code]
    return (chinese if lang == "zh" else english).format_map(params)


def quality_code(sentence: str) -> str | None:
    """The code whose English sentence (without parameters) is ``sentence``, or None: reads entries of older code."""
    return _CODE_OF_SENTENCE.get(sentence)


_CODE_OF_SENTENCE = {english: code for code, (english, _) in QUALITY_ISSUES.items() if "{" not in english}


def translate(text: str, lang: str) -> str:
    """The text in ``lang`` ("en" or "zh"); English when there is no translation. A sentence with numbers in it
    is found in :data:`ZH_SENTENCES`."""
    if lang != "zh":
        return text
    if text in ZH:
        return ZH[text]
    for pattern, zh in _ZH_SENTENCES:
        m = pattern.fullmatch(text)
        if m is not None:
            return zh.format_map({k: translate(v, lang) if k == "reason" else v for k, v in m.groupdict().items()})
    return text


def fmt_number(value: float | int | None, lang: str = "en", decimals: int = 0) -> str:
    """Thousands-grouped number; "—" for missing. Chinese uses 万 (10^4) from 100,000 up."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if lang == "zh" and abs(value) >= 100_000:
        return f"{value / 10_000:,.{max(decimals, 1)}f}万"
    return f"{value:,.{decimals}f}"


def fmt_money(value: float | None, currency: str = "¥", lang: str = "en", decimals: int = 0) -> str:
    """Money with the shop's currency symbol: "¥1,234"; "—" for missing."""
    text = fmt_number(value, lang, decimals)
    return text if text == "—" else f"{currency}{text}" if not text.startswith("-") else f"-{currency}{text[1:]}"


def fmt_pct(value: float | None, decimals: int = 1) -> str:
    """0.123 -> "12.3%"; "—" for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.{decimals}f}%"


def fmt_ratio(value: float | None) -> str:
    """3.25 -> "3.2×"; "—" for missing."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    return f"{value:.1f}×"


def fmt_date(value: pd.Timestamp | str, lang: str = "en") -> str:
    """2024-03-01 (English) or 2024年3月1日 (Chinese)."""
    import pandas as pd

    ts = pd.Timestamp(value)
    return f"{ts.year}年{ts.month}月{ts.day}日" if lang == "zh" else ts.strftime("%Y-%m-%d")
