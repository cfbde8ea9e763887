package hsm

import (
	"crypto"
	"crypto/hmac"
	"fmt"
	"io"
)

// hmacKind is HMAC_224, HMAC_256, HMAC_384 and HMAC_512 (RFC 2104 with
// SHA-2). Material is the raw key. keyhold generates keys as long as the
// hash output; it loads keys of min to max bytes, the lengths AWS accepts
// for imported HMAC key material.
type hmacKind struct {
	spec     string
	alg      string
	hash     crypto.Hash
	min, max int
}

var (
	hmac224 = hmacKind{"HMAC_224", "HMAC_SHA_224", crypto.SHA224, 28, 64}
	hmac256 = hmacKind{"HMAC_256", "HMAC_SHA_256", crypto.SHA256, 32, 64}
	hmac384 = hmacKind{"HMAC_384", "HMAC_SHA_384", crypto.SHA384, 48, 128}
	hmac512 = hmacKind{"HMAC_512", "HMAC_SHA_512", crypto.SHA512, 64, 128}
)

type hmacKey struct {
	kind hmacKind
	key  []byte
}

func (k hmacKind) generate(rand io.Reader) ([]byte, error) {
	key := make([]byte, k.hash.Size())
	if err := readFull(rand, key); err != nil {
		return nil, err
	}
	return key, nil
}

func (k hmacKind) load(material []byte) (Key, error) {
	if len(material) < k.min || len(material) > k.max {
		return nil, fmt.Errorf("hsm: %s key material must be %d to %d bytes", k.spec, k.min, k.max)
	}
	return &hmacKey{kind: k, key: append([]byte(nil), material...)}, nil
}

func (k *hmacKey) Spec() *Spec       { return specs[k.kind.spec] }
func (k *hmacKey) PublicKey() []byte { return nil }

func (k *hmacKey) mac(_ string, msg []byte) []byte {
	m := hmac.New(k.kind.hash.New, k.key)
	m.Write(msg)
	return m.Sum(nil)
}
