-- Unified inbox, schema 1. Times are UTC text `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`
-- (fixed width, so text order is time order). Natural keys are the vendor's ids.

CREATE TABLE threads (
    thread_key     TEXT PRIMARY KEY,  -- ThreadId text form (marketplace:account:vendor id)
    marketplace    TEXT NOT NULL,
    account        TEXT NOT NULL,
    order_id       TEXT,
    order_number   TEXT,
    has_order      INTEGER NOT NULL,
    subject        TEXT,
    status_kind    TEXT NOT NULL,
    status_raw     TEXT,
    unread         INTEGER NOT NULL,
    last_activity  TEXT,
    awaiting_since TEXT,              -- oldest unanswered buyer message; NULL: nothing awaits
    stored_at      TEXT NOT NULL
) STRICT;
CREATE INDEX threads_awaiting ON threads (awaiting_since) WHERE awaiting_since IS NOT NULL;
CREATE INDEX threads_account ON threads (marketplace, account);

CREATE TABLE messages (
    thread_key  TEXT NOT NULL REFERENCES threads (thread_key),
    message_id  TEXT NOT NULL,        -- v:<vendor id> or s:<sha-256> (synthetic)
    author      TEXT NOT NULL,
    text        TEXT,
    attachments TEXT NOT NULL,        -- JSON array
    created_at  TEXT NOT NULL,
    read_at     TEXT,
    raw         TEXT NOT NULL,        -- vendor JSON; 'null' once purged
    purged_at   TEXT,                 -- set by retention: text/attachments/raw stay blank
    PRIMARY KEY (thread_key, message_id)
) STRICT;
CREATE INDEX messages_by_time ON messages (thread_key, created_at);
CREATE INDEX messages_created ON messages (created_at);

CREATE TABLE checkpoints (
    marketplace TEXT NOT NULL,
    account     TEXT NOT NULL,
    stream      TEXT NOT NULL,
    value       TEXT NOT NULL,        -- JSON
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (marketplace, account, stream)
) STRICT;

-- Change feed: AUTOINCREMENT never reuses a cursor; SQLite has one writer at a time,
-- so cursors are also in commit order (a poller never misses a smaller late cursor).
CREATE TABLE changes (
    cursor       INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_key   TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('new_buyer_message', 'status_changed')),
    message_id   TEXT,
    from_kind    TEXT,
    from_raw     TEXT,
    to_kind      TEXT,
    to_raw       TEXT,
    recorded_at  TEXT NOT NULL
) STRICT;

CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_key        TEXT NOT NULL,
    text              TEXT,
    attachments       TEXT NOT NULL,  -- JSON array
    last_seen         TEXT,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'unknown', 'failed')),
    vendor_message_id TEXT,
    error             TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    purged_at         TEXT
) STRICT;
CREATE INDEX outbox_by_state ON outbox (state, id);

-- The outbox state machine, enforced by the database as well as by the code.
CREATE TRIGGER outbox_transition BEFORE UPDATE OF state ON outbox
WHEN NEW.state <> OLD.state
 AND NOT ((OLD.state = 'pending' AND NEW.state IN ('sent', 'unknown', 'failed'))
       OR (OLD.state = 'unknown' AND NEW.state IN ('sent', 'failed')))
BEGIN
    SELECT RAISE(ABORT, 'illegal outbox transition');
END;
CREATE TRIGGER outbox_insert_pending BEFORE INSERT ON outbox
WHEN NEW.state <> 'pending'
BEGIN
    SELECT RAISE(ABORT, 'outbox entries start pending');
END;
