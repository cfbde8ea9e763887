package kms

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"unicode/utf8"

	"github.com/keyhold/keyhold/internal/hsm"
)

// The ciphertext blob of a KMS key in an external key store ("KX", version
// 1). It wraps the proxy's answer to XKS Encrypt, whose plaintext was
// keyhold's own v1 ciphertext blob of the caller's plaintext (double
// encryption: keyhold's backing key first, then the external key):
//
//	off        size  field
//	0          2     magic "KX" (0x4b 0x58)
//	2          1     version, 0x01
//	3          2     a = length of the key ARN, big-endian, 1..256
//	5          a     key ARN
//	5+a        32    material id of keyhold's backing key
//	37+a       1     v = IV length (12 or 16)
//	38+a       v     XKS initializationVector
//	38+a+v     1     m = metadata length (0..20)
//	39+a+v     m     XKS ciphertextMetadata
//	39+a+v+m   16    XKS authenticationTag
//	55+a+v+m   4     c = length of the XKS ciphertext, big-endian
//	59+a+v+m   c     XKS ciphertext (as long as the inner v1 blob)
//
// The additionalAuthenticatedData sent to the proxy is bytes [0, 37+a)
// followed by SHA-256 of the canonical encoding of the encryption context
// (hsm.AppendEncryptionContext): the external layer is bound to this key,
// this backing key and this context, as the inner layer is. So, as in AWS
// KMS, a wrong encryption context is already refused by the proxy.
const (
	xksMagic0, xksMagic1 = 'K', 'X'
	xksBlobVersion       = 1
	xksPrefixLen         = 2 + 1 + 2 // magic, version, ARN length
)

// xksBlob is a parsed "KX" blob.
type xksBlob struct {
	keyARN, materialID string
	prefix             []byte // bytes [0, 37+a): the AAD's first part
	iv, metadata, tag  []byte
	ciphertext         []byte
}

var errXKSBlob = errors.New("kms: malformed external key store ciphertext")

// isXKSBlob reports whether blob starts like a "KX" blob.
func isXKSBlob(blob []byte) bool {
	return len(blob) >= 3 && blob[0] == xksMagic0 && blob[1] == xksMagic1
}

// xksBlobPrefix returns bytes [0, 37+a) of the blob of keyARN's backing
// key materialID.
func xksBlobPrefix(keyARN, materialID string) ([]byte, error) {
	mid, err := hex.DecodeString(materialID)
	if err != nil || len(mid) != hsm.MaterialIDSize || len(keyARN) == 0 || len(keyARN) > hsm.MaxKeyARNLen {
		return nil, errXKSBlob
	}
	b := make([]byte, 0, xksPrefixLen+len(keyARN)+hsm.MaterialIDSize)
	b = append(b, xksMagic0, xksMagic1, xksBlobVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(len(keyARN)))
	b = append(b, keyARN...)
	return append(b, mid...), nil
}

// xksAAD is the additionalAuthenticatedData sent to the proxy.
func xksAAD(prefix []byte, ec map[string]string) ([]byte, error) {
	enc, err := hsm.AppendEncryptionContext(nil, ec)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(enc)
	return append(bytes.Clone(prefix), sum[:]...), nil
}

// marshal returns the blob of b (prefix already set).
func (b *xksBlob) marshal() []byte {
	out := make([]byte, 0, len(b.prefix)+2+len(b.iv)+len(b.metadata)+len(b.tag)+4+len(b.ciphertext))
	out = append(out, b.prefix...)
	out = append(out, byte(len(b.iv)))
	out = append(out, b.iv...)
	out = append(out, byte(len(b.metadata)))
	out = append(out, b.metadata...)
	out = append(out, b.tag...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(b.ciphertext)))
	return append(out, b.ciphertext...)
}

// parseXKSBlob parses a "KX" blob strictly: sizes within the
// specification's limits, nothing left over.
func parseXKSBlob(blob []byte) (*xksBlob, error) {
	if !isXKSBlob(blob) || blob[2] != xksBlobVersion || len(blob) < xksPrefixLen {
		return nil, errXKSBlob
	}
	a := int(binary.BigEndian.Uint16(blob[3:5]))
	p := xksPrefixLen
	if a == 0 || a > hsm.MaxKeyARNLen || len(blob) < p+a+hsm.MaterialIDSize+1 {
		return nil, errXKSBlob
	}
	b := &xksBlob{keyARN: string(blob[p : p+a])}
	if !utf8.ValidString(b.keyARN) || !bytes.HasPrefix(blob[p:], []byte("arn:")) {
		return nil, errXKSBlob
	}
	p += a
	b.materialID = hex.EncodeToString(blob[p : p+hsm.MaterialIDSize])
	p += hsm.MaterialIDSize
	b.prefix = blob[:p]
	take := func(n int) []byte {
		if n < 0 || len(blob)-p < n {
			return nil
		}
		out := blob[p : p+n]
		p += n
		return out
	}
	v := take(1)
	if v == nil || (v[0] != 12 && v[0] != 16) {
		return nil, errXKSBlob
	}
	if b.iv = take(int(v[0])); b.iv == nil {
		return nil, errXKSBlob
	}
	m := take(1)
	if m == nil || m[0] > 20 {
		return nil, errXKSBlob
	}
	if b.metadata = take(int(m[0])); b.metadata == nil {
		return nil, errXKSBlob
	}
	if b.tag = take(16); b.tag == nil {
		return nil, errXKSBlob
	}
	c := take(4)
	if c == nil {
		return nil, errXKSBlob
	}
	n := binary.BigEndian.Uint32(c)
	if n > hsm.MaxPlaintextLen+1024 || uint32(len(blob)-p) != n {
		return nil, errXKSBlob
	}
	b.ciphertext = blob[p:]
	return b, nil
}
