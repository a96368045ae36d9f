-- An account's orders are listed newest first, a page at a time (the order
-- list of the API, its exports): found by account and placing instant.
CREATE INDEX orders_account ON orders(account_id, created_at, id);
