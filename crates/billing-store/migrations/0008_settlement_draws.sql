-- What a settlement drew from resource plans is kept on the settlement
-- itself, as `plan_id:milli_cu_hours` pairs in plan id order, separated by
-- commas (empty when it drew nothing). A row per draw, checked against the
-- settlement and the plan by foreign key, cost an import more than the
-- settlement it belonged to, and listing settlements read them one
-- settlement at a time.
ALTER TABLE settlements ADD COLUMN draws TEXT NOT NULL DEFAULT '';

UPDATE settlements SET draws = COALESCE((
    SELECT string_agg(plan_id || ':' || CAST(cu_milli AS TEXT), ',' ORDER BY plan_id)
    FROM plan_draws WHERE plan_draws.settlement_id = settlements.id
), '');

DROP TABLE plan_draws;
