# The console's customer pages, its frame and its shared words, in English.

## Frame

console-name = Spark billing console
brand-billing = billing
skip-to-content = Skip to content
nav-main = Main
nav-workspaces = Workspaces
nav-unsubscribe = Unsubscribe
nav-resource-plans = Resource plans
nav-bills = Bills & usage
nav-refunds = Refunds
nav-documents = Documents
nav-developers = Developers
nav-overview = Overview
nav-accounts = Accounts
nav-audit-log = Audit log
nav-refund-policy = Refund policy
nav-webhooks = Webhooks
who-operator = Operator
balance-label = Balance { $amount }
language-switch = Language
sign-out = Sign out
title-error = Error
title-forbidden = Forbidden

## Sign in

sign-in-title = Sign in
sign-in-lead = Use an API key of your account, or an operator key. The key stays on this server: the browser keeps only a signed session cookie.
sign-in-key = API key
sign-in-submit = Sign in
sign-in-demo-hint-before = Running the demo? Its keys are in
sign-in-demo-hint-after = in the data directory.
sign-in-key-refused = That key is not valid, or it has been revoked. Check it and try again.

## Errors

error-eyebrow = Error { $status }
error-details = Details:
error-back = Back to the console
error-headline-not-found = Not found
error-headline-forbidden = Not allowed
error-headline-unauthorized = Not signed in
error-headline-conflict = That cannot be done now
error-headline-client = Please check what you entered
error-headline-server = Something went wrong
error-other = That could not be done ({ $code }).
error-not-found = There is no such page or record in your account.
error-invalid-input = A value you entered is not valid. Check the field named below and try again.
error-currency-mismatch = The currency does not match the account's settlement currency.
error-tenders-do-not-add-up = The payment parts do not add up to the amount due.
error-too-few-cu = That is fewer CUs than the region allows.
error-months-out-of-range = That number of months is not offered.
error-account-overdue = The account is overdue. Top up the balance first.
error-insufficient-balance = The account balance is not enough for this.
error-payment-method-unusable = That payment method cannot be used.
error-benefit-unusable = That voucher or coupon cannot be used here.
error-forbidden = You are not allowed to do this.
error-invalid-state = This cannot be done while the resource is in its present state.
error-quote-stale = The figures have changed since this page was shown. Check the new figures and confirm again.
error-confirmation-mismatch = The workspace name typed does not match.
error-quota-refundable = This quota can still be refunded: unsubscribe it instead.
error-idempotency-key-reused = This request was already sent with different contents.
error-payment-declined = The payment was declined.
error-payment-channel-unavailable = The payment channel is not answering. Try again later.
error-busy = The service is busy. Try again in a moment.
error-unavailable = The service is unavailable just now. Try again later.
error-internal = Something went wrong on our side; it has been logged. Please try again.
error-csrf-token-invalid = This form was not sent from a page of this console (or the page is too old). Nothing was changed; reload the page and try again.
error-too-large = The form is too large.
error-terms-not-accepted = Tick the box to confirm that you have read and accept the unsubscription terms.

## Shared words

