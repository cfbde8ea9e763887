package kmsapi

import "fmt"

// The model marks some shapes sensitive: PlaintextType (plaintext, data
// keys, messages to sign or MAC, shared secrets, private keys) and the
// credentials of custom key stores. Their members get these types so that
// printing a request or response with the fmt package, in any verb, shows
// "[REDACTED]" instead of the content. JSON encoding is unaffected:
// SensitiveBytes is base64 like any []byte, SensitiveString a plain string.
//
// A SensitiveBytes is assignable to and from []byte without conversion.

// SensitiveBytes is a blob of a sensitive shape.
type SensitiveBytes []byte

// SensitiveString is a string of a sensitive shape.
type SensitiveString string

const redacted = "[REDACTED]"

// String returns "[REDACTED]".
func (SensitiveBytes) String() string { return redacted }

// GoString returns "[REDACTED]".
func (SensitiveBytes) GoString() string { return redacted }

// Format writes "[REDACTED]" for every verb, so that %x or %d cannot print
// the bytes either.
func (SensitiveBytes) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// String returns "[REDACTED]".
func (SensitiveString) String() string { return redacted }

// GoString returns "[REDACTED]".
func (SensitiveString) GoString() string { return redacted }

// Format writes "[REDACTED]" for every verb.
func (SensitiveString) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }
