package keyhold

import "time"

// Identity records: accounts, IAM users and roles, their credentials and
// identity policies. internal/iam is the service that manages them through
// the IAM and STS APIs; docs/identity.md describes the model.

// Account is an AWS-style account, a 12-digit id. The first account a
// server creates is the management account.
type Account struct {
	ID           string
	Name         string
	CreationDate time.Time
}

// AWSAccount is the pseudo-account that owns AWS managed policies
// (arn:aws:iam::aws:policy/...).
const AWSAccount = "aws"

// Error codes of the identity APIs that the KMS error set (errors.go) does
// not have. The IAM and STS wire layer translates the authentication codes
// to their Query-protocol names (InvalidClientTokenId, ExpiredToken, ...).
const (
	ErrCodeExpiredToken = "ExpiredTokenException"
)

// PrincipalType is the kind of an authenticated principal, with the values
// of the aws:PrincipalType condition key.
type PrincipalType string

const (
	// PrincipalAccount is the account root (arn:aws:iam::<account>:root).
	PrincipalAccount PrincipalType = "Account"
	// PrincipalUser is an IAM user signing with a long-term access key.
	PrincipalUser PrincipalType = "User"
	// PrincipalAssumedRole is a role session signing with temporary
	// credentials from STS AssumeRole.
	PrincipalAssumedRole PrincipalType = "AssumedRole"
)

// Principal is the authenticated identity behind a request: everything an
// authorization decision about it needs to know, and what
// GetCallerIdentity reports.
type Principal struct {
	Type    PrincipalType
	Account string
	// ARN is the caller's ARN as GetCallerIdentity reports it and as
	// policies name it: arn:aws:iam::<account>:root,
	// arn:aws:iam::<account>:user/<path><name>, or
	// arn:aws:sts::<account>:assumed-role/<role>/<session>.
	ARN string
	// UserID is the aws:userid value: the account id for the root, the
	// user's unique id (AIDA...) for a user, "<role id>:<session>" for a
	// role session.
	UserID string
	// EntityARN is the IAM entity whose identity policies apply: the root
	// ARN, the user ARN, or the role ARN (arn:aws:iam::<account>:role/...).
	EntityARN string
	// EntityID is the user's or role's unique id (AIDA..., AROA...); empty
	// for the root.
	EntityID string
	// Name is the user name or role name; empty for the root.
	Name string
	// SessionName is the role session name of an assumed role.
	SessionName string
	// AccessKeyID is the access key that signed the request.
	AccessKeyID string
	// Tags are the principal tags (aws:PrincipalTag/...): the user's or
	// role's tags, with a role session's tags in place of role tags that
	// have the same key.
	Tags []Tag
	// SourceIdentity is the source identity set on a role session.
	SourceIdentity string
	// Expiration is when temporary credentials expire; zero for long-term
	// credentials.
	Expiration time.Time
	// IssueTime is when temporary credentials were issued.
	IssueTime time.Time
}

// RootARN returns the ARN of an account's root.
func RootARN(account string) string {
	return "arn:" + Partition + ":iam::" + account + ":root"
}

// UserARN returns the ARN of an IAM user. path starts and ends with "/".
func UserARN(account, path, name string) string {
	return "arn:" + Partition + ":iam::" + account + ":user" + path + name
}

// RoleARN returns the ARN of an IAM role. path starts and ends with "/".
func RoleARN(account, path, name string) string {
	return "arn:" + Partition + ":iam::" + account + ":role" + path + name
}

// ManagedPolicyARN returns the ARN of a managed policy; account is
// AWSAccount for AWS managed policies.
func ManagedPolicyARN(account, path, name string) string {
	return "arn:" + Partition + ":iam::" + account + ":policy" + path + name
}

// AssumedRoleARN returns the ARN of a role session. AWS leaves the role's
// path out of it.
func AssumedRoleARN(account, roleName, sessionName string) string {
	return "arn:" + Partition + ":sts::" + account + ":assumed-role/" + roleName + "/" + sessionName
}

