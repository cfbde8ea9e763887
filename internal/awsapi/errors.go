package awsapi

import (
	"net/http"

	"github.com/keyhold/keyhold"
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