refund-type-partial = Partial refund
refund-type-money-back = 5-day unused money-back
refund-type-not-refundable = Not refundable now
method-balance = account balance
method-card = card
method-paypal = PayPal
method-bank-transfer = bank transfer
route-original-method = paid by { $method }, so it goes back the same way
route-card-too-old = card payment older than { $age } → account balance
route-paypal-too-old = PayPal payment older than { $age } → account balance
route-bank-transfer = bank transfers are always returned to the account balance
route-method-invalid = the { $method } can no longer receive money (for example, cancelled) → account balance
route-channel-failed = the payment channel refused the refund → account balance
arrival-at-once = at once
arrival-within-30-business-days = within 30 business days
refund-status-pending = On its way
refund-status-succeeded = Arrived
refund-status-failed = Refused (re-routed)
instance-state-pending-payment = Awaiting payment
instance-state-active = Active
instance-state-expired = Expired
instance-state-unsubscribed = Unsubscribed
instance-state-cancelled = Cancelled
instance-state-switched = Switched to pay-as-you-go
instance-state-activation-failed = Activation failed (refunded)
workspace-status-active = Active
workspace-status-deleted = Deleted
billing-method-pay-as-you-go = Pay-as-you-go
billing-method-subscription = Subscription
billing-method-hybrid = Subscription + pay-as-you-go
line-kind-current = Current period
line-kind-pending-renewal = Pending renewal (not started)
line-kind-plan = Resource plan
commodity-spark-reserved = EMR Serverless Spark Reserved Resources
commodity-spark-resource-plan = Spark Computing Resource Plan
duration-day = { $n ->
    [one] { $n } day
   *[other] { $n } days
}
duration-hour = { $n ->
    [one] { $n } hour
   *[other] { $n } hours
}
duration-minute = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
duration-second = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}
reason-not-found = There is no such instance in this account.
reason-not-prepaid = Pay-as-you-go usage is billed after use; there is nothing prepaid to give back.
reason-unsupported-action = Only a subscription quota can change its CUs or switch to pay-as-you-go; a resource plan cannot.
reason-already-unsubscribed = This instance has already been unsubscribed.
reason-unpaid-order-pending = An order for this instance is still unpaid. Pay or cancel it before unsubscribing.
reason-promotion-non-refundable = This instance was bought in a promotion that does not allow refunds.
reason-transferred-resource = This instance was transferred from another account and cannot be refunded.
reason-currency-mismatch = The order was paid in a currency other than the account's current settlement currency.
reason-expired = The subscription has ended; no paid time is left to refund.
reason-resource-plan-used = Capacity has already been drawn from this resource plan.
reason-refund-window-passed = The money-back window for this resource plan has closed.
reason-annual-limit-reached = This account has used all full refunds allowed this year for this commodity.
reason-not-a-downgrade = A downgrade must keep fewer CUs than the quota has now.
reason-quota-below-minimum = A quota cannot keep fewer CUs than the region's minimum.
reason-zero-refundable = Nothing would come back: nothing paid in cash is left unused.
reason-zero-refundable-benefits-only = Nothing would come back: it was paid only with vouchers and coupons, which are never refunded.
reason-zero-refundable-plan-used = Nothing would come back: the capacity paid for in cash has been used.
reason-zero-refundable-days-used = Nothing would come back: every paid day has been used (the day of unsubscribing counts as a whole day).
cu-count = { $cu } CU
cu-hours-count = { $amount } CU-hours

## Tables and actions shared by several pages

eyebrow-billing = Billing
col-name = Name
col-region = Region
col-status = Status
col-billing-method = Billing method
col-quota = Quota
col-expires = Expires
col-actions = Actions
col-instance-id = Instance ID
col-commodity = Commodity
col-resource = Resource
col-refund-type-now = Refund type now
col-amount = Amount
col-paid-by = Paid by
col-refunded-to = Refunded to
col-why = Why
col-arrives = Arrives
col-refund = Refund
col-account = Account
col-created = Created
col-arrival = Arrival
col-attempts = Attempts
col-order = Order
action-delete = Delete
action-renew = Renew
action-change-cu = Change reserved CUs
action-switch = Switch to pay-as-you-go
action-backup = Back up job scripts
action-search = Search
action-filter = Filter
action-retry = Retry
action-unsubscribe-resource = Unsubscribe Resource
action-cancel = Cancel
action-copy = Copy

## Workspaces

workspaces-lead = Deleting a workspace that has a subscription quota unsubscribes the quota: you see the refund first, and nothing happens until you confirm.
workspaces-empty = This account has no workspaces.
workspaces-caption = Workspaces of this account
workspaces-deleted-notice = Workspace { $name } was deleted with { $jobs ->
    [one] { $jobs } job
   *[other] { $jobs } jobs
} and { $objects ->
    [one] { $objects } data object
   *[other] { $objects } data objects
}. Nothing was refunded.

