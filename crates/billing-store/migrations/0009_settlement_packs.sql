-- The settlements one import makes for one workspace and UTC day are kept
-- together in one row, a pack: what they share (workspace, account,
-- currency, when they were settled) once, and one line of text per hour.
-- A metering feed settles each workspace every hour, so a row per
-- settlement cost an import one row and two index entries per record; a
-- pack costs that once per workspace and day.
--
-- `lines`: settlements separated by ';', each the fields
--   hour-of-day adjustment usage covered pay-as-you-go bill charge draws
-- separated by single spaces, CU-hours in thousandths, the bill in
-- thousandths of the major unit, the charge in minor units, and the draws
-- as `plan_id:milli` pairs in plan id order separated by commas (empty
-- when the hour drew nothing). `hours_mask` has bit n set when a line
-- settles the hour starting n hours into the day.
--
-- A settlement's id is the pack's id, a dot and its hour of day as two
-- digits. Settlements made before packs keep their ids: each becomes a
-- pack of one line whose id is the pack's (`own_id` = 1).
--
-- The packs of a workspace, found by day, also answer what
-- `settlement_days` answered (its newest settled hour, the days to list),
-- so that table goes. `(x % d + d) % d` is the remainder that is never
-- negative, as the store computes it.
CREATE TABLE settlement_packs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    day_start BIGINT NOT NULL,
    hours_mask BIGINT NOT NULL,
    currency TEXT NOT NULL,
    settled_at BIGINT NOT NULL,
    own_id BIGINT NOT NULL,
    lines TEXT NOT NULL
);

INSERT INTO settlement_packs
    (id, workspace_id, account_id, day_start, hours_mask, currency, settled_at, own_id, lines)
SELECT id, workspace_id, account_id,
       hour_start - (hour_start % 86400000000 + 86400000000) % 86400000000,
       CAST(1 AS BIGINT) << CAST((hour_start % 86400000000 + 86400000000) % 86400000000 / 3600000000 AS INTEGER),
       currency, settled_at, 1,
       CAST((hour_start % 86400000000 + 86400000000) % 86400000000 / 3600000000 AS TEXT)
           || ' ' || CAST(adjustment AS TEXT) || ' ' || CAST(usage_milli AS TEXT)
           || ' ' || CAST(covered_milli AS TEXT) || ' ' || CAST(payg_milli AS TEXT)
           || ' ' || CAST(bill_milli_major AS TEXT) || ' ' || CAST(charge_minor AS TEXT) || ' ' || draws
FROM settlements;

DROP TABLE settlements;

DROP TABLE settlement_days;

CREATE INDEX settlement_packs_day ON settlement_packs(workspace_id, day_start);
