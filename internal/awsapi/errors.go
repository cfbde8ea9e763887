package awsapi

import (
	"net/http"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
)

// statusOf is the one table that maps AWS error codes to HTTP statuses.
//
// Real AWS KMS answers every client error with 400, even where the Smithy
// model says 404 or 409 (NotFoundException, DisabledException,
// KMSInvalidStateException, AlreadyExistsException, DryRunOperationException:
// see testdata/model/aws-recorded-kms-responses.json), and SDKs dispatch on
// __type, so keyhold follows the service, not the model. The exceptions are
// the server faults and the protocol-level errors below.
func statusOf(code string) int {
	switch code {
	case keyhold.ErrCodeInternal, keyhold.ErrCodeKeyUnavailable:
		return http.StatusInternalServerError
	case keyhold.ErrCodeDependencyTimeout:
		return http.StatusServiceUnavailable
	case keyhold.ErrCodeUnknownOperation:
		return http.StatusNotFound
	case keyhold.ErrCodeRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	case keyhold.ErrCodeMissingAuthToken:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// internalError is what a client sees for anything unexpected; the detail
// goes only to the server log.
var internalError = keyhold.NewError(keyhold.ErrCodeInternal, "An internal error occurred. Retry the request; if it keeps failing, check the keyhold server log.")

// queryCode translates the authentication and protocol error codes that
// keyhold's shared layers (SigV4 verification, credential lookup) use, in
// the KMS API's names, to the Query protocol's names that IAM and STS
// answer with. Other codes are the services' own and pass through.
func queryCode(code string) string {
	switch code {
	case keyhold.ErrCodeMissingAuthToken:
		return iamapi.ErrCodeMissingAuthenticationToken
	case keyhold.ErrCodeIncompleteSignature:
		return iamapi.ErrCodeIncompleteSignature
	case keyhold.ErrCodeInvalidSignature:
		return iamapi.ErrCodeSignatureDoesNotMatch
	case keyhold.ErrCodeUnrecognizedClient:
		return iamapi.ErrCodeInvalidClientTokenID
	case keyhold.ErrCodeExpiredToken:
		return iamapi.ErrCodeExpiredToken
	case keyhold.ErrCodeAccessDenied:
		return iamapi.ErrCodeAccessDenied
	case keyhold.ErrCodeRequestEntityTooLarge:
		return iamapi.ErrCodeRequestEntityTooLarge
	case keyhold.ErrCodeThrottling:
		return iamapi.ErrCodeThrottling
	case keyhold.ErrCodeValidation:
		return iamapi.ErrCodeValidationError
	}
	return code
}

// queryInternal reports codes that mean a server fault, whose detail stays
// in the log.
func queryInternal(code string) bool {
	switch code {
	case keyhold.ErrCodeInternal, iamapi.ErrCodeServiceFailure, iamapi.ErrCodeInternalFailure:
		return true
	}
	return false
}

// queryStatusOf is the HTTP status table of the IAM and STS APIs: the
// models' statuses for the services' errors, AWS's documented ones for the
// common Query errors (MalformedQueryString is 404 there).
func queryStatusOf(code string) int {
	switch code {
	case iamapi.ErrCodeNoSuchEntity, iamapi.ErrCodeMalformedQueryString:
		return http.StatusNotFound
	case iamapi.ErrCodeEntityAlreadyExists, iamapi.ErrCodeLimitExceeded, iamapi.ErrCodeDeleteConflict,
		iamapi.ErrCodeConcurrentModification:
		return http.StatusConflict
	case iamapi.ErrCodeAccessDenied, iamapi.ErrCodeInvalidClientTokenID, iamapi.ErrCodeSignatureDoesNotMatch,
		iamapi.ErrCodeMissingAuthenticationToken, iamapi.ErrCodeExpiredToken:
		return http.StatusForbidden
	case iamapi.ErrCodeRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	case iamapi.ErrCodeServiceFailure, iamapi.ErrCodeInternalFailure:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}
