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
