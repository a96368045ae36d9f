-- The only search of orders by status is the sweep for unpaid orders past
-- their payment window. Indexing every order's status made each change of
-- it (paid, refunded, cancelled) write a new entry into that index; an
-- index of the unpaid orders alone serves the sweep and is left alone by
-- every later change.
DROP INDEX orders_status;
CREATE INDEX orders_unpaid ON orders(created_at, id) WHERE status = 'unpaid';
