// Package xks holds the AWS KMS External Key Store (XKS) proxy API, version
// 1: its operations and URI layout, request and response bodies, error
// names with their HTTP statuses, and the ciphertext data integrity value.
// It is the vocabulary both of keyhold's XKS proxy (package
// internal/xks/proxy) and of keyhold's XKS client (internal/xks/client,
// used by internal/kms for keys in external key stores). It knows no HTTP
// server, no credentials and no keys.
//
// The specification is aws/aws-kms-xksproxy-api-spec v1.0.3; the summary
// the team works from is ../shared/reference/xks-proxy-api.md.
package xks

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// The operations of the XKS proxy API.
const (
	OpGetHealthStatus = "GetHealthStatus"
	OpGetKeyMetadata  = "GetKeyMetadata"
	OpEncrypt         = "Encrypt"
	OpDecrypt         = "Decrypt"
)

// Service is the SigV4 service name of the XKS proxy API.
const Service = "kms-xks-proxy"

// Version is the API version in the URI (".../kms/xks/v1/...").
const Version = "v1"

// Values of the API's enumerations.
const (
	AlgorithmAESGCM          = "AES_GCM"
	IntegrityAlgorithmSHA256 = "SHA_256"
	KeySpecAES256            = "AES_256"
	KeyUsageEncrypt          = "ENCRYPT"
	KeyUsageDecrypt          = "DECRYPT"
	KeyStatusEnabled         = "ENABLED"
	KeyStatusDisabled        = "DISABLED"
	HealthActive             = "ACTIVE"
	HealthDegraded           = "DEGRADED"
	HealthUnavailable        = "UNAVAILABLE"
)

// Sizes the specification fixes, and keyhold's own limits above its
// minimums. A request beyond keyhold's limits gets
// UnsupportedOperationException (501), as the specification asks.
const (
	// IVSize is what keyhold's proxy makes; the specification also allows
	// 16-byte IVs, which a client must accept.
	IVSize        = 12
	AltIVSize     = 16
	TagSize       = 16
	MaxMetadata   = 20
	MaxKeyIDLen   = 128
	MaxErrMessage = 511
	// MaxPlaintext is the largest plaintext (and ciphertext) keyhold's
	// proxy takes: the specification requires at least 4300 bytes.
	MaxPlaintext = 8192
	// MaxAAD is the largest AAD keyhold's proxy takes: the specification
	// requires at least 8192 bytes.
	MaxAAD = 16384
	// MaxBody is the largest request body keyhold's proxy reads. It fits
	// the largest plaintext and AAD in Base64 with room for metadata.
	MaxBody = 64 << 10
	// MaxMetadataField is the longest string keyhold accepts in
	// requestMetadata (ARNs may be 2048 characters long).
	MaxMetadataField = 4096
)

// Error names of the XKS proxy API.
const (
	ErrValidation           = "ValidationException"
	ErrInvalidState         = "InvalidStateException"
	ErrInvalidCiphertext    = "InvalidCiphertextException"
	ErrInvalidKeyUsage      = "InvalidKeyUsageException"
	ErrAuthenticationFailed = "AuthenticationFailedException"
	ErrAccessDenied         = "AccessDeniedException"
	ErrKeyNotFound          = "KeyNotFoundException"
	ErrInvalidURIPath       = "InvalidUriPathException"
	ErrThrottling           = "ThrottlingException"
	ErrUnsupportedOperation = "UnsupportedOperationException"
	ErrDependencyTimeout    = "DependencyTimeoutException"
	ErrInternal             = "InternalException"
)

// statuses is the specification's table of error names and HTTP statuses.
var statuses = map[string]int{
	ErrValidation:           http.StatusBadRequest,
	ErrInvalidState:         http.StatusBadRequest,
	ErrInvalidCiphertext:    http.StatusBadRequest,
	ErrInvalidKeyUsage:      http.StatusBadRequest,
	ErrAuthenticationFailed: http.StatusUnauthorized,
	ErrAccessDenied:         http.StatusForbidden,
	ErrKeyNotFound:          http.StatusNotFound,
	ErrInvalidURIPath:       http.StatusNotFound,
	ErrThrottling:           http.StatusTooManyRequests,
	ErrUnsupportedOperation: http.StatusNotImplemented,
	ErrDependencyTimeout:    http.StatusServiceUnavailable,
	ErrInternal:             http.StatusInternalServerError,
}

// ErrorNames lists the twelve error names, in the specification's order.
var ErrorNames = []string{
	ErrValidation, ErrInvalidState, ErrInvalidCiphertext, ErrInvalidKeyUsage,
	ErrAuthenticationFailed, ErrAccessDenied, ErrKeyNotFound, ErrInvalidURIPath,
	ErrThrottling, ErrUnsupportedOperation, ErrDependencyTimeout, ErrInternal,
}

// Status returns the HTTP status of an error name (500 for a name that is
// not one of the twelve).
func Status(name string) int {
	if s, ok := statuses[name]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an XKS error response: {"errorName": ..., "errorMessage": ...}.
// Its message is printable ASCII under 512 characters and never carries
// key material, plaintext or secrets.
type Error struct {
	Name    string `json:"errorName"`
	Message string `json:"errorMessage,omitempty"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "xks: " + e.Name
	}
	return "xks: " + e.Name + ": " + e.Message
}

// Status is the HTTP status of e.
func (e *Error) Status() int { return Status(e.Name) }

// Errorf returns an *Error whose message is made safe (printable ASCII,
// at most MaxErrMessage characters).
func Errorf(name, message string) *Error {
	return &Error{Name: name, Message: SafeMessage(message)}
}

// SafeMessage returns s reduced to printable ASCII (0x20 to 0x7E) and at
// most MaxErrMessage characters, as errorMessage must be.
func SafeMessage(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < MaxErrMessage; i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// IntegrityValue returns the ciphertextDataIntegrityValue with algorithm
// SHA_256: the Base64 of SHA-256(aad || metadata || iv || ciphertext ||
// tag), every part as decoded bytes, absent parts empty, no lengths.
func IntegrityValue(aad, metadata, iv, ciphertext, tag []byte) string {
	h := sha256.New()
	h.Write(aad)
	h.Write(metadata)
	h.Write(iv)
	h.Write(ciphertext)
	h.Write(tag)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// ValidKeyID reports whether s is an external key id: 1 to 128 characters
// of [A-Za-z0-9._-] (the KMS XksKeyIdType).
func ValidKeyID(s string) bool {
	if len(s) == 0 || len(s) > MaxKeyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
