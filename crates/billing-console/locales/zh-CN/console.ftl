# 控制台的客户页面、页面框架与通用词汇（简体中文）。

## Frame

console-name = Spark 计费控制台
brand-billing = 费用中心
skip-to-content = 跳到正文
nav-main = 主导航
nav-workspaces = 工作空间
nav-unsubscribe = 退订
nav-resource-plans = 资源包
nav-bills = 账单与用量
nav-refunds = 退款
nav-documents = 票据
nav-developers = 开发者
nav-overview = 概览
nav-accounts = 账号
nav-audit-log = 审计日志
nav-refund-policy = 退款规则
nav-webhooks = Webhook
who-operator = 运营人员
balance-label = 余额 { $amount }
language-switch = 语言
sign-out = 退出登录
title-error = 出错了
title-forbidden = 无权访问

## Sign in

sign-in-title = 登录
sign-in-lead = 请使用您账号的 API 密钥或运营密钥登录。密钥只保存在服务器上，浏览器中仅保留一个签名的会话 Cookie。
sign-in-key = API 密钥
sign-in-submit = 登录
sign-in-demo-hint-before = 正在运行演示环境？密钥保存在数据目录的
sign-in-demo-hint-after = 文件中。
sign-in-key-refused = 该密钥无效或已被吊销，请检查后重试。

## Errors

error-eyebrow = 错误 { $status }
error-details = 详情：
error-back = 返回控制台
error-headline-not-found = 未找到
error-headline-forbidden = 无权操作
error-headline-unauthorized = 尚未登录
error-headline-conflict = 当前无法执行该操作
error-headline-client = 请检查您填写的内容
error-headline-server = 系统出错了
error-other = 操作未能完成（{ $code }）。
error-not-found = 您的账号中没有该页面或记录。
error-invalid-input = 填写的内容无效，请检查下方所示字段后重试。
error-currency-mismatch = 币种与账号的结算币种不一致。
error-tenders-do-not-add-up = 各支付部分之和与应付金额不符。
error-too-few-cu = CU 数量低于该地域允许的最小值。
error-months-out-of-range = 不支持该购买时长。
error-account-overdue = 账号已欠费，请先充值。
error-insufficient-balance = 账户余额不足。
error-payment-method-unusable = 该支付方式不可用。
error-benefit-unusable = 该代金券或优惠券不能在此使用。
error-forbidden = 您无权执行此操作。
error-invalid-state = 资源当前的状态不允许此操作。
error-quote-stale = 自页面打开以来金额已发生变化，请核对最新金额后重新确认。
error-confirmation-mismatch = 输入的工作空间名称不一致。
error-quota-refundable = 该配额仍可退款，请改为退订。
error-idempotency-key-reused = 该请求已以不同的内容提交过。
error-payment-declined = 支付被拒绝。
error-payment-channel-unavailable = 支付渠道暂无响应，请稍后重试。
error-busy = 系统繁忙，请稍后重试。
error-unavailable = 服务暂时不可用，请稍后重试。
error-internal = 系统内部出错，已记录日志，请稍后重试。
error-csrf-token-invalid = 该表单并非从本控制台页面提交（或页面已过期），未做任何更改。请刷新页面后重试。
error-too-large = 表单内容过大。
error-terms-not-accepted = 请勾选复选框，确认您已阅读并同意退订须知。

## Shared words

