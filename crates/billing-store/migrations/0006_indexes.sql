-- Counting an account's full refunds of the year reads only full refunds,
-- however many partial ones the account has had.
DROP INDEX unsubscriptions_account;
CREATE INDEX unsubscriptions_full_refunds ON unsubscriptions(account_id, commodity, full_refund, created_at);
-- Almost every instance is active, so this index never narrowed a search;
-- worse, PostgreSQL's generic plans picked it over the primary key for
-- "this instance, if still in this state" and read every active instance.
DROP INDEX instances_state;
