package soft

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
)

// GenerateKeyMaterial implements hsm.Boundary. It reads the key from the
// random source (for ML-DSA and HMAC keys and the ids; Go's RSA and ECDSA
// key generation uses its own DRBG), then the material id and the EKT's
// IV.
func (b *Boundary) GenerateKeyMaterial(ctx context.Context, region, keyARN, keySpec string) (*keyhold.BackingKey, error) {
	spec, ok := hsm.LookupSpec(keySpec)
	if !ok || spec.Symmetric() {
		return nil, fmt.Errorf("soft: GenerateKeyMaterial: key spec %q has no key type", keySpec)
	}
	dk, err := b.activeDomainKey(region)
	if err != nil {
		return nil, err
	}
	material, err := spec.Generate(b.rand)
	if err != nil {
		return nil, fmt.Errorf("soft: generating %s key for %s: %w", keySpec, keyARN, err)
	}
	defer clear(material)
	mid, err := hsm.NewMaterialID(b.rand)
	if err != nil {
		return nil, err
	}
	ekt, err := hsm.SealKeyEKT(b.rand, dk.aead, hsm.EKTBinding{Region: region, DomainKeyID: dk.id, KeyARN: keyARN, MaterialID: mid}, keySpec, material)
	if err != nil {
		return nil, fmt.Errorf("soft: sealing %s key for %s: %w", keySpec, keyARN, err)
	}
	return &keyhold.BackingKey{
		KeyARN:       keyARN,
		MaterialID:   mid,
		DomainKeyID:  dk.id,
		EKT:          ekt,
		CreationDate: b.now().UTC(),
	}, nil
}

// PublicKey implements hsm.Boundary.
func (b *Boundary) PublicKey(ctx context.Context, bk *keyhold.BackingKey) ([]byte, error) {
	k, err := b.loadKey(bk)
	if err != nil {
		return nil, err
	}
	pub := k.PublicKey()
	if pub == nil {
		return nil, fmt.Errorf("soft: %s key has no public key", k.Spec().Name)
	}
	return bytes.Clone(pub), nil
}

// Sign implements hsm.Boundary.
func (b *Boundary) Sign(ctx context.Context, bk *keyhold.BackingKey, alg, messageType string, message []byte) ([]byte, error) {
	k, err := b.loadKey(bk)
	if err != nil {
		return nil, err
	}
	return hsm.Sign(b.rand, k, alg, messageType, message)
}

// Verify implements hsm.Boundary.
func (b *Boundary) Verify(ctx context.Context, bk *keyhold.BackingKey, alg, messageType string, message, signature []byte) error {
	k, err := b.loadKey(bk)
	if err != nil {
		return err
	}
	return hsm.Verify(k, alg, messageType, message, signature)
}

// EncryptAsymmetric implements hsm.Boundary.
func (b *Boundary) EncryptAsymmetric(ctx context.Context, bk *keyhold.BackingKey, alg string, plaintext []byte) ([]byte, error) {
	k, err := b.loadKey(bk)
	if err != nil {
		return nil, err
	}
	return hsm.EncryptAsymmetric(b.rand, k, alg, plaintext)
}

// DecryptAsymmetric implements hsm.Boundary.
func (b *Boundary) DecryptAsymmetric(ctx context.Context, bk *keyhold.BackingKey, alg string, ciphertext []byte) ([]byte, error) {
	k, err := b.loadKey(bk)
	if err != nil {
		return nil, err
	}
	return hsm.DecryptAsymmetric(k, alg, ciphertext)
}

// GenerateMAC implements hsm.Boundary.
func (b *Boundary) GenerateMAC(ctx context.Context, bk *keyhold.BackingKey, alg string, message []byte) ([]byte, error) {
	k, err := b.loadKey(bk)
	if err != nil {
		return nil, err
	}
	return hsm.GenerateMAC(k, alg, message)
}

// VerifyMAC implements hsm.Boundary.
func (b *Boundary) VerifyMAC(ctx context.Context, bk *keyhold.BackingKey, alg string, message, mac []byte) error {
	k, err := b.loadKey(bk)
	if err != nil {
		return err
	}
	return hsm.VerifyMAC(k, alg, message, mac)
}

