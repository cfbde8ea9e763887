package xks

import (
	"errors"
	"fmt"
)

// Endpoint is an XKS proxy as a client calls it: the URI of one logical key
// store and the SigV4 credential it accepts.
type Endpoint struct {
	// URIEndpoint is "https://" and a host name (KMS's
	// XksProxyUriEndpoint); URIPath is "[/<prefix>]/kms/xks/v1".
	URIEndpoint string
	URIPath     string
	AccessKeyID string
	// Secret is the raw secret access key. The caller clears it after the
	// call.
	Secret []byte
	// Region is the SigV4 region: the region of the calling KMS.
	Region string
}

// Failure is a way an XKS call can fail without an answer from the proxy
// that names an error: what KMS turns into its XksProxy* exceptions and
// connection error codes.
type Failure int

const (
	// FailureUnreachable: no connection (refused, no route, name not
	// resolved).
	FailureUnreachable Failure = iota + 1
	// FailureTimeout: no complete answer within the time allowed (250 ms).
	FailureTimeout
	// FailureTLS: the TLS handshake failed (certificate not trusted,
	// expired, for another name; the proxy refused our certificate).
	FailureTLS
	// FailureInvalidResponse: an answer that does not follow the
	// specification (not JSON, missing members, wrong sizes, an error
	// status without an error name).
	FailureInvalidResponse
)

func (f Failure) String() string {
	switch f {
	case FailureUnreachable:
		return "unreachable"
	case FailureTimeout:
		return "timed out"
	case FailureTLS:
		return "TLS failure"
	case FailureInvalidResponse:
		return "invalid response"
	}
	return "unknown failure"
}

// CallError is a failed XKS call without a usable error name. Err says
// more, for the server log only.
type CallError struct {
	Failure Failure
	Err     error
}

func (e *CallError) Error() string {
	return fmt.Sprintf("xks: proxy %s: %v", e.Failure, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// FailureOf returns the Failure of err, or 0 if err is not a *CallError.
func FailureOf(err error) Failure {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Failure
	}
	return 0
}

// ErrorName returns the XKS error name the proxy answered with, or "" if
// err is not an *Error.
func ErrorName(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Name
	}
	return ""
}
