-- Unified inbox, schema 3: a reply's reconciliation looks at its own thread's sent
-- replies (which vendor messages they already claim), not at every reply ever sent.

CREATE INDEX outbox_by_thread ON outbox (thread_key, state, id);
