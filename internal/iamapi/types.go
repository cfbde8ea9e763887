package iamapi

import (
	"time"
)

// Timestamp is a time in the Query protocol's ISO 8601 form
// (2006-01-02T15:04:05Z, UTC, whole seconds as IAM sends them).
type Timestamp time.Time

// MarshalText implements encoding.TextMarshaler.
func (t Timestamp) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05Z")), nil
}

// TimePtr returns a *Timestamp for t, nil for the zero time.
func TimePtr(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	ts := Timestamp(t)
	return &ts
}

// PolicyDocument is a policy document in a response. IAM returns policy
// documents percent-encoded (RFC 3986); the AWS CLI decodes them, and SDK
// users call url.QueryUnescape.
type PolicyDocument string

// MarshalText implements encoding.TextMarshaler.
func (p PolicyDocument) MarshalText() ([]byte, error) {
	return appendEscaped(nil, string(p)), nil
}

// Tag is a tag of a user, role or policy, or a session tag.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// User is IAM's User shape.
type User struct {
	Path       string    `xml:"Path"`
	UserName   string    `xml:"UserName"`
	UserID     string    `xml:"UserId"`
	Arn        string    `xml:"Arn"`
	CreateDate Timestamp `xml:"CreateDate"`
	Tags       []Tag     `xml:"Tags>member,omitempty"`
}

// Role is IAM's Role shape.
type Role struct {
	Path                     string          `xml:"Path"`
	RoleName                 string          `xml:"RoleName"`
	RoleID                   string          `xml:"RoleId"`
	Arn                      string          `xml:"Arn"`
	CreateDate               Timestamp       `xml:"CreateDate"`
	AssumeRolePolicyDocument *PolicyDocument `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string          `xml:"Description,omitempty"`
	MaxSessionDuration       int             `xml:"MaxSessionDuration,omitempty"`
	Tags                     []Tag           `xml:"Tags>member,omitempty"`
}

// Policy is IAM's Policy shape (a managed policy).
type Policy struct {
	PolicyName                    string     `xml:"PolicyName"`
	PolicyID                      string     `xml:"PolicyId"`
	Arn                           string     `xml:"Arn"`
	Path                          string     `xml:"Path"`
	DefaultVersionID              string     `xml:"DefaultVersionId"`
	AttachmentCount               int        `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int        `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool       `xml:"IsAttachable"`
	Description                   string     `xml:"Description,omitempty"`
	CreateDate                    Timestamp  `xml:"CreateDate"`
	UpdateDate                    *Timestamp `xml:"UpdateDate,omitempty"`
	Tags                          []Tag      `xml:"Tags>member,omitempty"`
}

// PolicyVersion is IAM's PolicyVersion shape.
type PolicyVersion struct {
	Document         PolicyDocument `xml:"Document"`
	VersionID        string         `xml:"VersionId"`
	IsDefaultVersion bool           `xml:"IsDefaultVersion"`
	CreateDate       Timestamp      `xml:"CreateDate"`
}

// AttachedPolicy names a managed policy attached to a user or role.
type AttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// AccessKey is a new access key with its secret (CreateAccessKey).
type AccessKey struct {
	UserName        string    `xml:"UserName"`
	AccessKeyID     string    `xml:"AccessKeyId"`
	Status          string    `xml:"Status"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	CreateDate      Timestamp `xml:"CreateDate"`
}

// AccessKeyMetadata describes an access key without its secret.
type AccessKeyMetadata struct {
	UserName    string    `xml:"UserName"`
	AccessKeyID string    `xml:"AccessKeyId"`
	Status      string    `xml:"Status"`
	CreateDate  Timestamp `xml:"CreateDate"`
}

// AccessKeyLastUsed is GetAccessKeyLastUsed's answer. IAM reports "N/A"
// for the service and region of a key never used.
type AccessKeyLastUsed struct {
	LastUsedDate *Timestamp `xml:"LastUsedDate,omitempty"`
	ServiceName  string     `xml:"ServiceName"`
	Region       string     `xml:"Region"`
}

// Page is the pagination part of a list response.
type Page struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// Credentials are temporary credentials from STS.
type Credentials struct {
	AccessKeyID     string    `xml:"AccessKeyId"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	SessionToken    string    `xml:"SessionToken"`
	Expiration      Timestamp `xml:"Expiration"`
}

// AssumedRoleUser identifies a role session.
type AssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}
