-- 0002_management: the management plane of KMS keys (aliases, rotation,
-- last usage).

-- Automatic rotation settings and on-demand rotation bookkeeping.
ALTER TABLE keys ADD COLUMN rotation_enabled INTEGER NOT NULL DEFAULT 0 CHECK (rotation_enabled IN (0, 1));
ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN next_rotation_date INTEGER;
ALTER TABLE keys ADD COLUMN on_demand_rotation_start INTEGER;
ALTER TABLE keys ADD COLUMN on_demand_rotations INTEGER NOT NULL DEFAULT 0;

-- Which rotation made a backing key: '' for the key's first material,
-- AUTOMATIC or ON_DEMAND.
ALTER TABLE backing_keys ADD COLUMN rotation_type TEXT NOT NULL DEFAULT '';

CREATE TABLE aliases (
	account           TEXT NOT NULL,
	region            TEXT NOT NULL,
	name              TEXT NOT NULL,
	target_key_arn    TEXT NOT NULL REFERENCES keys (arn),
	creation_date     INTEGER,
	last_updated_date INTEGER,
	PRIMARY KEY (account, region, name)
) STRICT, WITHOUT ROWID;

CREATE INDEX aliases_target_key_arn ON aliases (target_key_arn);

-- Last cryptographic use of each key (GetKeyLastUsage), written in batches.
CREATE TABLE key_last_usage (
	key_arn    TEXT NOT NULL PRIMARY KEY REFERENCES keys (arn),
	operation  TEXT NOT NULL,
	timestamp  INTEGER,
	request_id TEXT NOT NULL
) STRICT, WITHOUT ROWID;
