package hsm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// AES key wrap (RFC 3394, NIST SP 800-38F KW) and AES key wrap with padding
// (RFC 5649, SP 800-38F KWP), over crypto/aes. The RSA_AES_KEY_WRAP import
// algorithms wrap key material with KWP under an ephemeral AES key (what
// `openssl enc -id-aes256-wrap-pad` makes); KW is here because KWP is KW
// with another initial value, and the Wycheproof KW vectors test that core.
//
// Both are deterministic authenticated encryption of keys: the 64-bit
// integrity check value is verified on unwrap, and an unwrap that fails
// says nothing about why (one error for every failure).

// ErrKeyWrap is the only error a failed unwrap returns.
var ErrKeyWrap = errors.New("hsm: key unwrap failed")

// kwIV is the default initial value of RFC 3394, section 2.2.3.1.
var kwIV = [8]byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}

// kwpIVPrefix is the constant half of the alternative initial value of
// RFC 5649, section 3; the other half is the plaintext length.
var kwpIVPrefix = [4]byte{0xa6, 0x59, 0x59, 0xa6}

// maxKeyWrapInput bounds what either construction wraps: RFC 5649 encodes
// the length in 32 bits; keyhold never needs more than a few KiB.
const maxKeyWrapInput = 1 << 20

// WrapKey wraps plaintext (a multiple of 8 bytes, at least 16) under kek
// with AES-KW (RFC 3394).
func WrapKey(kek, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(plaintext) < 16 || len(plaintext)%8 != 0 || len(plaintext) > maxKeyWrapInput {
		return nil, errors.New("hsm: AES-KW wraps a multiple of 8 bytes, at least 16")
	}
	return wrapBlocks(block, kwIV, plaintext), nil
}

// UnwrapKey reverses WrapKey. Any failure is ErrKeyWrap.
func UnwrapKey(kek, ciphertext []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, ErrKeyWrap
	}
	if len(ciphertext) < 24 || len(ciphertext)%8 != 0 || len(ciphertext) > maxKeyWrapInput+8 {
		return nil, ErrKeyWrap
	}
	a, p := unwrapBlocks(block, ciphertext)
	if subtle.ConstantTimeCompare(a[:], kwIV[:]) != 1 {
		clear(p)
		return nil, ErrKeyWrap
	}
	return p, nil
}

// WrapKeyWithPadding wraps plaintext (1 byte or more) under kek with
// AES-KWP (RFC 5649).
func WrapKeyWithPadding(kek, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	if len(plaintext) == 0 || len(plaintext) > maxKeyWrapInput {
		return nil, errors.New("hsm: AES-KWP wraps 1 byte or more")
	}
	var aiv [8]byte
	copy(aiv[:], kwpIVPrefix[:])
	binary.BigEndian.PutUint32(aiv[4:], uint32(len(plaintext)))
	padded := make([]byte, (len(plaintext)+7)/8*8)
	copy(padded, plaintext)
	defer clear(padded)
	if len(padded) == 8 {
		// RFC 5649, section 4.1: one block is encrypted as AIV || P.
		out := make([]byte, 16)
		copy(out, aiv[:])
		copy(out[8:], padded)
		block.Encrypt(out, out)
		return out, nil
	}
	return wrapBlocks(block, aiv, padded), nil
}

// UnwrapKeyWithPadding reverses WrapKeyWithPadding, checking the initial
// value, the length it encodes and that the padding is zero (RFC 5649,
// section 3). Any failure is ErrKeyWrap.
func UnwrapKeyWithPadding(kek, ciphertext []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, ErrKeyWrap
	}
	if len(ciphertext) < 16 || len(ciphertext)%8 != 0 || len(ciphertext) > maxKeyWrapInput+16 {
		return nil, ErrKeyWrap
	}
	var a [8]byte
	var p []byte
	if len(ciphertext) == 16 {
		b := make([]byte, 16)
		block.Decrypt(b, ciphertext)
		copy(a[:], b[:8])
		p = b[8:]
	} else {
		a, p = unwrapBlocks(block, ciphertext)
	}
	// Check everything before deciding, so the time taken does not say
	// which check failed.
	ok := subtle.ConstantTimeCompare(a[:4], kwpIVPrefix[:])
	mli := binary.BigEndian.Uint32(a[4:])
	n := uint64(len(p))
	inRange := uint64(mli) > n-8 && uint64(mli) <= n
	pad := 0
	if inRange {
		pad = int(n - uint64(mli))
	} else {
		ok = 0
	}
	var nonzero byte
	for _, c := range p[len(p)-pad:] {
		nonzero |= c
	}
	ok &= subtle.ConstantTimeByteEq(nonzero, 0)
	if ok != 1 {
		clear(p)
		return nil, ErrKeyWrap
	}
	return p[:mli], nil
}

// wrapBlocks is the wrapping process W of RFC 3394, section 2.2.1 (index
// based), with initial value iv over plaintext of n >= 2 blocks.
func wrapBlocks(block cipher.Block, iv [8]byte, plaintext []byte) []byte {
	n := len(plaintext) / 8
	out := make([]byte, 8+len(plaintext))
	copy(out[8:], plaintext)
	var a [8]byte
	copy(a[:], iv[:])
	var b [16]byte
	defer clear(b[:])
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			r := out[8*i : 8*i+8]
			copy(b[:8], a[:])
			copy(b[8:], r)
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(b[:8])^t)
			copy(r, b[8:])
		}
	}
	copy(out, a[:])
	return out
}

// unwrapBlocks is the unwrapping process W^-1 of RFC 3394, section 2.2.2
// (index based). It returns the recovered initial value and plaintext; the
// caller checks the initial value.
func unwrapBlocks(block cipher.Block, ciphertext []byte) ([8]byte, []byte) {
	n := len(ciphertext)/8 - 1
	var a [8]byte
	copy(a[:], ciphertext[:8])
	p := make([]byte, 8*n)
	copy(p, ciphertext[8:])
	var b [16]byte
	defer clear(b[:])
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			r := p[8*(i-1) : 8*i]
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(a[:])^t)
			copy(b[8:], r)
			block.Decrypt(b[:], b[:])
			copy(a[:], b[:8])
			copy(r, b[8:])
		}
	}
	return a, p
}
