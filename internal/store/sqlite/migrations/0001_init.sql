-- 0001_init: keyhold's first schema.
--
-- Conventions:
--   * Times are INTEGER Unix nanoseconds in UTC; NULL is the zero time.
--   * Blobs (EKTs, wrapped domain keys, sealed secrets) are already sealed by
--     the crypto boundary; they are stored as BLOB and never logged.
--   * Tables are STRICT so a bug cannot store a value of the wrong type.
--   * Text comparisons use SQLite's BINARY collation (byte order), which is
--     the order ListKeys pages in.
--   * No ON DELETE CASCADE anywhere: deleting key material must be explicit.

CREATE TABLE keys (
	arn                    TEXT    NOT NULL PRIMARY KEY,
	id                     TEXT    NOT NULL,
	account                TEXT    NOT NULL,
	region                 TEXT    NOT NULL,
	description            TEXT    NOT NULL,
	key_usage              TEXT    NOT NULL,
	key_spec               TEXT    NOT NULL,
	origin                 TEXT    NOT NULL,
	state                  TEXT    NOT NULL,
	multi_region           INTEGER NOT NULL CHECK (multi_region IN (0, 1)),
	policy                 TEXT    NOT NULL,
	creation_date          INTEGER,
	deletion_date          INTEGER,
	pending_window_in_days INTEGER NOT NULL,
	current_material_id    TEXT    NOT NULL
) STRICT;

-- ListKeys: WHERE account = ? AND region = ? AND id > ? ORDER BY id.
-- Unique because the ARN is derived from these three.
CREATE UNIQUE INDEX keys_account_region_id ON keys (account, region, id);

CREATE TABLE tags (
	key_arn   TEXT NOT NULL REFERENCES keys (arn),
	tag_key   TEXT NOT NULL,
	tag_value TEXT NOT NULL,
	PRIMARY KEY (key_arn, tag_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE domain_keys (
	id            TEXT NOT NULL PRIMARY KEY,
	region        TEXT NOT NULL,
	wrapped       BLOB NOT NULL,
	creation_date INTEGER
) STRICT;

-- A backing key references the domain key its EKT is sealed under, so a
-- domain key cannot disappear while an EKT still needs it.
CREATE TABLE backing_keys (
	key_arn       TEXT NOT NULL REFERENCES keys (arn),
	material_id   TEXT NOT NULL,
	domain_key_id TEXT NOT NULL REFERENCES domain_keys (id),
	ekt           BLOB NOT NULL,
	creation_date INTEGER,
	PRIMARY KEY (key_arn, material_id)
) STRICT;

CREATE INDEX backing_keys_domain_key_id ON backing_keys (domain_key_id);

CREATE TABLE accounts (
	id            TEXT NOT NULL PRIMARY KEY,
	creation_date INTEGER
) STRICT;

CREATE TABLE access_keys (
	id            TEXT NOT NULL PRIMARY KEY,
	account       TEXT NOT NULL,
	principal_arn TEXT NOT NULL,
	sealed_secret BLOB NOT NULL,
	status        TEXT NOT NULL,
	creation_date INTEGER
) STRICT;