refund-type-partial = 部分退款
refund-type-money-back = 五天无理由全额退款
refund-type-not-refundable = 当前不可退款
method-balance = 账户余额
method-card = 银行卡
method-paypal = PayPal
method-bank-transfer = 银行转账
route-original-method = 通过{ $method }支付，按原路退回
route-card-too-old = 银行卡付款已超过 { $age } → 退回账户余额
route-paypal-too-old = PayPal 付款已超过 { $age } → 退回账户余额
route-bank-transfer = 银行转账付款一律退回账户余额
route-method-invalid = 该{ $method }已无法收款（例如已注销）→ 退回账户余额
route-channel-failed = 支付渠道拒绝了退款 → 退回账户余额
arrival-at-once = 即时到账
arrival-within-30-business-days = 30 个工作日内到账
refund-status-pending = 退款中
refund-status-succeeded = 已到账
refund-status-failed = 被拒绝（已改退）
instance-state-pending-payment = 待支付
instance-state-active = 运行中
instance-state-expired = 已到期
instance-state-unsubscribed = 已退订
instance-state-cancelled = 已取消
instance-state-switched = 已转为按量付费
instance-state-activation-failed = 开通失败（已退款）
workspace-status-active = 正常
workspace-status-deleted = 已删除
billing-method-pay-as-you-go = 按量付费
billing-method-subscription = 包年包月
billing-method-hybrid = 包年包月 + 按量付费
line-kind-current = 当前计费周期
line-kind-pending-renewal = 待生效的续费（尚未开始）
line-kind-plan = 资源包
commodity-spark-reserved = EMR Serverless Spark 预留资源
commodity-spark-resource-plan = Spark 计算资源包
duration-day = { $n } 天
duration-hour = { $n } 小时
duration-minute = { $n } 分钟
duration-second = { $n } 秒
reason-not-found = 该账号下没有此实例。
reason-not-prepaid = 按量付费在使用后结算，没有可退还的预付费用。
reason-unsupported-action = 只有包年包月配额可以变更 CU 或转为按量付费，资源包不支持。
reason-already-unsubscribed = 该实例已退订。
reason-unpaid-order-pending = 该实例有未支付的订单，请先支付或取消后再退订。
reason-promotion-non-refundable = 该实例购买自不支持退款的促销活动。
reason-transferred-resource = 该实例由其他账号转入，不支持退款。
reason-currency-mismatch = 订单的支付币种与账号当前的结算币种不一致。
reason-expired = 订阅已到期，没有可退款的剩余时长。
reason-resource-plan-used = 该资源包已被抵扣使用。
reason-refund-window-passed = 该资源包的无理由退款期限已过。
reason-annual-limit-reached = 本账号今年该商品的无理由全额退款次数已用完。
reason-not-a-downgrade = 降配后的 CU 数必须少于当前配额。
reason-quota-below-minimum = 配额不能低于该地域的最小 CU 数。
reason-zero-refundable = 没有可退金额：现金支付部分已全部使用。
reason-zero-refundable-benefits-only = 没有可退金额：该订单仅使用代金券和优惠券支付，不予退还。
reason-zero-refundable-plan-used = 没有可退金额：现金购买的容量已用完。
reason-zero-refundable-days-used = 没有可退金额：所有已付天数均已使用（退订当天按一整天计算）。
cu-count = { $cu } CU
cu-hours-count = { $amount } CU 时

## Tables and actions shared by several pages

eyebrow-billing = 费用中心
col-name = 名称
col-region = 地域
col-status = 状态
col-billing-method = 付费方式
col-quota = 配额
col-expires = 到期时间
col-actions = 操作
col-instance-id = 实例 ID
col-commodity = 商品
col-resource = 资源
col-refund-type-now = 当前退款类型
col-amount = 金额
col-paid-by = 支付方式
col-refunded-to = 退款去向
col-why = 原因
col-arrives = 到账时间
col-refund = 退款单
col-account = 账号
col-created = 创建时间
col-arrival = 到账情况
col-attempts = 尝试次数
col-order = 订单
action-delete = 删除
action-renew = 续费
action-change-cu = 变更预留 CU
action-switch = 转为按量付费
action-backup = 备份作业脚本
action-search = 搜索
action-filter = 筛选
action-retry = 重试
action-unsubscribe-resource = 退订资源
action-cancel = 取消
action-copy = 复制

## Workspaces

workspaces-lead = 删除带有包年包月配额的工作空间会同时退订该配额：您会先看到退款明细，确认之前不会做任何操作。
workspaces-empty = 该账号下没有工作空间。
workspaces-caption = 本账号的工作空间
workspaces-deleted-notice = 工作空间 { $name } 已删除，其中包含 { $jobs } 个作业和 { $objects } 个数据对象。未产生退款。

## Unsubscribe