## Unsubscribe

unsubscribe-lead = Give back prepaid resources you no longer need. You will see the itemized refund before anything happens.
unsubscribe-tabs = Resource kind
unsubscribe-tab-resources = Regular Cloud Resource
unsubscribe-tab-plans = Resource Plans
unsubscribe-commodity-name = Commodity Name
unsubscribe-no-plans = No resource plans match.
unsubscribe-no-quotas = No subscription quotas match.
unsubscribe-caption-quotas = Subscription quotas

## Review an unsubscription

review-title = Review unsubscription
review-crumb = Review
review-delete-title = Workspace { $name } will be deleted
review-delete-warning = Unsubscribing this quota deletes workspace { $name } with its { $jobs ->
    [one] { $jobs } job
   *[other] { $jobs } jobs
} and { $objects ->
    [one] { $objects } data object
   *[other] { $objects } data objects
} ({ $queues ->
    [one] { $queues } queue
   *[other] { $queues } queues
}). They cannot be restored.
review-download-backup = Download a backup of the job scripts
review-refund-type = Refund type
review-quote = Quote
review-quote-valid-until = Valid until { $until } (policy v{ $version })
review-quote-reference = Quote reference
review-refused-title = This cannot be unsubscribed now
review-reason-code = Reason code:
review-back-to-list = Back to the list
review-how-calculated = How the refund is calculated
review-what-found = What the calculation found
review-list-price = List price
review-discount = Discount
review-coupon = Coupon
review-voucher = Voucher
review-not-cash = (not cash, never refunded)
review-cash-paid = Cash paid
review-used = Used
review-consumed-fees = Fees for consumed resources
review-refundable = Refundable
review-refundable-amount = Refundable amount
review-where-money-goes = Where the money goes
review-type-name-before = Type the workspace name
review-type-name-after = to confirm its deletion
review-terms = I have read the unsubscription terms: the refund is the amount above, sent to the destinations shown; vouchers and coupons are not refunded; the resource is released at once.
review-submit = Unsubscribe
review-name-mismatch = The name typed does not match. Type { $name } exactly to delete this workspace.
review-used-days = { $used } of { $total } days used
review-used-seconds = { $used } of { $total } seconds used
review-used-cu-hours = { $used } of { $total } CU-hours used
review-subject-quota = { $cu } CU reserved for workspace { $workspace }
review-subject-plan = { $amount } CU-hours in { $region }

## Done, refunds

done-cu-changed = Reserved CUs changed to { $cu }
done-switched = Switched to pay-as-you-go
done-unsubscribed = Unsubscribed
result-crumb = Done
result-lead = :{" "}{ $what } on { $at }.
result-refund = Refund
result-unsubscription = Unsubscription
credit-note = Credit note
result-refund-orders = Refund orders
result-all-refunds = All refunds
result-workspace-deleted = Workspace { $name } was deleted with { $jobs } jobs, { $objects } data objects and { $queues } queues.
refunds-lead = Refunds to the account balance arrive at once; refunds to a card or PayPal arrive within 30 business days.
refunds-any-status = Any status
refunds-empty = No refunds match.
refunds-older = Older refunds →
refund-title = Refund
refund-heading = Refund { $amount }
refund-id = Refund ID
refund-why-there = Why there
refund-replaces = Replaces
refund-replaces-why = (refused by the payment channel)
refund-arrived-at = Arrived { $at }
refund-expected-by = Expected by { $at }
refund-refused-because = Refused: { $why }
refund-no-reason = no reason given

## Delete a workspace without a refund

