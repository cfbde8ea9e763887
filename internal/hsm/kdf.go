package hsm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// maxKBKDFLen is the largest output KBKDF produces: L, the output length in
// bits, is encoded in 32 bits.
const maxKBKDFLen = (1<<32 - 1) / 8

// KBKDF derives length bytes from key with the key-based KDF of NIST
// SP 800-108r1 in counter mode, with HMAC-SHA256 as the PRF. The fixed input
// is laid out exactly as OpenSSL 3's KBKDF with its defaults (counter mode,
// use-l=1, use-separator=1, 32-bit counter before the fixed input):
//
//	K(i) = HMAC-SHA256(key, [i]_32 || label || 0x00 || context || [L]_32)
//	output = K(1) || K(2) || ... truncated to length bytes
//
// where [x]_32 is x as a 32-bit big-endian integer, i counts from 1 and L is
// length*8. In OpenSSL's parameter names, label is "salt" and context is
// "info". Because L is part of every block, outputs of different lengths
// are unrelated, not prefixes of each other.
func KBKDF(key, label, context []byte, length int) ([]byte, error) {
	if length <= 0 || length > maxKBKDFLen {
		return nil, fmt.Errorf("hsm: KBKDF output length %d out of range", length)
	}
	out := make([]byte, length)
	kbkdf(out, key, label, context)
	return out, nil
}

// kbkdf fills out (0 < len(out) <= maxKBKDFLen) as KBKDF does.
func kbkdf(out, key, label, context []byte) {
	mac := hmac.New(sha256.New, key)
	// One buffer holds the PRF input [i]_32 || label || 0x00 || context ||
	// [L]_32 and then one output block.
	n := 4 + len(label) + 1 + len(context) + 4
	buf := make([]byte, n, n+sha256.Size)
	copy(buf[4:], label)
	buf[4+len(label)] = 0x00
	copy(buf[4+len(label)+1:], context)
	binary.BigEndian.PutUint32(buf[n-4:], uint32(len(out))*8)
	input := buf[:n]
	for i, done := uint32(1), 0; done < len(out); i++ {
		binary.BigEndian.PutUint32(input, i)
		if i > 1 {
			// hmac.New leaves the MAC ready for the first block; Reset
			// only between blocks.
			mac.Reset()
		}
		mac.Write(input)
		done += copy(out[done:], mac.Sum(input)[n:])
	}
	clear(buf[:cap(buf)])
}