// DeriveSharedSecret implements hsm.Boundary.
func (b *Boundary) DeriveSharedSecret(ctx context.Context, bk *keyhold.BackingKey, alg string, peerPublicKey []byte) ([]byte, error) {
	k, err := b.loadKey(bk)
	if err != nil {
		return nil, err
	}
	return hsm.DeriveSharedSecret(k, alg, peerPublicKey)
}

// GenerateDataKeyPair implements hsm.Boundary.
func (b *Boundary) GenerateDataKeyPair(ctx context.Context, bk *keyhold.BackingKey, keyPairSpec string, encryptionContext map[string]string, withPlaintext bool) (*hsm.DataKeyPair, error) {
	spec, ok := hsm.LookupSpec(keyPairSpec)
	if !ok || !spec.DataKeyPair {
		return nil, fmt.Errorf("soft: %q is not a data key pair spec", keyPairSpec)
	}
	private, err := spec.Generate(b.rand)
	if err != nil {
		return nil, fmt.Errorf("soft: generating %s data key pair: %w", keyPairSpec, err)
	}
	k, err := spec.Load(private)
	if err != nil {
		clear(private)
		return nil, err
	}
	blob, err := b.Encrypt(ctx, bk, private, encryptionContext)
	if err != nil {
		clear(private)
		return nil, err
	}
	if !withPlaintext {
		clear(private)
		private = nil
	}
	return &hsm.DataKeyPair{PrivateKeyPlaintext: private, PrivateKeyCiphertext: blob, PublicKey: bytes.Clone(k.PublicKey())}, nil
}

// loadKey returns the loaded key of bk, an asymmetric or HMAC backing key,
// from the cache or by opening its EKT. The cache entry is used only for
// the identical EKT, so a record that changed is opened (and checked)
// again.
func (b *Boundary) loadKey(bk *keyhold.BackingKey) (hsm.Key, error) {
	if bk == nil {
		return nil, errNilBackingKey
	}
	id := bk.KeyARN + "\x00" + bk.MaterialID
	if k := b.keys.get(id, bk.EKT); k != nil {
		return k, nil
	}
	dk, err := b.sealingDomainKey(bk)
	if err != nil {
		return nil, err
	}
	name, material, err := hsm.OpenKeyEKT(dk.aead, hsm.EKTBinding{Region: dk.region, DomainKeyID: dk.id, KeyARN: bk.KeyARN, MaterialID: bk.MaterialID}, bk.EKT)
	if err != nil {
		return nil, fmt.Errorf("soft: backing key %s of %s: %w", bk.MaterialID, bk.KeyARN, err)
	}
	defer clear(material)
	spec, ok := hsm.LookupSpec(name)
	if !ok || spec.Symmetric() {
		return nil, fmt.Errorf("soft: backing key %s of %s holds %s material, not a key pair or HMAC key", bk.MaterialID, bk.KeyARN, name)
	}
	k, err := spec.Load(material)
	if err != nil {
		return nil, fmt.Errorf("soft: backing key %s of %s: %w", bk.MaterialID, bk.KeyARN, err)
	}
	b.mu.RLock()
	if !b.closed {
		b.keys.put(id, bytes.Clone(bk.EKT), k)
	}
	b.mu.RUnlock()
	return k, nil
}

// keyCacheSize bounds the loaded keys kept in memory.
const keyCacheSize = 1024

// keyCache keeps loaded keys by key ARN and material id, so that Sign,
// Verify and the rest do not open an EKT and parse PKCS #8 on every call.
// It holds key material: Close clears it.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	ekt []byte
	key hsm.Key
}

func (c *keyCache) get(id string, ekt []byte) hsm.Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || !bytes.Equal(e.ekt, ekt) {
		return nil
	}
	return e.key
}

func (c *keyCache) put(id string, ekt []byte, k hsm.Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedKey{}
	}
	if len(c.m) >= keyCacheSize {
		for old := range c.m { // evict one arbitrary entry
			delete(c.m, old)
			break
		}
	}
	c.m[id] = cachedKey{ekt: ekt, key: k}
}

func (c *keyCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}
