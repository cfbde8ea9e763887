package keyhold

import (
	"context"
	"time"
)

// Grant is a KMS grant: permission for a grantee principal to use a key
// in the listed operations, optionally only with some encryption context.
// docs/authorization.md describes how grants take part in decisions.
type Grant struct {
	KeyARN  string
	GrantID string
	// Name is the optional name given at creation; CreateGrant with the
	// same name, key, principals, operations and constraints returns the
	// existing grant.
	Name string
	// GranteePrincipal is the grantee's ARN; GranteeServicePrincipal the
	// grantee's AWS service principal (such as "logs.amazonaws.com").
	// Exactly one of them is set.
	GranteePrincipal        string
	GranteeServicePrincipal string
	// RetiringPrincipal and RetiringServicePrincipal: at most one is set.
	RetiringPrincipal        string
	RetiringServicePrincipal string
	// IssuingAccount is the root ARN of the account that created it.
	IssuingAccount string
	Operations     []string
	// EncryptionContextEquals and EncryptionContextSubset are the grant
	// constraints; nil when absent.
	EncryptionContextEquals map[string]string
	EncryptionContextSubset map[string]string
	// SourceArn is the SourceArn grant constraint; "" when absent.
	SourceArn    string
	CreationDate time.Time
}

// GrantStore persists grants.
type GrantStore interface {
	// CreateGrant inserts g (ErrConflict for a duplicate grant id; ErrNotFound
	// when the key does not exist).
	CreateGrant(ctx context.Context, g *Grant) error
	// GetGrant returns one grant of a key.
	GetGrant(ctx context.Context, keyARN, grantID string) (*Grant, error)
	// ListGrants returns up to limit grants of a key whose id sorts after
	// afterID, in ascending order of id.
	ListGrants(ctx context.Context, keyARN, afterID string, limit int) ([]*Grant, error)
	// CountGrants returns the number of grants of a key.
	CountGrants(ctx context.Context, keyARN string) (int, error)
	// ListRetirableGrants returns up to limit grants whose retiring
	// principal or retiring service principal is principal (the two never
	// collide: one is an ARN, the other a dotted service name), ordered by (key ARN, grant id), after the
	// position (afterKeyARN, afterID).
	ListRetirableGrants(ctx context.Context, principal, afterKeyARN, afterID string, limit int) ([]*Grant, error)
	// DeleteGrant removes a grant (ErrNotFound if it does not exist).
	DeleteGrant(ctx context.Context, keyARN, grantID string) error
}
