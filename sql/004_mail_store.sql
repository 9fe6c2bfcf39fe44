-- 004: the default store ("pgstore") — folders, items with a per-user change sequence and
-- tombstones, MIME bodies stored once — and the per-device sync state that makes every SyncKey
-- replayable.
--
-- The model is IMAP's on purpose (UIDVALIDITY, UID, MODSEQ, flags), so an IMAP provider maps onto
-- the same sync-state tables: an item is (folder, uid); a change is a higher modseq; a deletion is
-- a tombstone (pgstore) or a vanished UID (IMAP QRESYNC).

-- Per-user change counter: every write to a user's folders or items takes the next value, under
-- the users row lock, so one user's writers serialise and modseqs never go backwards.
ALTER TABLE users ADD COLUMN modseq bigint NOT NULL DEFAULT 0;

CREATE TABLE folders (
    id          bigserial PRIMARY KEY,             -- the EAS ServerId, stable across renames
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id   bigint REFERENCES folders(id) ON DELETE CASCADE,
    name        text NOT NULL,
    type        smallint NOT NULL,                 -- FolderHierarchy Type (2 Inbox, 12 user mail, ...)
    special     text,                              -- 'inbox', 'drafts', ... for default folders
    uidvalidity bigint NOT NULL DEFAULT 1,
    uidnext     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (name <> '' AND length(name) <= 255)
);
CREATE UNIQUE INDEX folders_unique_name ON folders (user_id, coalesce(parent_id, 0), lower(name));
CREATE UNIQUE INDEX folders_special ON folders (user_id, special) WHERE special IS NOT NULL;

