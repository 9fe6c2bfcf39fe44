-- 003: a retried policy acknowledgement (the response with the final key was lost) gets the same
-- final key again instead of "wrong key": remember which temporary key the final key answered.
ALTER TABLE devices ADD COLUMN acked_policy_key bigint;
