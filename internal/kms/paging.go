package kms

import (
	"encoding/base64"
	"strings"

	"github.com/keyhold/keyhold"
)

// Markers are opaque to clients: base64url of "<kind>:<position>". Every
// list query is filtered by the caller's account and region on the server,
// so a forged marker can only move within the caller's own data; the kind
// prefix catches a marker passed to the wrong List operation.

func encodeMarker(kind, pos string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + pos))
}

var errInvalidMarker = keyhold.NewError(keyhold.ErrCodeInvalidMarker, "The marker is not valid. Use the NextMarker value from the previous response of the same operation.")

func decodeMarker(m *string, kind string) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*m)
	if err != nil {
		return "", errInvalidMarker
	}
	pos, ok := strings.CutPrefix(string(b), kind+":")
	if !ok || pos == "" {
		return "", errInvalidMarker
	}
	return pos, nil
}

// listLimit applies an operation's documented Limit range (1..max, the
// model allows up to 1000) and default.
func listLimit(l *int32, max, def int) (int, error) {
	if l == nil {
		return def, nil
	}
	n := int(*l)
	if n < 1 || n > max {
		return 0, keyhold.Errorf(keyhold.ErrCodeValidation,
			"1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to %d", n, max)
	}
	return n, nil
}
