# Operator pages, in English.

policy-lead = Each version applies from its instant on; an unsubscription uses the version in force when it is quoted. Versions already in force cannot change.
policy-version = Version { $version }
policy-from = From { $at }
policy-add-title = Add a version
policy-takes-effect = Takes effect at ({ $zone })
policy-add = Add version
policy-added = Policy version { $version } was added.
webhooks-title = Failing webhooks
webhooks-eyebrow = Operations
webhooks-heading = Failing webhook endpoints
webhooks-lead = Endpoints whose deliveries are failing now, and those the service disabled (410 Gone, or three days of failures).
webhooks-none = No endpoint is failing.
col-endpoint = Endpoint
col-last-answer = Last answer
list-comma = ,{" "}
operator-title = Operator overview
operator-clock-moved = The simulated clock moved forward by { $by }.
operator-refund-released = Refund { $refund } is released: the refund worker sends it again on its next pass.

## Shared by the operator's pages

col-id = ID
col-balance = Balance
col-zone = Billing zone
col-active-instances = Active instances
col-pending-refunds = Refunds pending
col-instance = Instance
col-product = Product
col-workspace = Workspace
col-size = Size
col-when = When
col-what = What
col-about = About
col-who = Who
col-subject = Subject
col-detail = Detail
operator-overdue = Overdue
operator-show-all = Show all

## Overview

operator-ledger-title = Ledger check
operator-ledger-balanced = Balanced
operator-ledger-ok = { $movements ->
    [one] { $movements } movement
   *[other] { $movements } movements
}, { $entries ->
    [one] { $entries } entry
   *[other] { $entries } entries
}: every movement sums to zero and every balance matches its entries.
operator-ledger-problems = { $count ->
    [one] { $count } problem
   *[other] { $count } problems
}
operator-audit-title = Audit chain
operator-audit-broken = Broken
operator-audit-intact = Intact
operator-audit-verified = { $events ->
    [one] { $events } event verified.
   *[other] { $events } events verified.
}
operator-open-audit = Open the audit log
operator-pending-title = Refunds on their way
operator-see-pending = See pending refunds
operator-clock-title = Clock
operator-service-time = Service time:{" "}
operator-clock-not-moved = Simulated: not moved yet, so it shows the machine's time.
operator-clock-ahead = Simulated: running { $offset } ahead of the machine's clock.
operator-advance-by = Advance by
operator-advance = Advance
operator-clock-real-before = The service runs on the machine's clock, which the console cannot move. Start it with
operator-clock-real-after = (the demo does) to move time forward from here.

## Refunds

operator-refunds-lead = Retry releases a pending refund so that the refund worker asks the payment channel again at once; the channel treats the refund id as its idempotency key, so nothing is sent twice.
operator-refunds-search = Refund ID, account name or account ID
operator-status-pending = Pending
operator-status-succeeded = Succeeded
operator-status-failed = Failed
operator-refunds-all-accounts = All accounts
operator-refunds-of-before = Refunds of{" "}
operator-refunds-of-after = {""}
operator-refunds-not-found = No refund has the ID “{ $q }”, and no account is named so or has it as its ID. Search by a refund ID, an account ID or part of an account's name.
operator-retry-now = Retry now
operator-times-in-zone = Times are in the account's billing zone, { $zone }.

## Accounts

operator-accounts-lead = Every customer account by name, with its balance, the instances running now and the refunds still on their way.
operator-accounts-search = Name or account ID
operator-accounts-none = There are no accounts yet.
operator-accounts-no-match = No account has “{ $q }” in its name or as its ID.
operator-accounts-bad-search = The search { $why }.
operator-accounts-bad-page = The page link { $why }.
operator-accounts-more = More accounts →
operator-account-lead = Times on this page are in the account's billing zone, { $zone }.
operator-account-summary = Summary
operator-account-id = Account ID
operator-account-opened = Opened
operator-account-audit = Audit events of this account
operator-methods-title = Payment methods
operator-methods-none = No card, PayPal or bank account is registered; the account pays from its balance.
operator-method-bank = Bank account “{ $label }”
operator-method-unusable = { $method } (no longer usable)
operator-instances-title = Instances
operator-instances-none = No instances yet.
operator-workspace-deleted = { $name } (deleted)
operator-refunds-none = No refunds.
operator-account-all-refunds = All refunds of this account →
operator-ledger-entries = Balance entries
operator-ledger-entries-older = Balance entries (older)
operator-ledger-none-older = No older entries.
operator-ledger-none = Nothing has moved through the balance yet.
operator-ledger-newest = ← Newest entries
operator-ledger-older = Older entries →
ledger-kind-order-payment = Order payment
ledger-kind-balance-top-up = Balance top up
ledger-kind-usage-charge = Usage charge
ledger-kind-refund-succeeded = Refund succeeded
ledger-kind-refund-rerouted = Refund rerouted
ledger-kind-unsubscription-refund = Unsubscription refund
ledger-kind-downgrade-refund = Downgrade refund
ledger-kind-switch-refund = Switch refund
ledger-kind-activation-refund = Activation refund
ledger-kind-activation-benefits-restored = Activation benefits restored

## Audit log

operator-audit-lead = Newest first. Each event carries the hash of the one before it. Times and dates are in the operator view's zone, { $zone }.
operator-audit-actor = Actor
operator-audit-actor-hint = operator, system or an account ID
operator-audit-account-hint = Name or ID: what it did and what was done to it
operator-audit-action = Event type
operator-audit-action-hint = For example order.paid
operator-audit-from = From
operator-audit-from-hint = First day, in { $zone }
operator-audit-to = To
operator-audit-to-hint = Last day, included
operator-audit-clear = Clear filters
operator-audit-no-match = No events match these filters.
operator-audit-none = No events yet.
operator-audit-newest = ← Newest events
operator-audit-older = Older events →
operator-audit-bad-date = The { $field } date “{ $text }” is not a date: write it as year-month-day, for example 2026-05-01.
operator-audit-swapped = The To date is before the From date: swap them or pick another day.
operator-audit-bad-page = The page link is damaged: open the newest events and page from there.
operator-account-unknown = No account is named “{ $text }” or has it as its ID.
operator-account-ambiguous = “{ $text }” fits more than one account ({ $names }): type more of the name, or the account ID.
operator-account-bad-search = The account { $why }.

## Refund policy form

policy-hint-count = A count from 0 to 1000, or none.
policy-hint-window = A span like 5d or 120h, or validity.
policy-hint-span = A span like 150d, 12h or 15m.
policy-invalid = { $field }: { $why }.