unsubscribe-lead = 退还不再需要的预付费资源。执行之前，您会先看到逐项列出的退款明细。
unsubscribe-tabs = 资源类型
unsubscribe-tab-resources = 云资源
unsubscribe-tab-plans = 资源包
unsubscribe-commodity-name = 商品名称
unsubscribe-no-plans = 没有符合条件的资源包。
unsubscribe-no-quotas = 没有符合条件的包年包月配额。
unsubscribe-caption-quotas = 包年包月配额

## Review an unsubscription

review-title = 确认退订
review-crumb = 退订确认
review-delete-title = 工作空间 { $name } 将被删除
review-delete-warning = 退订此配额将删除工作空间 { $name }，包括其中的 { $jobs } 个作业、{ $objects } 个数据对象（{ $queues } 个队列）。删除后无法恢复。
review-download-backup = 下载作业脚本备份
review-refund-type = 退款类型
review-quote = 退款报价
review-quote-valid-until = 有效期至 { $until }（退款规则 v{ $version }）
review-quote-reference = 报价编号
review-refused-title = 该资源当前无法退订
review-reason-code = 原因代码：
review-back-to-list = 返回列表
review-how-calculated = 退款金额计算明细
review-what-found = 计算结果
review-list-price = 原价
review-discount = 折扣
review-coupon = 优惠券
review-voucher = 代金券
review-not-cash = （非现金，不予退还）
review-cash-paid = 现金实付
review-used = 已使用
review-consumed-fees = 已消耗资源费用
review-refundable = 可退金额
review-refundable-amount = 可退款金额
review-where-money-goes = 退款去向
review-type-name-before = 请输入工作空间名称
review-type-name-after = 以确认删除
review-terms = 我已阅读退订须知：退款金额如上所示，将退回所列去向；代金券和优惠券不予退还；资源将立即释放。
review-submit = 确认退订
review-name-mismatch = 输入的名称不一致。请准确输入 { $name } 以删除该工作空间。
review-used-days = { $used } 天（共 { $total } 天）
review-used-seconds = { $used } 秒（共 { $total } 秒）
review-used-cu-hours = { $used } CU 时（共 { $total } CU 时）
review-subject-quota = 工作空间 { $workspace } 的预留资源 { $cu } CU
review-subject-plan = { $region } 的 { $amount } CU 时资源包

## Done, refunds

done-cu-changed = 预留 CU 已变更为 { $cu }
done-switched = 已转为按量付费
done-unsubscribed = 已退订
result-crumb = 完成
result-lead = ：于 { $at } { $what }。
result-refund = 退款
result-unsubscription = 退订单
credit-note = 红字发票
result-refund-orders = 退款单
result-all-refunds = 全部退款
result-workspace-deleted = 工作空间 { $name } 已删除，其中包含 { $jobs } 个作业、{ $objects } 个数据对象和 { $queues } 个队列。
refunds-lead = 退回账户余额的款项即时到账；退回银行卡或 PayPal 的款项将在 30 个工作日内到账。
refunds-any-status = 全部状态
refunds-empty = 没有符合条件的退款。
refunds-older = 更早的退款 →
refund-title = 退款详情
refund-heading = 退款 { $amount }
refund-id = 退款单号
refund-why-there = 退款去向说明
refund-replaces = 替代退款单
refund-replaces-why = （被支付渠道拒绝）
refund-arrived-at = 已于 { $at } 到账
refund-expected-by = 预计 { $at } 前到账
refund-refused-because = 被拒绝：{ $why }
refund-no-reason = 未说明原因

## Delete a workspace without a refund

delete-title = 删除工作空间
delete-heading = 删除工作空间 { $name }
delete-lead = 不会产生退款：{ $why }
delete-warning = 删除后将移除其中的 { $jobs } 个作业、{ $objects } 个数据对象（{ $queues } 个队列），且无法恢复。
delete-terms = 我了解工作空间及其中的全部内容将被永久删除，且不会产生任何退款。
delete-terms-not-accepted = 请勾选复选框，确认工作空间将被永久删除且不退款。
delete-why-pay-as-you-go = 该工作空间按量付费、用后结算，没有预付费用。
delete-why-no-quota = 该工作空间没有生效中的配额，没有剩余的预付费用。
delete-why-expired = 其 { $cu } 配额已到期，没有剩余的已付时长。
delete-why-other = 其 { $cu } 配额随工作空间一并结束，且{ $reason }
delete-refunds-nothing = 没有可退金额。
delete-prepaid = 预付

