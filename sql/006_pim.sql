-- 006: PIM items (Contacts, Calendar, Tasks, Notes). Each lives in items like a message, with its
-- standard form (iCalendar VCALENDAR / vCard 4, see mod_eas/core/eas_pim.h) instead of a blob,
-- and the columns the sync needs. For PIM classes `received` is the FilterType key, so the one
-- diff query serves every class:
--   Calendar: end of the last occurrence (9999-12-31 for an endless series): FilterType 4..7
--             keeps events that end inside the past window;
--   Tasks:    9999-12-31 while incomplete, the epoch once complete: FilterType 8 (incomplete only)
--             is a cut-off just after the epoch;
--   Contacts, Notes: the creation time (no FilterType applies).
ALTER TABLE items
    ADD COLUMN pim_data  text,          -- the standard form; NULL for mail and tombstones
    ADD COLUMN pim_uid   text,          -- iCalendar UID / vCard UID
    ADD COLUMN pim_start timestamptz,   -- Calendar: first start; Tasks: StartDate
    ADD COLUMN pim_end   timestamptz,   -- Calendar: end of the last occurrence; Tasks: DueDate
    ADD COLUMN complete  boolean NOT NULL DEFAULT false;

-- import/export and meeting look-ups by UID within a folder
CREATE INDEX items_pim_uid ON items (folder_id, pim_uid) WHERE pim_uid IS NOT NULL AND NOT expunged;

-- Sync Supported (MS-ASCMD 2.2.3.168): the elements a device said it carries for a PIM
-- collection ("Contacts:FirstName\n" ...), sent with SyncKey 0. A Change keeps the item's other
-- elements ("ghosted"); NULL: no Supported was sent, a Change replaces the whole item.
ALTER TABLE sync_states ADD COLUMN supported text;