delete-title = Delete workspace
delete-heading = Delete workspace { $name }
delete-lead = Nothing is refunded: { $why }
delete-warning = Deleting it removes its { $jobs ->
    [one] { $jobs } job
   *[other] { $jobs } jobs
} and { $objects ->
    [one] { $objects } data object
   *[other] { $objects } data objects
} ({ $queues ->
    [one] { $queues } queue
   *[other] { $queues } queues
}). They cannot be restored.
delete-terms = I understand that the workspace and everything in it are deleted for good and that nothing is refunded.
delete-terms-not-accepted = Tick the box to confirm that the workspace is deleted for good without a refund.
delete-why-pay-as-you-go = it is billed pay-as-you-go, after use, so nothing was paid in advance.
delete-why-no-quota = it has no quota in force, so nothing paid in advance is left.
delete-why-expired = its { $cu } quota has ended, so no paid time is left.
delete-why-other = its { $cu } quota ends with the workspace, and { $reason }
delete-refunds-nothing = it refunds nothing.
delete-prepaid = prepaid

## Renew, resource plans, instance

renew-title = Renew quota
renew-heading = Renew the quota of { $name }
renew-lead = { $cu } CU, now ending at { $end }. The renewal starts where the current period ends and is paid now.
renew-months = Months to add
renew-month-count = { $months ->
    [one] { $months } month
   *[other] { $months } months
}
renew-pay-with = Pay with
renew-pay-balance = Account balance ({ $balance })
renew-submit = Renew and pay
plans-lead = Prepaid CU-hours, drawn by usage beyond your quotas before pay-as-you-go. An unused plan can be given back in full within five days of purchase.
plans-empty = This account has no resource plans.
plans-valid = valid { $period }
plans-remaining = Remaining
plans-capacity = Capacity
plans-given-back = Given back
plans-expired-unused = Expired unused
plans-bar-label = { $used } of { $total } CU-hours used
order-kind-new = New purchase
order-kind-renewal = Renewal
order-status-unpaid = unpaid
order-status-paid = paid
order-status-cancelled = cancelled
order-status-refunded = refunded
instance-title = Instance
instance-renewed-notice = Renewal order { $order } is paid. It starts when the current period ends.
instance-crumb = Instances
instance-workspace = workspace { $name }
instance-orders = Orders
timeline-title = Billing timeline
timeline-of = Billing timeline of { $id }
timeline-desc = { $count ->
    [one] { $count } paid period
   *[other] { $count } paid periods
}; the hatched part before today is used; today is { $today }.
timeline-until = until { $end }
timeline-in-force = In force
timeline-pending = Pending renewal
timeline-ended = Ended
timeline-cu-changed = Reserved CUs changed
timeline-today = Today ({ $today })
timeline-periods = Paid periods
segment-past = ended
segment-current = in force
segment-pending = pending renewal
col-starts = Starts
col-expiration-date = Expiration date
col-state = State
col-kind = Kind
col-months = Months
col-paid = Paid
col-invoice = Invoice

## Change reserved CUs, switch to pay-as-you-go

change-stays-title = What changes, what stays
change-keeps = The quota keeps { $cu } CU instead of { $old } CU
change-keeps-fewer = The quota keeps fewer CUs instead of { $old } CU
change-from-before = , from{" "}
change-from-after = {" "}(the next clock hour)
change-keeps-end = . Usage beyond them is billed pay-as-you-go.
change-downgrade-refund = The removed CUs' share of what you paid comes back, less the part already used. Renewals are priced at the new CUs.
change-switch-ends = The quota ends
change-switch-from-before = ; from{" "}
change-switch-billed = {" "}the workspace is billed pay-as-you-go by the CU-hour.
change-switch-refund = The unused part of what you prepaid comes back, as unsubscribing would give it.
change-workspace-stays = Workspace { $name } stays with all its jobs, scripts and data. Nothing is deleted.
change-benefits = Vouchers and coupons are never refunded.
change-cu-label = CUs to keep (at least { $min }, fewer than { $now })
change-show-refund = Show the refund
change-refused-title = This change cannot be made now
change-cash-left = (left after earlier changes)
change-removed-share = Share of the removed CUs
change-quote-valid-until = Quote valid until { $until }.
change-type-name-after = to confirm the switch
change-terms = I have read what changes and what stays: the refund is the amount above, sent to the destinations shown; vouchers and coupons are not refunded.
change-terms-not-accepted = Tick the box to confirm that you have read what changes and where the money goes.
change-name-mismatch = Type the workspace's name exactly as shown to confirm the switch.

