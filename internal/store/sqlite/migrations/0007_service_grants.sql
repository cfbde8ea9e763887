-- 0007_service_grants: grants for AWS service principals (KMS API model
-- 2026-05-20). A grant names its grantee either by principal ARN
-- (grantee_principal) or by service principal (grantee_service_principal);
-- the other column is ''. Likewise for the retiring principal. source_arn
-- is the SourceArn grant constraint, NULL when absent.

ALTER TABLE grants ADD COLUMN grantee_service_principal TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN retiring_service_principal TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN source_arn TEXT;

-- ListRetirableGrants by retiring service principal.
CREATE INDEX grants_retiring_service ON grants (retiring_service_principal, key_arn, grant_id);
