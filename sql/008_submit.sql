-- 008: outgoing mail. A ComposeMail ClientId is sent once: a retried SendMail/SmartReply/
-- SmartForward with the same ClientId (the response was lost) answers Status 118 and sends
-- nothing. Rows are written in the transaction that commits only after the relay accepted the
-- message, so a failed attempt leaves no row and the retry goes out. Rows older than 7 days are
-- purged by eas_submit as it goes.
CREATE TABLE submissions (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id  text NOT NULL,                  -- '' when the server itself submitted
    client_id  text NOT NULL,
    message_id text,
    created    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, device_id, client_id)
);
CREATE INDEX submissions_created ON submissions (created);
