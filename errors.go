package keyhold

import (
	"errors"
	"fmt"
)

// Error codes. The value is the AWS error shape name sent as "__type".
const (
	ErrCodeValidation               = "ValidationException"
	ErrCodeSerialization            = "SerializationException"
	ErrCodeUnknownOperation         = "UnknownOperationException"
	ErrCodeMissingAuthToken         = "MissingAuthenticationTokenException"
	ErrCodeIncompleteSignature      = "IncompleteSignatureException"
	ErrCodeInvalidSignature         = "InvalidSignatureException"
	ErrCodeUnrecognizedClient       = "UnrecognizedClientException"
	ErrCodeAccessDenied             = "AccessDeniedException"
	ErrCodeRequestEntityTooLarge    = "RequestEntityTooLargeException"
	ErrCodeThrottling               = "ThrottlingException"
	ErrCodeAlreadyExists            = "AlreadyExistsException"
	ErrCodeDisabled                 = "DisabledException"
	ErrCodeDryRunOperation          = "DryRunOperationException"
	ErrCodeIncorrectKey             = "IncorrectKeyException"
	ErrCodeInvalidAliasName         = "InvalidAliasNameException"
	ErrCodeInvalidArn               = "InvalidArnException"
	ErrCodeInvalidCiphertext        = "InvalidCiphertextException"
	ErrCodeInvalidGrantToken        = "InvalidGrantTokenException"
	ErrCodeInvalidKeyUsage          = "InvalidKeyUsageException"
	ErrCodeInvalidMarker            = "InvalidMarkerException"
	ErrCodeInternal                 = "KMSInternalException"
	ErrCodeInvalidState             = "KMSInvalidStateException"
	ErrCodeKeyUnavailable           = "KeyUnavailableException"
	ErrCodeLimitExceeded            = "LimitExceededException"
	ErrCodeMalformedPolicyDocument  = "MalformedPolicyDocumentException"
	ErrCodeNotFound                 = "NotFoundException"
	ErrCodeTag                      = "TagException"
	ErrCodeUnsupportedOperation     = "UnsupportedOperationException"
	ErrCodeDependencyTimeout        = "DependencyTimeoutException"
	ErrCodeCustomKeyStoreNotFound   = "CustomKeyStoreNotFoundException"
	ErrCodeCustomKeyStoreInvalidSt  = "CustomKeyStoreInvalidStateException"
	ErrCodeConflict                 = "ConflictException"
	ErrCodeKMSInvalidSignature      = "KMSInvalidSignatureException"
	ErrCodeKMSInvalidMac            = "KMSInvalidMacException"
	ErrCodeInvalidImportToken       = "InvalidImportTokenException"
	ErrCodeExpiredImportToken       = "ExpiredImportTokenException"
	ErrCodeIncorrectKeyMaterial     = "IncorrectKeyMaterialException"
	ErrCodeInvalidGrantID           = "InvalidGrantIdException"
	ErrCodeInvalidClientTokenID     = "InvalidClientTokenId"
	ErrCodeIncompleteSignatureShort = "IncompleteSignature"
)

// Error is the one error type that reaches a client. Code is the AWS error
// shape name; Message is safe to show to the caller. It never carries key
// material, plaintext, secrets or PINs: anything unexpected becomes
// KMSInternalException with the detail only in the server log.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NewError returns an *Error with the given code and message.
func NewError(code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// AsError reports the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// ErrorCode returns the AWS error code of err, or KMSInternalException for
// any error that is not an *Error.
func ErrorCode(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return ErrCodeInternal
}

// Storage sentinel errors. Store implementations return these (possibly
// wrapped); the service turns them into AWS errors.
var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("keyhold: not found")
	// ErrConflict means a record with the same identity already exists, or
	// a conditional write lost a race.
	ErrConflict = errors.New("keyhold: conflict")
)
