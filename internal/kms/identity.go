package kms

import "github.com/keyhold/keyhold"

// The identity of callers (accounts, users, roles, access keys, temporary
// credentials) lives in internal/iam; the wire layer authenticates a
// request there and hands the service a Caller built by NewCaller.

// NewCaller returns the Caller of a request by principal p, made in region
// (the SigV4 credential scope's).
func NewCaller(p *keyhold.Principal, region, requestID string) *Caller {
	return &Caller{
		Account:      p.Account,
		Region:       region,
		PrincipalARN: p.ARN,
		AccessKeyID:  p.AccessKeyID,
		RequestID:    requestID,
		Principal:    p,
	}
}
