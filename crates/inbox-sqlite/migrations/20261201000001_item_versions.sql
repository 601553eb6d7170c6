-- Unified inbox, schema 2: versions of vendor items as last stored (a chat's
-- `updatedAt`, a ticket's `updated_at`, a message's `updated_at`), written with the
-- page that stored the item; the sync engine compares them to tell what changed.

CREATE TABLE item_versions (
    marketplace TEXT NOT NULL,
    account     TEXT NOT NULL,
    item        TEXT NOT NULL,
    version     TEXT NOT NULL,
    PRIMARY KEY (marketplace, account, item)
) STRICT, WITHOUT ROWID;