## Renew, resource plans, instance

renew-title = 续费配额
renew-heading = 续费 { $name } 的配额
renew-lead = { $cu } CU，当前到期时间 { $end }。续费从当前周期结束时开始生效，需立即支付。
renew-months = 续费时长
renew-month-count = { $months } 个月
renew-pay-with = 支付方式
renew-pay-balance = 账户余额（{ $balance }）
renew-submit = 续费并支付
plans-lead = 预付的 CU 时，在超出配额的用量转为按量付费之前优先抵扣。未使用的资源包在购买后五天内可全额退款。
plans-empty = 该账号下没有资源包。
plans-valid = 有效期 { $period }
plans-remaining = 剩余
plans-capacity = 总量
plans-given-back = 已退还
plans-expired-unused = 过期未用
plans-bar-label = 已使用 { $used } CU 时，共 { $total } CU 时
order-kind-new = 新购
order-kind-renewal = 续费
order-status-unpaid = 未支付
order-status-paid = 已支付
order-status-cancelled = 已取消
order-status-refunded = 已退款
instance-title = 实例详情
instance-renewed-notice = 续费订单 { $order } 已支付，将在当前周期结束时生效。
instance-crumb = 实例
instance-workspace = 工作空间 { $name }
instance-orders = 订单
timeline-title = 计费时间线
timeline-of = { $id } 的计费时间线
timeline-desc = 共 { $count } 个已付周期；今天之前的斜线部分为已使用；今天是 { $today }。
timeline-until = 至 { $end }
timeline-in-force = 生效中
timeline-pending = 待生效续费
timeline-ended = 已结束
timeline-cu-changed = 预留 CU 已变更
timeline-today = 今天（{ $today }）
timeline-periods = 已付周期
segment-past = 已结束
segment-current = 生效中
segment-pending = 待生效续费
col-starts = 开始时间
col-expiration-date = 到期时间
col-state = 状态
col-kind = 类型
col-months = 月数
col-paid = 支付时间
col-invoice = 发票

## Change reserved CUs, switch to pay-as-you-go

change-stays-title = 变更内容与保留内容
change-keeps = 配额将保留 { $cu } CU（当前为 { $old } CU）
change-keeps-fewer = 配额将保留少于当前 { $old } CU 的 CU 数
change-from-before = ，自{" "}
change-from-after = {" "}（下一个整点）起生效
change-keeps-end = 。超出部分按量付费。
change-downgrade-refund = 减少的 CU 对应的已付费用将退还，扣除已使用的部分。续费将按新的 CU 数计价。
change-switch-ends = 配额将结束
change-switch-from-before = ；自{" "}
change-switch-billed = ，工作空间按 CU 时按量付费。
change-switch-refund = 预付费用中未使用的部分将退还，与退订的退款相同。
change-workspace-stays = 工作空间 { $name } 及其全部作业、脚本和数据都将保留，不会删除任何内容。
change-benefits = 代金券和优惠券不予退还。
change-cu-label = 保留的 CU 数（至少 { $min }，少于 { $now }）
change-show-refund = 查看退款金额
change-refused-title = 当前无法进行此变更
change-cash-left = （扣除此前变更后的剩余）
change-removed-share = 减少 CU 对应的费用
change-quote-valid-until = 报价有效期至 { $until }。
change-type-name-after = 以确认转换
change-terms = 我已阅读变更内容与保留内容：退款金额如上所示，将退回所列去向；代金券和优惠券不予退还。
change-terms-not-accepted = 请勾选复选框，确认您已阅读变更内容及退款去向。
change-name-mismatch = 请按所示准确输入工作空间名称以确认转换。

## Documents, developers

