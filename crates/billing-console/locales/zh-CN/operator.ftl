# 运营页面（简体中文）。

policy-lead = 每个版本自其生效时刻起适用；退订使用报价时生效的版本。已生效的版本不能修改。
policy-version = 版本 { $version }
policy-from = 自 { $at } 起
policy-add-title = 添加版本
policy-takes-effect = 生效时间（{ $zone }）
policy-add = 添加版本
policy-added = 已添加退款规则版本 { $version }。
webhooks-title = 推送失败的 Webhook
webhooks-eyebrow = 运维
webhooks-heading = 推送失败的 Webhook 端点
webhooks-lead = 当前推送失败的端点，以及被系统停用的端点（返回 410 Gone，或连续三天推送失败）。
webhooks-none = 没有推送失败的端点。
col-endpoint = 端点
col-last-answer = 最近响应
list-comma = ，
operator-title = 运营概览
operator-clock-moved = 模拟时钟已向前拨动 { $by }。
operator-refund-released = 退款 { $refund } 已放行：退款任务将在下一轮重新发送。

## Shared by the operator's pages

col-id = ID
col-balance = 余额
col-zone = 计费时区
col-active-instances = 运行中的实例
col-pending-refunds = 在途退款
col-instance = 实例
col-product = 产品
col-workspace = 工作空间
col-size = 规格
col-when = 时间
col-what = 事项
col-about = 关联对象
col-who = 操作者
col-subject = 对象
col-detail = 详情
operator-overdue = 已欠费
operator-show-all = 显示全部

## Overview

operator-ledger-title = 账本核对
operator-ledger-balanced = 平衡
operator-ledger-ok = 共 { $movements } 笔资金变动、{ $entries } 条分录：每笔变动借贷相抵为零，每个余额都与其分录一致。
operator-ledger-problems = { $count } 个问题
operator-audit-title = 审计链
operator-audit-broken = 已断裂
operator-audit-intact = 完整
operator-audit-verified = 已校验 { $events } 条事件。
operator-open-audit = 打开审计日志
operator-pending-title = 在途退款
operator-see-pending = 查看在途退款
operator-clock-title = 时钟
operator-service-time = 服务时间：
operator-clock-not-moved = 模拟时钟：尚未拨动，当前显示的是服务器时间。
operator-clock-ahead = 模拟时钟：比服务器时间快 { $offset }。
operator-advance-by = 向前拨动
operator-advance = 拨动时钟
operator-clock-real-before = 服务使用服务器时钟，控制台无法拨动。如需在此拨动时间，请使用
operator-clock-real-after = 参数启动服务（演示环境即是如此）。

## Refunds

operator-refunds-lead = “重试”会放行一笔在途退款，退款任务随即再次向支付渠道发起请求；支付渠道以退款单号作为幂等键，因此不会重复打款。
operator-refunds-search = 退款单号、账号名称或账号 ID
operator-status-pending = 处理中
operator-status-succeeded = 已成功
operator-status-failed = 已失败
operator-refunds-all-accounts = 全部账号
operator-refunds-of-before = {""}
operator-refunds-of-after = {" "}的退款
operator-refunds-not-found = 没有单号为“{ $q }”的退款，也没有名称或 ID 为它的账号。请按退款单号、账号 ID 或账号名称的一部分搜索。
operator-retry-now = 立即重试
operator-times-in-zone = 时间按该账号的计费时区 { $zone } 显示。

## Accounts

operator-accounts-lead = 按名称列出所有客户账号，以及各账号的余额、当前运行中的实例和尚未到账的退款。
operator-accounts-search = 名称或账号 ID
operator-accounts-none = 暂无账号。
operator-accounts-no-match = 没有名称包含“{ $q }”或 ID 为它的账号。
operator-accounts-bad-search = 搜索内容无效：请输入不超过 100 个字符的普通文本。
operator-accounts-bad-page = 翻页链接已失效，请从第一页重新浏览。
operator-accounts-more = 更多账号 →
operator-account-lead = 本页时间均按该账号的计费时区 { $zone } 显示。
operator-account-summary = 概要
operator-account-id = 账号 ID
operator-account-opened = 开户时间
operator-account-audit = 该账号的审计事件
operator-methods-title = 支付方式
operator-methods-none = 未绑定银行卡、PayPal 或银行账户，该账号使用余额付款。
operator-method-bank = 银行账户“{ $label }”
operator-method-unusable = { $method }（已不可用）
operator-instances-title = 实例
operator-instances-none = 暂无实例。
operator-workspace-deleted = { $name }（已删除）
operator-refunds-none = 暂无退款。
operator-account-all-refunds = 该账号的全部退款 →
operator-ledger-entries = 余额明细
operator-ledger-entries-older = 余额明细（更早）
operator-ledger-none-older = 没有更早的明细。
operator-ledger-none = 余额尚无任何变动。
operator-ledger-newest = ← 最新明细
operator-ledger-older = 更早的明细 →
ledger-kind-order-payment = 订单付款
ledger-kind-balance-top-up = 余额充值
ledger-kind-usage-charge = 用量扣费
ledger-kind-refund-succeeded = 退款到账
ledger-kind-refund-rerouted = 退款改退
ledger-kind-unsubscription-refund = 退订退款
ledger-kind-downgrade-refund = 降配退款
ledger-kind-switch-refund = 转按量付费退款
ledger-kind-activation-refund = 开通失败退款
ledger-kind-activation-benefits-restored = 开通失败退回优惠

## Audit log

operator-audit-lead = 按时间倒序排列。每条事件都带有前一条事件的哈希值。日期和时间按运营视图的时区 { $zone } 显示。
operator-audit-actor = 操作者
operator-audit-actor-hint = operator、system 或账号 ID
operator-audit-account-hint = 名称或 ID：该账号执行的操作及针对它的操作
operator-audit-action = 事件类型
operator-audit-action-hint = 例如 order.paid
operator-audit-from = 开始日期
operator-audit-from-hint = 第一天，按 { $zone } 计算
operator-audit-to = 结束日期
operator-audit-to-hint = 最后一天（含当天）
operator-audit-clear = 清除筛选
operator-audit-no-match = 没有符合筛选条件的事件。
operator-audit-none = 暂无事件。
operator-audit-newest = ← 最新事件
operator-audit-older = 更早的事件 →
operator-audit-bad-date = { $field }“{ $text }”不是有效日期，请按“年-月-日”格式填写，例如 2026-05-01。
operator-audit-swapped = 结束日期早于开始日期：请对调两者或另选日期。
operator-audit-bad-page = 翻页链接已损坏，请打开最新事件后重新翻页。
operator-account-unknown = 没有名为“{ $text }”或 ID 为它的账号。
operator-account-ambiguous = “{ $text }”匹配到多个账号（{ $names }）：请输入更完整的名称或账号 ID。
operator-account-bad-search = 账号搜索内容无效：请输入不超过 100 个字符的普通文本。

## Refund policy form

policy-hint-count = 0 到 1000 之间的次数，或 none（不限）。
policy-hint-window = 时长，例如 5d 或 120h；或 validity（整个有效期）。
policy-hint-span = 时长，例如 150d、12h 或 15m。
policy-invalid = 设置项 { $name } 的取值无效，请按提示的格式重新填写。
