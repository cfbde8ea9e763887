-- 0004_import: imported key material (issue #7).

-- The wrapping private keys of GetParametersForImport, sealed by the crypto
-- boundary under a domain key. A row is deleted when its import token is
-- used and, by a worker, once it expires.
CREATE TABLE import_parameters (
	key_arn             TEXT NOT NULL REFERENCES keys (arn),
	token_id            TEXT NOT NULL,
	domain_key_id       TEXT NOT NULL REFERENCES domain_keys (id),
	sealed_wrapping_key BLOB NOT NULL,
	creation_date       INTEGER,
	valid_to            INTEGER,
	PRIMARY KEY (key_arn, token_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX import_parameters_valid_to ON import_parameters (valid_to);

-- One import record per key material of an EXTERNAL key. The sealed
-- material itself is the EKT of the backing key with the same material id;
-- while the material is deleted or expired (PENDING_IMPORT) that EKT is
-- empty.
CREATE TABLE key_materials (
	key_arn          TEXT    NOT NULL,
	material_id      TEXT    NOT NULL,
	description      TEXT    NOT NULL,
	import_state     TEXT    NOT NULL CHECK (import_state IN ('IMPORTED', 'PENDING_IMPORT')),
	expiration_model TEXT    NOT NULL,
	valid_to         INTEGER,
	pending_rotation INTEGER NOT NULL CHECK (pending_rotation IN (0, 1)),
	import_date      INTEGER,
	PRIMARY KEY (key_arn, material_id),
	FOREIGN KEY (key_arn, material_id) REFERENCES backing_keys (key_arn, material_id)
) STRICT, WITHOUT ROWID;

-- The expiry worker: imported material that expires, by ValidTo.
CREATE INDEX key_materials_expiry ON key_materials (valid_to)
	WHERE import_state = 'IMPORTED' AND expiration_model = 'KEY_MATERIAL_EXPIRES';