## Documents, developers

documents-lead = An invoice for every paid order and a credit note for every refund. Issued documents never change; each opens as a printable page and downloads as PDF.
documents-all = Invoices and credit notes
documents-invoices = Invoices
documents-credit-notes = Credit notes
documents-empty = No documents yet.
documents-download = Download
documents-older = Older documents →
documents-kind-invoice = Invoice
documents-kind-credit-note = Credit note
col-number = Number
col-issued = Issued
col-total = Total
col-for = For
col-event = Event
col-sent = Sent
col-answer = Answer
col-latency = Latency
developers-lead-before = Events are posted to your endpoints, signed the Standard Webhooks way
developers-lead-after = . A failed delivery is retried for about three days.
developers-added-before = Endpoint
developers-added-after = added. Its signing secret is shown this once; keep it now:
developers-no-endpoints = No endpoints yet.
developers-failing-since = failing since { $since }
developers-no-deliveries = No deliveries yet.
developers-redeliver = Redeliver
developers-add-title = Add an endpoint
developers-url = URL (https://)
developers-description = Description
developers-events = Events (none checked: every event)
developers-add = Add endpoint
webhook-enabled = Enabled
webhook-disabled-gone = Disabled: the endpoint answered 410 Gone
webhook-disabled-failing = Disabled: failing for three days
webhook-disabled = Disabled
webhook-every-account = every account
webhook-every-event = every event
webhook-no-answer = no answer

## Downloads
download-orders-csv = Download orders (CSV)
download-refunds-csv = Download refunds (CSV)

## Bills & usage
bills-eyebrow = Billing
bills-lead = CU-hours your workspaces used each day, and how they were paid for: by a subscription quota, from resource plans, or pay-as-you-go. Days are in { $zone }.
bills-from = From
bills-until = Until (not included)
bills-workspace = Workspace
bills-all-workspaces = All workspaces
bills-show = Show
bills-download-usage = Download usage (CSV)
bills-chart-title = CU-hours per day, from { $from } until { $to }, by how they were covered
bills-legend-quota = Covered by quota
bills-legend-plans = From resource plans
bills-legend-payg = Pay-as-you-go
bills-peak = Highest day: { $peak } CU-hours.
bills-empty = No usage was settled in these days.
bills-caption = Usage by day and workspace (CU-hours)
bills-col-day = Day
bills-col-used = Used
bills-col-quota = Quota
bills-col-plans = Plans
bills-col-charged = Charged
bills-total = Total
bills-by-quota = covered by quota
bills-by-plans = from resource plans
bills-by-payg = pay-as-you-go
bills-segment = { $cu } CU-hours { $how }
bills-segment-title = { $day }: { $segment }
bills-chart-description = { $days } days from { $from } with usage; the highest day used { $peak } CU-hours.

## A printed invoice or credit note: the words around its content
documents-all-link = All documents
documents-download-pdf = Download PDF
document-invoice = Invoice
document-credit-note = Credit note
document-issued = Issued
document-currency = Currency
document-order = Order
document-refund-set = Refund set
document-credits-invoice = Credits invoice
document-item = Item
document-list-price = List price
document-discount = Discount
document-coupon = Coupon
document-voucher = Voucher
document-cash-due = Cash due
document-charges = Charges
document-paid-with = Paid with
document-method = Method
document-amount = Amount
document-lines = Lines
document-line = Line
document-period = Period
document-cash-paid = Cash paid
document-used-total = Used/total
document-consumed = Consumed
document-refund = Refund
document-refund-id = Refund
document-refund-destinations = Refund destinations
document-goes-to = Goes to
document-rule = Rule
document-total-due = Total due
document-total-credited = Total credited
document-seller = Seller
document-buyer = Buyer
document-tax-id = Tax ID
document-account = Account
document-digest = SHA-256 of the issued content
