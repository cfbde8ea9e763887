// Package iamapi is the wire format of the AWS IAM and STS APIs as keyhold
// serves them: the Query protocol (a form-encoded POST body with Action
// and Version), the request and response types of the operations keyhold
// implements, validation against the API models' constraints with AWS's
// ValidationError messages, and the XML responses and errors.
//
// It holds no service logic (that is internal/iam) and no HTTP (that is
// internal/awsapi). It imports only the root package.
package iamapi

import (
	"sort"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
)

// Values is a parsed Query-protocol body: parameter name to value.
type Values map[string]string

// Limits of ParseForm. A request with every list of the largest operation
// at its maximum (AssumeRole: 50 tags, 50 transitive keys, 10 policy ARNs,
// 5 contexts) has fewer than 250 parameters.
const (
	MaxParams     = 1000
	maxParamName  = 256
	msgMalformed  = "The query string contains a syntax error."
	msgDuplicated = "The parameter %s is given more than once."
)

// Error codes of the IAM and STS APIs (the Query protocol's <Code>).
const (
	ErrCodeAccessDenied               = "AccessDenied"
	ErrCodeConcurrentModification     = "ConcurrentModification"
	ErrCodeDeleteConflict             = "DeleteConflict"
	ErrCodeEntityAlreadyExists        = "EntityAlreadyExists"
	ErrCodeExpiredToken               = "ExpiredToken"
	ErrCodeIncompleteSignature        = "IncompleteSignature"
	ErrCodeInternalFailure            = "InternalFailure"
	ErrCodeInvalidAction              = "InvalidAction"
	ErrCodeInvalidClientTokenID       = "InvalidClientTokenId"
	ErrCodeInvalidInput               = "InvalidInput"
	ErrCodeInvalidParameterValue      = "InvalidParameterValue"
	ErrCodeLimitExceeded              = "LimitExceeded"
	ErrCodeMalformedPolicyDocument    = "MalformedPolicyDocument"
	ErrCodeMalformedQueryString       = "MalformedQueryString"
	ErrCodeMissingAction              = "MissingAction"
	ErrCodeMissingAuthenticationToken = "MissingAuthenticationToken"
	ErrCodeNoSuchEntity               = "NoSuchEntity"
	ErrCodePackedPolicyTooLarge       = "PackedPolicyTooLarge"
	ErrCodePolicyNotAttachable        = "PolicyNotAttachable"
	ErrCodeRequestEntityTooLarge      = "RequestEntityTooLarge"
	ErrCodeServiceFailure             = "ServiceFailure"
	ErrCodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	ErrCodeThrottling                 = "Throttling"
	ErrCodeUnmodifiableEntity         = "UnmodifiableEntity"
	ErrCodeValidationError            = "ValidationError"
)

// ParseForm parses an application/x-www-form-urlencoded body strictly:
// "+" is a space, "%XX" an escaped byte, and anything else that is not
// well formed (a bad escape, invalid UTF-8 after decoding, an empty or
// overlong name, a repeated name, more than MaxParams parameters) is
// MalformedQueryString. Empty segments ("a=1&&b=2") are skipped, as every
// form decoder does. A repeated name is refused rather than resolved,
// because two readers of the body could resolve it differently.
func ParseForm(body []byte) (Values, error) {
	v := Values{}
	for len(body) > 0 {
		var seg []byte
		if i := indexByte(body, '&'); i >= 0 {
			seg, body = body[:i], body[i+1:]
		} else {
			seg, body = body, nil
		}
		if len(seg) == 0 {
			continue
		}
		rawName, rawValue := seg, []byte(nil)
		if i := indexByte(seg, '='); i >= 0 {
			rawName, rawValue = seg[:i], seg[i+1:]
		}
		name, ok := unescape(rawName)
		if !ok || name == "" || len(name) > maxParamName {
			return nil, keyhold.NewError(ErrCodeMalformedQueryString, msgMalformed)
		}
		value, ok := unescape(rawValue)
		if !ok {
			return nil, keyhold.NewError(ErrCodeMalformedQueryString, msgMalformed)
		}
		if _, dup := v[name]; dup {
			return nil, keyhold.Errorf(ErrCodeMalformedQueryString, msgDuplicated, clip(name))
		}
		if len(v) == MaxParams {
			return nil, keyhold.Errorf(ErrCodeMalformedQueryString, "The request has more than %d parameters.", MaxParams)
		}
		v[name] = value
	}
	return v, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// unescape decodes one form-encoded component; ok is false for a bad
// escape or a result that is not valid UTF-8.
func unescape(b []byte) (string, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '+':
			out = append(out, ' ')
		case '%':
			if i+2 >= len(b) {
				return "", false
			}
			hi, ok1 := unhex(b[i+1])
			lo, ok2 := unhex(b[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			out = append(out, hi<<4|lo)
			i += 2
		default:
			out = append(out, c)
		}
	}
	if !utf8.Valid(out) {
		return "", false
	}
	return string(out), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// clip bounds how much of a client's input a message repeats.
func clip(s string) string {
	const max = 128
	if len(s) <= max {
		return s
	}
	// Cut at a character boundary.
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// EncodeForm encodes v as a form body in name order, the inverse of
// ParseForm (for tests and clients).
func EncodeForm(v Values) []byte {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []byte
	for i, k := range names {
		if i > 0 {
			out = append(out, '&')
		}
		out = appendEscaped(out, k)
		out = append(out, '=')
		out = appendEscaped(out, v[k])
	}
	return out
}

// appendEscaped percent-encodes everything but RFC 3986's unreserved
// characters (the encoding AWS uses for policy documents in responses too).
func appendEscaped(dst []byte, s string) []byte {
	const hexd = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexd[c>>4], hexd[c&15])
	}
	return dst
}
