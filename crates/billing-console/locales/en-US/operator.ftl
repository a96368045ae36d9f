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
