-- 0005_custom_key_stores: external key stores (issue #10), both ways.
--
-- keyhold as an XKS client: custom key stores (an XKS proxy per store) and
-- the link from each KMS key in such a store to its external key.
-- keyhold as an XKS proxy: the external keys it serves, AES-256 backing
-- keys sealed as EKTs like every other backing key.

CREATE TABLE custom_key_stores (
	id                         TEXT NOT NULL PRIMARY KEY,
	account                    TEXT NOT NULL,
	region                     TEXT NOT NULL,
	name                       TEXT NOT NULL,
	type                       TEXT NOT NULL,
	connection_state           TEXT NOT NULL,
	connection_error_code      TEXT NOT NULL,
	creation_date              INTEGER,
	xks_connectivity           TEXT NOT NULL,
	xks_uri_endpoint           TEXT NOT NULL,
	xks_uri_path               TEXT NOT NULL,
	xks_vpc_service_name       TEXT NOT NULL,
	xks_vpc_service_owner      TEXT NOT NULL,
	xks_access_key_id          TEXT NOT NULL,
	xks_sealed_secret          BLOB NOT NULL
) STRICT;

-- DescribeCustomKeyStores pages by id within (account, region); names and
-- proxy URIs are unique there (CustomKeyStoreNameInUseException,
-- XksProxyUriInUseException).
CREATE UNIQUE INDEX custom_key_stores_account_region_id ON custom_key_stores (account, region, id);
CREATE UNIQUE INDEX custom_key_stores_name ON custom_key_stores (account, region, name);
CREATE UNIQUE INDEX custom_key_stores_uri ON custom_key_stores (account, region, xks_uri_endpoint, xks_uri_path);

-- One row per KMS key in a custom key store. available_state is the state
-- the key returns to when its disconnected store connects again ('' while
-- the key is not Unavailable).
CREATE TABLE custom_key_store_keys (
	key_arn             TEXT NOT NULL PRIMARY KEY REFERENCES keys (arn),
	custom_key_store_id TEXT NOT NULL REFERENCES custom_key_stores (id),
	xks_key_id          TEXT NOT NULL,
	available_state     TEXT NOT NULL DEFAULT ''
) STRICT;

-- An external key backs at most one KMS key of a store
-- (XksKeyAlreadyInUseException); the index also serves the store's key list.
CREATE UNIQUE INDEX custom_key_store_keys_xks_key ON custom_key_store_keys (custom_key_store_id, xks_key_id);

-- External keys of keyhold's XKS proxy, by logical key store and external
-- key id. The backing key is stored here, not in backing_keys, which
-- belongs to KMS keys.
CREATE TABLE xks_keys (
	key_store     TEXT    NOT NULL,
	id            TEXT    NOT NULL,
	allow_encrypt INTEGER NOT NULL CHECK (allow_encrypt IN (0, 1)),
	allow_decrypt INTEGER NOT NULL CHECK (allow_decrypt IN (0, 1)),
	enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	creation_date INTEGER,
	key_arn       TEXT    NOT NULL UNIQUE,
	material_id   TEXT    NOT NULL,
	domain_key_id TEXT    NOT NULL REFERENCES domain_keys (id),
	ekt           BLOB    NOT NULL,
	PRIMARY KEY (key_store, id)
) STRICT, WITHOUT ROWID;