-- MIME bytes exactly as delivered, once per distinct content (SHA-256), with what EAS needs
-- derived at delivery so a Sync never parses MIME.
CREATE TABLE blobs (
    hash        bytea PRIMARY KEY,
    size        bigint NOT NULL,
    mime        bytea NOT NULL,
    body_text   text NOT NULL DEFAULT '',
    body_html   text,
    native_type smallint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_attachments (
    hash         bytea NOT NULL REFERENCES blobs(hash) ON DELETE CASCADE,
    idx          int NOT NULL,                     -- eas_mime numbering, part of FileReference
    filename     text NOT NULL,
    content_type text NOT NULL,
    content_id   text,
    is_inline    boolean NOT NULL DEFAULT false,
    size         bigint NOT NULL,
    PRIMARY KEY (hash, idx)
);

CREATE TABLE items (
    id             bigserial PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    folder_id      bigint NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid            bigint NOT NULL,
    modseq         bigint NOT NULL,
    expunged       boolean NOT NULL DEFAULT false, -- tombstone: kept so changes can be told
    class          text NOT NULL DEFAULT 'Email',
    blob_hash      bytea REFERENCES blobs(hash),
    received       timestamptz NOT NULL DEFAULT now(),
    size           bigint NOT NULL DEFAULT 0,
    subject        text,
    from_addr      text,
    to_addr        text,
    cc_addr        text,
    reply_to       text,
    display_to     text,
    thread_topic   text,
    message_id     text,
    importance     smallint NOT NULL DEFAULT 1,
    message_class  text NOT NULL DEFAULT 'IPM.Note',
    preview        text,
    has_attachments boolean NOT NULL DEFAULT false,
    -- flags (IMAP: \Seen, \Flagged, keywords, \Answered/$Forwarded)
    seen           boolean NOT NULL DEFAULT false,
    flag_status    smallint NOT NULL DEFAULT 0,    -- 0 clear, 1 complete, 2 active
    flag_type      text,
    flag_start     timestamptz,
    flag_due       timestamptz,
    flag_completed timestamptz,
    categories     text[] NOT NULL DEFAULT '{}',
    last_verb      smallint NOT NULL DEFAULT 0,    -- 1 reply, 2 reply all, 3 forward
    last_verb_time timestamptz,
    delivered_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (folder_id, uid)
);
CREATE INDEX items_live ON items (folder_id, received DESC, uid DESC) WHERE NOT expunged;
CREATE INDEX items_changes ON items (folder_id, modseq);
CREATE INDEX items_blob ON items (blob_hash);

-- Every write a device must see wakes its Pings (issue 6 listens): one notification per user and
-- folder per transaction (PostgreSQL folds identical payloads).
CREATE FUNCTION eas_notify_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eas_changes', NEW.user_id || ':' || NEW.folder_id);
    RETURN NULL;
END $$;
CREATE TRIGGER items_notify AFTER INSERT OR UPDATE ON items
    FOR EACH ROW EXECUTE FUNCTION eas_notify_item();

CREATE FUNCTION eas_notify_folder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('eas_changes', coalesce(NEW.user_id, OLD.user_id) || ':hierarchy');
    RETURN NULL;
END $$;
CREATE TRIGGER folders_notify AFTER INSERT OR DELETE OR UPDATE OF name, parent_id ON folders
    FOR EACH ROW EXECUTE FUNCTION eas_notify_folder();

-- --- sync state ----------------------------------------------------------------------------
-- A device's view of the hierarchy: what it was last told (so a diff says exactly what changed)
-- plus the changes sent with the current key, applied only when the device uses that key. The
-- previous key stays valid: a retry recomputes from the unchanged view and gets the same answer.
CREATE TABLE folder_sync_states (
    device_pk   bigint PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    sync_key    bigint NOT NULL,
    prev_key    bigint,
    pending     text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE folder_sync_items (
    device_pk   bigint NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    folder_id   bigint NOT NULL,                   -- no FK: a deleted folder must stay visible here
    parent_id   bigint,
    name        text NOT NULL,
    type        smallint NOT NULL,
    PRIMARY KEY (device_pk, folder_id)
);

CREATE TABLE sync_states (
    device_pk   bigint NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    folder_id   bigint NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    sync_key    text NOT NULL,
    prev_key    text,
    pending     text NOT NULL DEFAULT '',          -- "A uid modseq\n", "D uid\n", ...
    uidvalidity bigint NOT NULL,
    filter_type smallint NOT NULL DEFAULT 0,
    seen_modseq bigint NOT NULL DEFAULT -1,        -- folder modseq when nothing was left to send
    -- changes and deletions up to this modseq are reflected in view + pending (per key, so a
    -- retry with the previous key uses the value that belongs to its view)
    checked_modseq      bigint NOT NULL DEFAULT 0,
    prev_checked_modseq bigint NOT NULL DEFAULT 0,
    -- every live item in the FilterType window up to this modseq is held or pending (-1: not
    -- known, walk the folder); new mail then costs O(new), not O(folder)
    added_modseq        bigint NOT NULL DEFAULT -1,
    prev_added_modseq   bigint NOT NULL DEFAULT -1,
    options     text,                              -- last Options sent (they persist, MS-ASCMD)
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_pk, folder_id)
);

-- What each device holds of each folder, and at which modseq.
CREATE TABLE sync_items (
    device_pk   bigint NOT NULL,
    folder_id   bigint NOT NULL,
    uid         bigint NOT NULL,
    modseq      bigint NOT NULL,
    PRIMARY KEY (device_pk, folder_id, uid),
    FOREIGN KEY (device_pk, folder_id) REFERENCES sync_states (device_pk, folder_id)
        ON DELETE CASCADE
);

-- A retried client Add (same ClientId) must never create a second item.
CREATE TABLE sync_client_ids (
    device_pk   bigint NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    folder_id   bigint NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    client_id   text NOT NULL,
    uid         bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_pk, folder_id, client_id)
);

-- The last complete Sync request per device: an empty or Partial Sync means "the same again".
CREATE TABLE sync_last_request (
    device_pk   bigint PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    body        bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
