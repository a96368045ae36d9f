-- Operators narrow the audit trail by who acted, what was done and when,
-- and by account, which finds the orders (migration 18's index) and charges
-- of an account.
CREATE INDEX audit_events_actor ON audit_events(actor, seq);
CREATE INDEX audit_events_action ON audit_events(action, seq);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX charges_account ON charges(account_id);
