package hsm

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// AppendEncryptionContext appends the canonical encoding of an encryption
// context to b. The encoding is what a ciphertext blob's AAD binds:
//
//	[n]_32
//	n times, pairs sorted by key in byte order:
//	    [len(key)]_32 || key || [len(value)]_32 || value
//
// with [x]_32 a 32-bit big-endian integer. Every field is length-prefixed,
// so the encoding is injective: {"ab":"c"} and {"a":"bc"} encode
// differently, as do contexts that differ in a pair count. Sorting makes the
// order of pairs irrelevant. Keys and values are compared and encoded as
// the exact bytes given, without Unicode normalization (AWS KMS does the
// same). A nil and an empty context both encode as four zero bytes.
func AppendEncryptionContext(b []byte, ec map[string]string) ([]byte, error) {
	if _, err := encryptionContextLen(ec); err != nil {
		return nil, err
	}
	return appendEncryptionContext(b, ec), nil
}

var errContextTooLarge = errors.New("hsm: encryption context too large to encode")

// encryptionContextLen returns the length of ec's canonical encoding, or an
// error if a length would not fit its 32-bit field.
func encryptionContextLen(ec map[string]string) (int, error) {
	if uint64(len(ec)) > math.MaxUint32 {
		return 0, errContextTooLarge
	}
	n := 4
	for k, v := range ec {
		if uint64(len(k)) > math.MaxUint32 || uint64(len(v)) > math.MaxUint32 {
			return 0, errContextTooLarge
		}
		n += 8 + len(k) + len(v)
		if n < 0 {
			return 0, errContextTooLarge
		}
	}
	return n, nil
}

// appendEncryptionContext is AppendEncryptionContext for a context already
// checked by encryptionContextLen.
func appendEncryptionContext(b []byte, ec map[string]string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(ec)))
	if len(ec) == 0 {
		return b
	}
	// Most contexts are small; sort them without a heap allocation.
	var small [8]string
	keys := small[:0]
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys) // Go compares strings byte by byte.
	for _, k := range keys {
		b = appendString32(b, k)
		b = appendString32(b, ec[k])
	}
	return b
}
