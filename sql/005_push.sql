-- 005: Direct Push. A device's last Ping parameters (an empty Ping reuses them on any child or
-- server) and its "hold": every Ping or Sync takes the next hold_seq, and if an earlier request of
-- the device may still be held somewhere, a notification 'user:d:device:seq' ends it. Waiters
-- compare the seq in the payload with their own, so a late or duplicate notification never ends
-- the newer request.
CREATE TABLE ping_states (
    device_pk   bigint PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    heartbeat   integer,                   -- seconds, last accepted Ping HeartbeatInterval
    folders     text,                      -- last accepted Ping folders: "id class\n" ...
    hold_seq    bigint NOT NULL DEFAULT 0,
    held        boolean NOT NULL DEFAULT false, -- a request may be waiting (stale after a crash:
                                                -- then one harmless notification is sent)
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A request of device dev (user uid) starts; waiting: it is going to be held (hb, flds: the
-- Ping parameters to remember, NULL keeps them). Ends whatever the device had held before and
-- returns the new seq. One round trip, row-locked, so two Pings of one device racing on two
-- servers get distinct seqs and the older one is told.
CREATE FUNCTION eas_hold_begin(dev bigint, uid bigint, waiting boolean, hb integer DEFAULT NULL,
                               flds text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    was boolean;
    seq bigint;
BEGIN
    IF NOT waiting THEN
        -- a Sync: only touch the row when something is held (a read otherwise)
        UPDATE ping_states SET hold_seq = hold_seq + 1, held = false
         WHERE device_pk = dev AND held RETURNING hold_seq INTO seq;
        IF FOUND THEN
            PERFORM pg_notify('eas_changes', uid || ':d:' || dev || ':' || seq);
        END IF;
        RETURN coalesce(seq, 0);
    END IF;
    INSERT INTO ping_states (device_pk) VALUES (dev) ON CONFLICT (device_pk) DO NOTHING;
    SELECT held INTO was FROM ping_states WHERE device_pk = dev FOR UPDATE;
    UPDATE ping_states SET hold_seq = hold_seq + 1, held = true, updated_at = now(),
           heartbeat = coalesce(hb, heartbeat), folders = coalesce(flds, folders)
     WHERE device_pk = dev RETURNING hold_seq INTO seq;
    IF was THEN
        PERFORM pg_notify('eas_changes', uid || ':d:' || dev || ':' || seq);
    END IF;
    RETURN seq;
END $$;

-- Every Ping and Sync lists the user's folders (a recursive walk from the top level down): the
-- recursive step must find a folder's children by index, not by scanning every user's folders.
-- Also serves ON DELETE CASCADE of a parent folder.
CREATE INDEX folders_parent ON folders (parent_id);
