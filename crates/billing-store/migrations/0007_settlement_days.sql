-- Settlements are found by hour first: a metering feed settles every
-- workspace for the same few hours, so rows keyed by hour are appended at
-- the end of the index, where keying them by workspace sent each batch's
-- rows to as many places in it as it had workspaces.
--
-- What a workspace's settlements need read by workspace (its newest settled
-- hour, the hours to list) comes from one small row per workspace and UTC
-- day: the day's start and a mask of its settled hours (bit n for the hour
-- starting n hours into the day). Hours are whole, so each hour's bit is
-- summed once and the sum of distinct bits is their union. `(x % d + d) % d`
-- is the remainder that is never negative, as the store computes it.
CREATE TABLE settlement_days (
    workspace_id TEXT NOT NULL,
    day_start BIGINT NOT NULL,
    hours_mask BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, day_start)
);

INSERT INTO settlement_days (workspace_id, day_start, hours_mask)
SELECT workspace_id, hour_start - (hour_start % 86400000000 + 86400000000) % 86400000000,
       SUM(DISTINCT CAST(1 AS BIGINT)
           << CAST((hour_start % 86400000000 + 86400000000) % 86400000000 / 3600000000 AS INTEGER))
FROM settlements
GROUP BY workspace_id, hour_start - (hour_start % 86400000000 + 86400000000) % 86400000000;

DROP INDEX settlements_hour;

CREATE INDEX settlements_hour ON settlements(hour_start, workspace_id);
