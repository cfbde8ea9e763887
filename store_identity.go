package keyhold

import (
	"context"
	"time"
)

// IdentityStore keeps accounts, IAM users and roles, their credentials and
// their identity policies.
//
// User, role and managed policy names are unique within an account without
// regard to ASCII case (IAM's rule: "Alice" and "alice" cannot both exist),
// and the Get and Delete methods find them the same way; the stored name
// keeps the case it was created with. Lists sort by that case-folded name
// (policies by ARN), in byte order.
//
// Referential rules the store enforces inside its transactions, so that no
// race can leave a credential or policy pointing at nothing: a user with
// access keys, inline policies or attached policies cannot be deleted, nor a
// role with inline or attached policies, nor a managed policy that is
// attached (all ErrConflict); inline policies, attachments and access keys
// with a UserName need their user, role or policy to exist (ErrNotFound).
type IdentityStore interface {
	// CreateAccount inserts an account (ErrConflict if it exists).
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns an account.
	GetAccount(ctx context.Context, id string) (*Account, error)
	// ListAccounts returns every account in ascending id order.
	ListAccounts(ctx context.Context) ([]*Account, error)

	UserStore
	RoleStore
	CredentialStore
	PolicyStore
}

// UserStore keeps IAM users.
type UserStore interface {
	// CreateUser inserts a user with its tags (ErrConflict if the name or
	// the ARN exists in the account).
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user name of account.
	GetUser(ctx context.Context, account, name string) (*User, error)
	// ListUsers returns up to limit users of account whose path starts with
	// pathPrefix, whose case-folded name sorts after afterName (all when
	// ""), in ascending case-folded name order. limit must be at least 1.
	ListUsers(ctx context.Context, account, pathPrefix, afterName string, limit int) ([]*User, error)
	// UpdateUserTags replaces the user's tags with tags if they are still
	// old (compared in order), and returns ErrConflict if they are not, so
	// two concurrent tag updates cannot lose one.
	UpdateUserTags(ctx context.Context, account, name string, old, tags []Tag) error
	// DeleteUser removes a user and its tags. ErrConflict if it still has
	// access keys, inline policies or attached policies.
	DeleteUser(ctx context.Context, account, name string) error
}

// RoleStore keeps IAM roles.
type RoleStore interface {
	// CreateRole inserts a role with its tags (ErrConflict if the name or
	// the ARN exists in the account).
	CreateRole(ctx context.Context, r *Role) error
	// GetRole returns the role name of account.
	GetRole(ctx context.Context, account, name string) (*Role, error)
	// ListRoles is ListUsers for roles.
	ListRoles(ctx context.Context, account, pathPrefix, afterName string, limit int) ([]*Role, error)
	// UpdateRoleTags is UpdateUserTags for roles.
	UpdateRoleTags(ctx context.Context, account, name string, old, tags []Tag) error
	// UpdateAssumeRolePolicy replaces the role's trust policy.
	UpdateAssumeRolePolicy(ctx context.Context, account, name, document string) error
	// DeleteRole removes a role and its tags. ErrConflict if it still has
	// inline or attached policies.
	DeleteRole(ctx context.Context, account, name string) error
}

// CredentialStore keeps long-term access keys and temporary session
// credentials.
type CredentialStore interface {
	// CreateAccessKey inserts an access key (ErrConflict if the id exists;
	// ErrNotFound if UserName is set and the user does not exist).
	CreateAccessKey(ctx context.Context, ak *AccessKey) error
	// GetAccessKey returns an access key by its id.
	GetAccessKey(ctx context.Context, id string) (*AccessKey, error)
	// ListAccessKeys returns the access keys of a user, oldest first
	// (ties by id).
	ListAccessKeys(ctx context.Context, account, userName string) ([]*AccessKey, error)
	// UpdateAccessKeyStatus sets an access key's status.
	UpdateAccessKeyStatus(ctx context.Context, id, status string) error
	// RecordAccessKeyUse sets an access key's last use.
	RecordAccessKeyUse(ctx context.Context, id string, when time.Time, service, region string) error
	// DeleteAccessKey removes an access key.
	DeleteAccessKey(ctx context.Context, id string) error

	// CreateSession inserts temporary credentials (ErrConflict if the
	// access key id exists).
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns temporary credentials by access key id.
	GetSession(ctx context.Context, accessKeyID string) (*Session, error)
	// DeleteExpiredSessions removes every session that expired before t and
	// returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error)
}

// PolicyStore keeps inline and managed identity policies and the
// attachments of managed policies to users and roles.
type PolicyStore interface {
	// PutInlinePolicy inserts or replaces an inline policy (ErrNotFound if
	// its user or role does not exist). Policy names are matched
	// case-sensitively, as IAM does for inline policies.
	PutInlinePolicy(ctx context.Context, p *InlinePolicy) error
	// GetInlinePolicy returns one inline policy of a user or role.
	GetInlinePolicy(ctx context.Context, account, entityType, entityName, name string) (*InlinePolicy, error)
	// ListInlinePolicies returns the inline policies of a user or role
	// sorted by name (ErrNotFound if the entity does not exist).
	ListInlinePolicies(ctx context.Context, account, entityType, entityName string) ([]*InlinePolicy, error)
	// DeleteInlinePolicy removes an inline policy.
	DeleteInlinePolicy(ctx context.Context, account, entityType, entityName, name string) error

	// CreateManagedPolicy inserts a managed policy (ErrConflict if its ARN,
	// or its name in its account, exists).
	CreateManagedPolicy(ctx context.Context, p *ManagedPolicy) error
	// GetManagedPolicy returns a managed policy by ARN, with its
	// AttachmentCount.
	GetManagedPolicy(ctx context.Context, arn string) (*ManagedPolicy, error)
	// ListManagedPolicies returns the policies f selects, in ARN order.
	ListManagedPolicies(ctx context.Context, f ManagedPolicyFilter) ([]*ManagedPolicy, error)
	// DeleteManagedPolicy removes a managed policy (ErrConflict while it is
	// attached).
	DeleteManagedPolicy(ctx context.Context, arn string) error

	// AttachPolicy attaches a managed policy to a user or role; attaching
	// it again is not an error. ErrNotFound if the entity or the policy
	// does not exist.
	AttachPolicy(ctx context.Context, account, entityType, entityName, policyARN string) error
	// DetachPolicy removes an attachment (ErrNotFound if not attached).
	DetachPolicy(ctx context.Context, account, entityType, entityName, policyARN string) error
	// ListAttachedPolicies returns the managed policies attached to a user
	// or role, in ARN order (ErrNotFound if the entity does not exist).
	ListAttachedPolicies(ctx context.Context, account, entityType, entityName string) ([]*ManagedPolicy, error)
}
