package sigv4

import (
	"strings"

	"github.com/keyhold/keyhold"
)

// The messages below are AWS's own where AWS's wording is known (AWS answers
// KMS requests from the same front end as DynamoDB and the other JSON
// services, whose responses are widely recorded). The few without an AWS
// original say so.
const (
	msgMissingToken = "Missing Authentication Token"

	msgRequiresCredential    = "Authorization header requires 'Credential' parameter."
	msgRequiresSignature     = "Authorization header requires 'Signature' parameter."
	msgRequiresSignedHeaders = "Authorization header requires 'SignedHeaders' parameter."
	msgRequiresDate          = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."

	msgHostNotSigned = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."

	msgUnknownKey = "The security token included in the request is invalid."

	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

	// S3's wording for the same check; KMS has no published one.
	msgPayloadHashMismatch = "The provided 'x-amz-content-sha256' header does not match what was computed."

	// keyhold's own wording: AWS has no published message for these.
	msgUnsignedPayload    = "UNSIGNED-PAYLOAD is not accepted: the request body must be signed."
	msgSignatureFormat    = "Authorization header 'Signature' parameter must be 64 lowercase hexadecimal digits."
	msgSignedHeadersFmt   = "Authorization header 'SignedHeaders' parameter must list lowercase header names, sorted and separated by ';'"
	msgRepeatedAuthHeader = "The request must carry exactly one Authorization header."
)

// maxEcho bounds how much of a client-supplied value an error message
// repeats back, so a huge header cannot make a huge error response.
const maxEcho = 128

// echo returns s for quoting in an error message, cut to maxEcho bytes.
func echo(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	return s[:maxEcho] + "..."
}

// UnknownAccessKey returns the error a LookupFunc should return for an
// access key that does not exist or is not active: AWS's
// UnrecognizedClientException.
func UnknownAccessKey() error {
	return keyhold.NewError(keyhold.ErrCodeUnrecognizedClient, msgUnknownKey)
}

func errMissingToken() error {
	return keyhold.NewError(keyhold.ErrCodeMissingAuthToken, msgMissingToken)
}

func errIncomplete(msg string) error {
	return keyhold.NewError(keyhold.ErrCodeIncompleteSignature, msg)
}

func errInvalid(msg string) error {
	return keyhold.NewError(keyhold.ErrCodeInvalidSignature, msg)
}

// missingParts records which of the required Authorization parameters are
// absent, so that Verify can add the missing-date clause to the same message
// the way AWS does.
type missingParts uint8

const (
	missingCredential missingParts = 1 << iota
	missingSignature
	missingSignedHeaders
	missingDate
)

// message lists the missing parts in AWS's order.
func (m missingParts) message() string {
	var parts []string
	if m&missingCredential != 0 {
		parts = append(parts, msgRequiresCredential)
	}
	if m&missingSignature != 0 {
		parts = append(parts, msgRequiresSignature)
	}
	if m&missingSignedHeaders != 0 {
		parts = append(parts, msgRequiresSignedHeaders)
	}
	if m&missingDate != 0 {
		parts = append(parts, msgRequiresDate)
	}
	return strings.Join(parts, " ")
}
