-- 0003_identity: IAM users and roles, their identity policies, access key
-- ownership and last use, and STS session credentials.
--
-- Names of users, roles and managed policies are unique per account without
-- regard to ASCII case, as in IAM: *_key columns hold the name folded to
-- lower case (IAM names are ASCII) and carry the uniqueness; the name
-- column keeps the case it was created with.
--
-- Tags are stored as a JSON array of {"Key","Value"} objects in the row of
-- the entity they tag: they are always read and written whole, and a tag
-- update is a compare-and-swap on that column.

ALTER TABLE accounts ADD COLUMN name TEXT NOT NULL DEFAULT '';

CREATE TABLE users (
	account       TEXT NOT NULL,
	name_key      TEXT NOT NULL,
	name          TEXT NOT NULL,
	arn           TEXT NOT NULL UNIQUE,
	id            TEXT NOT NULL UNIQUE,
	path          TEXT NOT NULL,
	creation_date INTEGER,
	tags          TEXT NOT NULL,
	PRIMARY KEY (account, name_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE roles (
	account              TEXT    NOT NULL,
	name_key             TEXT    NOT NULL,
	name                 TEXT    NOT NULL,
	arn                  TEXT    NOT NULL UNIQUE,
	id                   TEXT    NOT NULL UNIQUE,
	path                 TEXT    NOT NULL,
	description          TEXT    NOT NULL,
	assume_role_policy   TEXT    NOT NULL,
	max_session_duration INTEGER NOT NULL,
	creation_date        INTEGER,
	tags                 TEXT    NOT NULL,
	PRIMARY KEY (account, name_key)
) STRICT, WITHOUT ROWID;

-- The user an access key belongs to. Keys made before this migration
-- belonged to the first-start admin, arn:aws:iam::<account>:user/<name>
-- without a path; the server creates that user's record at start.
ALTER TABLE access_keys ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE access_keys ADD COLUMN user_key TEXT NOT NULL DEFAULT '';
ALTER TABLE access_keys ADD COLUMN last_used_date INTEGER;
ALTER TABLE access_keys ADD COLUMN last_used_service TEXT NOT NULL DEFAULT '';
ALTER TABLE access_keys ADD COLUMN last_used_region TEXT NOT NULL DEFAULT '';

UPDATE access_keys
SET user_name = substr(principal_arn, instr(principal_arn, ':user/') + 6),
    user_key  = lower(substr(principal_arn, instr(principal_arn, ':user/') + 6))
WHERE instr(principal_arn, ':user/') > 0;

CREATE INDEX access_keys_user ON access_keys (account, user_key);

-- Temporary credentials from STS AssumeRole. The secret is sealed by the
-- crypto boundary; of the session token only its SHA-256 is kept.
CREATE TABLE sessions (
	access_key_id       TEXT NOT NULL PRIMARY KEY,
	account             TEXT NOT NULL,
	sealed_secret       BLOB NOT NULL,
	token_hash          BLOB NOT NULL,
	role_arn            TEXT NOT NULL,
	role_id             TEXT NOT NULL,
	role_name           TEXT NOT NULL,
	session_name        TEXT NOT NULL,
	source_identity     TEXT NOT NULL,
	source_arn          TEXT NOT NULL,
	tags                TEXT NOT NULL,
	transitive_tag_keys TEXT NOT NULL,
	policy              TEXT NOT NULL,
	policy_arns         TEXT NOT NULL,
	creation_date       INTEGER,
	expiration          INTEGER
) STRICT;

CREATE INDEX sessions_expiration ON sessions (expiration);

CREATE TABLE inline_policies (
	account     TEXT NOT NULL,
	entity_type TEXT NOT NULL CHECK (entity_type IN ('user', 'role')),
	entity_key  TEXT NOT NULL,
	entity_name TEXT NOT NULL,
	name        TEXT NOT NULL,
	document    TEXT NOT NULL,
	PRIMARY KEY (account, entity_type, entity_key, name)
) STRICT, WITHOUT ROWID;

-- Customer managed policies (account = the account id) and AWS managed
-- policies (account = 'aws'). One version each.
CREATE TABLE managed_policies (
	arn                TEXT NOT NULL PRIMARY KEY,
	id                 TEXT NOT NULL UNIQUE,
	account            TEXT NOT NULL,
	name_key           TEXT NOT NULL,
	name               TEXT NOT NULL,
	path               TEXT NOT NULL,
	description        TEXT NOT NULL,
	document           TEXT NOT NULL,
	default_version_id TEXT NOT NULL,
	creation_date      INTEGER,
	update_date        INTEGER,
	tags               TEXT NOT NULL,
	UNIQUE (account, name_key)
) STRICT;

CREATE TABLE policy_attachments (
	account     TEXT NOT NULL,
	entity_type TEXT NOT NULL CHECK (entity_type IN ('user', 'role')),
	entity_key  TEXT NOT NULL,
	policy_arn  TEXT NOT NULL REFERENCES managed_policies (arn),
	PRIMARY KEY (account, entity_type, entity_key, policy_arn)
) STRICT, WITHOUT ROWID;

CREATE INDEX policy_attachments_policy_arn ON policy_attachments (policy_arn);
