-- 0006_grants: KMS grants (issue #6). Operations and the encryption
-- context constraints are JSON; a constraint column is NULL when absent.

CREATE TABLE grants (
	key_arn                    TEXT NOT NULL REFERENCES keys (arn),
	grant_id                   TEXT NOT NULL,
	name                       TEXT NOT NULL,
	grantee_principal          TEXT NOT NULL,
	retiring_principal         TEXT NOT NULL,
	issuing_account            TEXT NOT NULL,
	operations                 TEXT NOT NULL,
	encryption_context_equals  TEXT,
	encryption_context_subset  TEXT,
	creation_date              INTEGER,
	PRIMARY KEY (key_arn, grant_id)
) STRICT;

-- ListRetirableGrants by retiring principal.
CREATE INDEX grants_retiring ON grants (retiring_principal, key_arn, grant_id);