// User is an IAM user.
type User struct {
	ARN     string
	ID      string // AIDA...
	Account string
	Name    string
	// Path starts and ends with "/"; "/" by default.
	Path         string
	CreationDate time.Time
	Tags         []Tag
}

// Role is an IAM role.
type Role struct {
	ARN         string
	ID          string // AROA...
	Account     string
	Name        string
	Path        string
	Description string
	// AssumeRolePolicy is the trust policy document (JSON text).
	AssumeRolePolicy string
	// MaxSessionDuration is the longest session AssumeRole grants, in
	// seconds (3600 to 43200).
	MaxSessionDuration int
	CreationDate       time.Time
	Tags               []Tag
}

// Access key statuses.
const (
	AccessKeyActive   = "Active"
	AccessKeyInactive = "Inactive"
)

// AccessKey is a long-term credential of an IAM user. The secret is stored
// only sealed by the crypto boundary, bound to the key id.
type AccessKey struct {
	ID      string // AKIA...
	Account string
	// UserName is the user the key belongs to.
	UserName     string
	PrincipalARN string
	SealedSecret []byte
	Status       string
	CreationDate time.Time
	// Last use (GetAccessKeyLastUsed); zero and empty until first used.
	LastUsedDate    time.Time
	LastUsedService string
	LastUsedRegion  string
}

// Session is a set of temporary credentials issued by STS AssumeRole. Its
// secret is stored sealed by the crypto boundary, its session token only as
// a SHA-256 digest.
type Session struct {
	AccessKeyID  string // ASIA...
	Account      string
	SealedSecret []byte
	// TokenHash is SHA-256 of the session token.
	TokenHash []byte
	// The role and the session.
	RoleARN        string
	RoleID         string
	RoleName       string
	SessionName    string
	SourceIdentity string
	// SourceARN is the principal that called AssumeRole.
	SourceARN string
	// Tags are the session tags; TransitiveTagKeys are those that pass on
	// to a session this one assumes (role chaining).
	Tags              []Tag
	TransitiveTagKeys []string
	// Session policies: an inline document and managed policy ARNs. When
	// either is set, the session may do only what both the role's policies
	// and the session policies allow.
	Policy       string
	PolicyARNs   []string
	CreationDate time.Time
	Expiration   time.Time
}

// Entity types that own inline policies and policy attachments.
const (
	EntityUser = "user"
	EntityRole = "role"
)

// InlinePolicy is a policy document embedded in one user or role.
type InlinePolicy struct {
	Account    string
	EntityType string // EntityUser or EntityRole
	EntityName string
	Name       string
	Document   string
}

// ManagedPolicy is a standalone identity policy that can be attached to
// users and roles: a customer managed policy of an account, or an AWS
// managed policy (Account == AWSAccount). keyhold keeps one version of each
// policy, DefaultVersionID "v1".
type ManagedPolicy struct {
	ARN              string
	ID               string // ANPA...
	Account          string
	Name             string
	Path             string
	Description      string
	Document         string
	DefaultVersionID string
	CreationDate     time.Time
	UpdateDate       time.Time
	Tags             []Tag
	// AttachmentCount is computed by the store when it reads the policy.
	AttachmentCount int
}

// ManagedPolicyFilter selects managed policies for ListManagedPolicies.
type ManagedPolicyFilter struct {
	// Accounts lists the owning accounts to include (an account id and/or
	// AWSAccount).
	Accounts []string
	// PathPrefix keeps only policies whose path starts with it ("" or "/":
	// all).
	PathPrefix string
	// OnlyAttached keeps only policies attached to at least one entity.
	OnlyAttached bool
	// After is the ARN to list after (policies list in ARN byte order);
	// Limit is the largest number of policies returned (at least 1).
	After string
	Limit int
}