documents-lead = 每笔已支付的订单都开具发票，每笔退款都开具红字发票。已开具的票据不会再更改；每张都可打开为可打印页面，也可下载 PDF。
documents-all = 发票和红字发票
documents-invoices = 发票
documents-credit-notes = 红字发票
documents-empty = 暂无票据。
documents-download = 下载
documents-older = 更早的票据 →
documents-kind-invoice = 发票
documents-kind-credit-note = 红字发票
col-number = 编号
col-issued = 开具时间
col-total = 合计
col-for = 关联单据
col-event = 事件
col-sent = 发送时间
col-answer = 响应
col-latency = 耗时
developers-lead-before = 事件将推送到您的端点，并按 Standard Webhooks 方式签名
developers-lead-after = 。推送失败会在约三天内自动重试。
developers-added-before = 端点
developers-added-after = 已添加。其签名密钥仅显示这一次，请立即保存：
developers-no-endpoints = 暂无端点。
developers-failing-since = 自 { $since } 起推送失败
developers-no-deliveries = 暂无推送记录。
developers-redeliver = 重新推送
developers-add-title = 添加端点
developers-url = URL（https://）
developers-description = 描述
developers-events = 事件（不勾选则订阅全部事件）
developers-add = 添加端点
webhook-enabled = 已启用
webhook-disabled-gone = 已停用：端点返回 410 Gone
webhook-disabled-failing = 已停用：连续三天推送失败
webhook-disabled = 已停用
webhook-every-account = 全部账号
webhook-every-event = 全部事件
webhook-no-answer = 无响应

## Downloads
download-orders-csv = 下载全部订单（CSV）
download-refunds-csv = 下载退款记录（CSV）

## Bills & usage
bills-eyebrow = 费用
bills-lead = 各工作空间每天使用的 CU 时，以及抵扣方式：包年包月配额、资源包或按量付费。日期按 { $zone } 计算。
bills-from = 开始日期
bills-until = 结束日期（不含）
bills-workspace = 工作空间
bills-all-workspaces = 全部工作空间
bills-show = 查询
bills-download-usage = 下载用量（CSV）
bills-chart-title = { $from } 至 { $to } 每日 CU 时及抵扣方式
bills-legend-quota = 配额抵扣
bills-legend-plans = 资源包抵扣
bills-legend-payg = 按量付费
bills-peak = 单日最高：{ $peak } CU 时。
bills-empty = 所选日期内没有已结算的用量。
bills-caption = 按日期和工作空间的用量（CU 时）
bills-col-day = 日期
bills-col-used = 用量
bills-col-quota = 配额
bills-col-plans = 资源包
bills-col-charged = 扣费
bills-total = 合计
bills-by-quota = 配额抵扣
bills-by-plans = 资源包抵扣
bills-by-payg = 按量付费
bills-segment = { $cu } CU 时，{ $how }
bills-segment-title = { $day }：{ $segment }
bills-chart-description = 自 { $from } 起有用量的天数：{ $days }；单日最高 { $peak } CU 时。

## A printed invoice or credit note: the words around its content
documents-all-link = 全部票据
documents-download-pdf = 下载 PDF
document-invoice = 发票
document-credit-note = 红字发票
document-issued = 开具日期
document-currency = 币种
document-order = 订单
document-refund-set = 退款批次
document-credits-invoice = 对应发票
document-item = 项目
document-list-price = 原价
document-discount = 折扣
document-coupon = 优惠券
document-voucher = 代金券
document-cash-due = 应付现金
document-charges = 费用明细
document-paid-with = 支付方式
document-method = 方式
document-amount = 金额
document-lines = 退款明细
document-line = 明细类型
document-period = 计费周期
document-cash-paid = 现金实付
document-used-total = 已用/总量
document-consumed = 已消耗
document-refund = 退款金额
document-refund-id = 退款单号
document-refund-destinations = 退款去向
document-goes-to = 退至
document-rule = 规则
document-total-due = 应付合计
document-total-credited = 退款合计
document-seller = 销售方
document-buyer = 购买方
document-tax-id = 税号
document-account = 账号
document-digest = 开具内容的 SHA-256
