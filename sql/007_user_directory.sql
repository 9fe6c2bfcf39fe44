-- 007: the accounts as a directory (GAL, UserInformation, local mail routing).
-- Set with `easctl user set`; nothing here is required: a user whose name is an address uses it,
-- a bare name gets name@EASMailDomain.

ALTER TABLE users
    ADD COLUMN display_name text,
    ADD COLUMN email        text,                       -- primary SMTP address
    ADD COLUMN aliases      text[] NOT NULL DEFAULT '{}', -- additional addresses, lower case
    ADD COLUMN first_name   text,
    ADD COLUMN last_name    text,
    ADD COLUMN title        text,
    ADD COLUMN company      text,
    ADD COLUMN office       text,
    ADD COLUMN phone        text,
    ADD COLUMN mobile_phone text,
    ADD COLUMN home_phone   text,
    ADD COLUMN alias        text,                       -- GAL Alias (short name)
    ADD COLUMN picture      bytea,                      -- JPEG, shown in GAL/ResolveRecipients
    ADD COLUMN gal_hidden   boolean NOT NULL DEFAULT false;

-- one owner per address
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX users_aliases ON users USING gin (aliases);
CREATE INDEX users_lower_name ON users (lower(name));
