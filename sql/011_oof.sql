-- 011: out-of-office (Settings Oof, MS-ASCMD 2.2.1.18) and the automatic replies sent while it is
-- on; the time a device last sent its recovery password (Settings DevicePassword, never the
-- password itself).

CREATE TABLE oof_settings (
    user_id      bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    state        smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)), -- off, global, timed
    start_time   timestamptz,                      -- window for state 2
    end_time     timestamptz,
    -- one message per audience: enabled, text, and whether the text is HTML
    internal_on    boolean NOT NULL DEFAULT false,
    internal_msg   text,
    internal_html  boolean NOT NULL DEFAULT false,
    known_on       boolean NOT NULL DEFAULT false,  -- external senders in the user's contacts
    known_msg      text,
    known_html     boolean NOT NULL DEFAULT false,
    unknown_on     boolean NOT NULL DEFAULT false,  -- every other external sender
    unknown_msg    text,
    unknown_html   boolean NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 2 OR (start_time IS NOT NULL AND end_time IS NOT NULL))
);

-- Who got a reply in the current OOF period (a Set starts a new one by emptying this): at most
-- one per sender, again only after EASOofReplyInterval.
CREATE TABLE oof_replies (
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sender  text NOT NULL,                          -- lower-case address
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, sender)
);

ALTER TABLE devices ADD COLUMN password_recovery_set_at timestamptz;
