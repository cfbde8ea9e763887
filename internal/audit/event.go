// Package audit is keyhold's audit trail: one CloudTrail-shaped event per
// API call and per background action, written to JSON-lines files under
// <data>/audit with a hash chain through every record and signed digest
// files, so that any modified, deleted, reordered or truncated record is
// detected by Verify. A call's response is sent only after its event is
// durable (group commit: one fsync for many events).
package audit

import (
	"encoding/json"
	"time"
)

// EventVersion is the CloudTrail record version keyhold writes.
const EventVersion = "1.08"

// Event types and categories, as CloudTrail names them.
const (
	TypeAPICall      = "AwsApiCall"
	TypeServiceEvent = "AwsServiceEvent"
	CategoryMgmt     = "Management"
)

// Event is one audit record, in the shape of a CloudTrail record for KMS.
// requestParameters and responseElements never hold plaintext, ciphertext,
// key material, secrets or messages to sign: see Redact.
type Event struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       *UserIdentity   `json:"userIdentity,omitempty"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress,omitempty"`
	UserAgent          string          `json:"userAgent,omitempty"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	AdditionalData     json.RawMessage `json:"additionalEventData,omitempty"`
	RequestID          string          `json:"requestID,omitempty"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	Resources          []Resource      `json:"resources,omitempty"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`

	// Chain links the record to its predecessor (keyhold's addition to
	// the CloudTrail shape). Set by the Log; ignored on input.
	Chain *Chain `json:"keyholdChain,omitempty"`
}

// Chain is the tamper-evidence part of a record.
type Chain struct {
	// Sequence numbers records from 1, across files, without gaps.
	Sequence uint64 `json:"sequence"`
	// PreviousHash is the hex SHA-256 of the previous record's line (its
	// exact bytes, without the newline); 64 zeros for the first record.
	PreviousHash string `json:"previousHash"`
}

// UserIdentity is CloudTrail's userIdentity.
type UserIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext json.RawMessage `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

// Resource is an entry of CloudTrail's resources list.
type Resource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// KeyResource is the resources entry for a KMS key.
func KeyResource(account, arn string) Resource {
	return Resource{AccountID: account, Type: "AWS::KMS::Key", ARN: arn}
}

// FormatTime formats t as CloudTrail does (UTC, second precision).
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// readOnlyOps are the operations that change nothing, as CloudTrail marks
// readOnly.
var readOnlyOps = map[string]bool{
	"DescribeKey": true, "ListKeys": true, "ListAliases": true, "ListGrants": true,
	"ListRetirableGrants": true, "ListKeyPolicies": true, "ListResourceTags": true,
	"ListKeyRotations": true, "GetKeyPolicy": true, "GetKeyRotationStatus": true,
	"GetPublicKey": true, "GetKeyLastUsage": true, "DescribeCustomKeyStores": true,
	"GetParametersForImport": false, "Encrypt": true, "Decrypt": true, "ReEncrypt": true,
	"GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true,
	"GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true,
	"GenerateRandom": true, "GenerateMac": true, "VerifyMac": true, "Sign": true,
	"Verify": true, "DeriveSharedSecret": true,
	// IAM and STS
	"GetUser": true, "ListUsers": true, "ListUserTags": true, "ListAccessKeys": true,
	"GetAccessKeyLastUsed": true, "GetUserPolicy": true, "ListUserPolicies": true,
	"GetRole": true, "ListRoles": true, "GetRolePolicy": true, "ListRolePolicies": true,
	"GetPolicy": true, "GetPolicyVersion": true, "ListPolicies": true,
	"ListAttachedUserPolicies": true, "ListAttachedRolePolicies": true,
	"GetCallerIdentity": true,
}

// ReadOnly reports whether CloudTrail marks the operation read-only.
func ReadOnly(op string) bool { return readOnlyOps[op] }
