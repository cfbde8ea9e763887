package kms

import (
	"context"
	"errors"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("Encrypt", (*Service).Encrypt)
	register("Decrypt", (*Service).Decrypt)
	register("ReEncrypt", (*Service).ReEncrypt)
	register("GenerateDataKey", (*Service).GenerateDataKey)
	register("GenerateDataKeyWithoutPlaintext", (*Service).GenerateDataKeyWithoutPlaintext)
	register("GenerateRandom", (*Service).GenerateRandom)
}

const dryRunMessage = "The request would have succeeded, but the DryRun option is set."

var errDryRun = keyhold.NewError(keyhold.ErrCodeDryRunOperation, dryRunMessage)

func isDryRun(p *bool) bool { return p != nil && *p }

// errRecipient is returned for the Nitro Enclaves Recipient parameter, which
// needs an attestation document keyhold cannot verify.
var errRecipient = keyhold.NewError(keyhold.ErrCodeUnsupportedOperation,
	"The Recipient parameter (AWS Nitro Enclaves attestation) is not supported by keyhold.")

// encryptionKey resolves keyID for an operation named op that encrypts
// under the key, and returns the key and its current backing key. The key
// may be symmetric or asymmetric; the caller checks the algorithm
// (checkEncryption) or requires a symmetric key (symmetricKey).
func (s *Service) encryptionKey(ctx context.Context, c *Caller, keyID, op string) (*keyhold.Key, *keyhold.BackingKey, error) {
	k, err := s.resolveKey(ctx, c, keyID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkUsable(k); err != nil {
		return nil, nil, err
	}
	if err := checkUsage(k, keyhold.KeyUsageEncryptDecrypt, op); err != nil {
		return nil, nil, err
	}
	bk, err := s.backingKey(ctx, k.ARN, k.CurrentMaterialID)
	if err != nil {
		return nil, nil, err
	}
	return k, bk, nil
}

// symmetricKey is encryptionKey for the operations that only symmetric
// encryption keys do (GenerateDataKey*, GenerateDataKeyPair*).
func (s *Service) symmetricKey(ctx context.Context, c *Caller, keyID, op string) (*keyhold.Key, *keyhold.BackingKey, error) {
	k, bk, err := s.encryptionKey(ctx, c, keyID, op)
	if err != nil {
		return nil, nil, err
	}
	if k.KeySpec != keyhold.KeySpecSymmetricDefault {
		return nil, nil, keyhold.Errorf(keyhold.ErrCodeInvalidKeyUsage,
			"%s key KeySpec is %s which is not valid for %s.", k.ARN, k.KeySpec, op)
	}
	return k, bk, nil
}

// checkEncryption checks that k encrypts with alg ("" means
// SYMMETRIC_DEFAULT, as in AWS) and returns the algorithm. For an
// asymmetric key it also checks the plaintext length (n; -1 when not yet
// known, as in ReEncrypt before the source is decrypted) and that there
// is no encryption context, which only symmetric keys take.
func checkEncryption(k *keyhold.Key, alg kmsapi.EncryptionAlgorithmSpec, n int, ec map[string]string) (kmsapi.EncryptionAlgorithmSpec, error) {
	if alg == "" {
		alg = keyhold.AlgorithmSymmetric
	}
	if k.KeySpec == keyhold.KeySpecSymmetricDefault {
		return alg, checkAlgorithm(k, alg)
	}
	spec, err := specOf(k)
	if err != nil {
		return "", err
	}
	if n < 0 {
		err = spec.CheckDecrypt(string(alg))
	} else {
		err = spec.CheckEncrypt(string(alg), n)
	}
	if err != nil {
		return "", err
	}
	if len(ec) > 0 {
		return "", errAsymmetricContext
	}
	return alg, nil
}

// errAsymmetricContext is the answer to an encryption context given with
// an asymmetric key (keyhold's wording; AWS only documents that these keys
// take none).
var errAsymmetricContext = keyhold.NewError(keyhold.ErrCodeValidation,
	"EncryptionContext is not supported when encrypting/decrypting with asymmetric CMKs.")

// encryptWith encrypts pt under k (checked by checkEncryption): a
// ciphertext blob for a symmetric key, the raw RSAES-OAEP or SM2PKE
// ciphertext for an asymmetric one.
func (s *Service) encryptWith(ctx context.Context, k *keyhold.Key, bk *keyhold.BackingKey, alg kmsapi.EncryptionAlgorithmSpec, pt []byte, ec map[string]string) ([]byte, error) {
	if k.KeySpec == keyhold.KeySpecSymmetricDefault {
		return s.sealSymmetric(ctx, k, bk, pt, ec) // xksclient.go: double encryption in external key stores
	}
	blob, err := s.hsm.EncryptAsymmetric(ctx, bk, string(alg), pt)
	if err != nil {
		return nil, boundaryError(err)
	}
	return blob, nil
}

func checkAlgorithm(k *keyhold.Key, alg kmsapi.EncryptionAlgorithmSpec) error {
	if alg != "" && string(alg) != keyhold.AlgorithmSymmetric {
		return keyhold.Errorf(keyhold.ErrCodeInvalidKeyUsage,
			"Algorithm %s is incompatible with key spec %s.", alg, k.KeySpec)
	}
	return nil
}

func (s *Service) backingKey(ctx context.Context, keyARN, materialID string) (*keyhold.BackingKey, error) {
	bk, err := s.store.GetBackingKey(ctx, keyARN, materialID)
	if err != nil {
		return nil, internal(err)
	}
	return bk, nil
}

// Encrypt encrypts up to 4096 bytes under a symmetric key, or a short
// plaintext under an RSA or SM2 key's public key.
func (s *Service) Encrypt(ctx context.Context, c *Caller, in *kmsapi.EncryptInput) (*kmsapi.EncryptOutput, error) {
	k, bk, err := s.encryptionKey(ctx, c, str(in.KeyId), "Encrypt")
	if err != nil {
		return nil, err
	}
	alg, err := checkEncryption(k, val(in.EncryptionAlgorithm), len(in.Plaintext), in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	blob, err := s.encryptWith(ctx, k, bk, alg, in.Plaintext, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	out := &kmsapi.EncryptOutput{
		CiphertextBlob:      blob,
		KeyId:               ptr(k.ARN),
		EncryptionAlgorithm: ptr(alg),
	}
	return out, nil
}

// errInvalidCiphertext is AWS's answer to any ciphertext that cannot be
// decrypted: the message is empty, so it tells an attacker nothing.
var errInvalidCiphertext = keyhold.NewError(keyhold.ErrCodeInvalidCiphertext, "")

var errIncorrectKey = keyhold.NewError(keyhold.ErrCodeIncorrectKey,
	"The key ID in the request does not identify a CMK that can perform this operation.")

// decryptBlob decrypts a ciphertext blob for Decrypt and ReEncrypt. keyID,
// if given, must name the key the blob was made under. When ignoreCiphertext
// is set (a dry run with IGNORE_CIPHERTEXT) only the key is checked.
func (s *Service) decryptBlob(ctx context.Context, c *Caller, blob []byte, keyID string, ec map[string]string, alg kmsapi.EncryptionAlgorithmSpec, op string, dryRun, ignoreCiphertext bool) (*keyhold.Key, *keyhold.BackingKey, []byte, error) {
	if ignoreCiphertext {
		if keyID == "" {
			return nil, nil, nil, keyhold.NewError(keyhold.ErrCodeValidation,
				"KeyId is required when the DryRun modifier IGNORE_CIPHERTEXT is set.")
		}
		k, err := s.resolveKey(ctx, c, keyID)
		if err != nil {
			return nil, nil, nil, err
		}
		if err := checkUsable(k); err != nil {
			return nil, nil, nil, err
		}
		if err := checkUsage(k, keyhold.KeyUsageEncryptDecrypt, op); err != nil {
			return nil, nil, nil, err
		}
		return nil, nil, nil, errDryRun
	}
	if len(blob) == 0 {
		return nil, nil, nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
	}
	h, err := blobHeader(blob) // xksclient.go: v1 blobs and external key store blobs
	if err != nil {
		return nil, nil, nil, errInvalidCiphertext
	}
	owner, err := keyhold.ParseARN(h.KeyARN)
	if err != nil || owner.Region != c.Region {
		// A blob made in another region (or not by keyhold) cannot be
		// decrypted here.
		return nil, nil, nil, errInvalidCiphertext
	}
	if owner.Account != c.Account && authzOf(ctx) == nil {
		return nil, nil, nil, accessDenied(c, h.KeyARN)
	}
	if keyID != "" {
		want, err := s.resolveKey(ctx, c, keyID)
		if err != nil {
			return nil, nil, nil, err
		}
		if want.ARN != h.KeyARN {
			return nil, nil, nil, errIncorrectKey
		}
	}
	k, err := s.getKey(ctx, h.KeyARN)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkUsable(k); err != nil {
		return nil, nil, nil, err
	}
	if err := checkUsage(k, keyhold.KeyUsageEncryptDecrypt, op); err != nil {
		return nil, nil, nil, err
	}
	if alg != "" && string(alg) != keyhold.AlgorithmSymmetric {
		return nil, nil, nil, errIncorrectKey
	}
	bk, err := s.store.GetBackingKey(ctx, k.ARN, h.MaterialID)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, nil, nil, errInvalidCiphertext
	}
	if err != nil {
		return nil, nil, nil, internal(err)
	}
	if dryRun {
		return nil, nil, nil, errDryRun
	}
	pt, err := s.openSymmetric(ctx, k, bk, blob, ec) // xksclient.go
	if err != nil {
		return nil, nil, nil, err
	}
	return k, bk, pt, nil
}

func ignoresCiphertext(dryRun *bool, mods []kmsapi.DryRunModifierType) bool {
	if !isDryRun(dryRun) {
		return false
	}
	for _, m := range mods {
		if m == kmsapi.DryRunModifierTypeIgnoreCiphertext {
			return true
		}
	}
	return false
}

// decrypted is the result of decrypting for Decrypt and ReEncrypt.
type decrypted struct {
	k   *keyhold.Key
	bk  *keyhold.BackingKey
	pt  []byte
	alg kmsapi.EncryptionAlgorithmSpec
}

// materialID returns the backing key's material id for the response
// members that AWS fills only for symmetric encryption keys.
func (d *decrypted) materialID() *string {
	if d.k.KeySpec != keyhold.KeySpecSymmetricDefault {
		return nil
	}
	return ptr(d.bk.MaterialID)
}

// decrypt decrypts blob for Decrypt and ReEncrypt. With a KeyId naming an
// asymmetric key and an asymmetric algorithm, blob is the raw ciphertext
// of that key's public key (from Encrypt or made outside keyhold with
// GetPublicKey's key); otherwise it is a symmetric ciphertext blob
// (decryptBlob). As in AWS, an asymmetric key with the default algorithm
// is taken as a symmetric request, which fails on the ciphertext.
func (s *Service) decrypt(ctx context.Context, c *Caller, blob []byte, keyID string, ec map[string]string, alg kmsapi.EncryptionAlgorithmSpec, op string, dryRun, ignoreCiphertext bool) (*decrypted, error) {
	if keyID != "" && alg != "" && string(alg) != keyhold.AlgorithmSymmetric {
		k, err := s.resolveKey(ctx, c, keyID)
		if err != nil {
			return nil, err
		}
		if k.KeySpec != keyhold.KeySpecSymmetricDefault {
			return s.decryptAsymmetric(ctx, k, blob, ec, alg, op, dryRun, ignoreCiphertext)
		}
	}
	k, bk, pt, err := s.decryptBlob(ctx, c, blob, keyID, ec, alg, op, dryRun, ignoreCiphertext)
	if err != nil {
		return nil, err
	}
	return &decrypted{k: k, bk: bk, pt: pt, alg: keyhold.AlgorithmSymmetric}, nil
}

// decryptAsymmetric decrypts a raw RSAES-OAEP or SM2PKE ciphertext with
// the private key of k.
func (s *Service) decryptAsymmetric(ctx context.Context, k *keyhold.Key, blob []byte, ec map[string]string, alg kmsapi.EncryptionAlgorithmSpec, op string, dryRun, ignoreCiphertext bool) (*decrypted, error) {
	if err := checkUsable(k); err != nil {
		return nil, err
	}
	if err := checkUsage(k, keyhold.KeyUsageEncryptDecrypt, op); err != nil {
		return nil, err
	}
	if _, err := checkEncryption(k, alg, -1, ec); err != nil {
		return nil, err
	}
	if ignoreCiphertext {
		return nil, errDryRun
	}
	if len(blob) == 0 {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
	}
	bk, err := s.backingKey(ctx, k.ARN, k.CurrentMaterialID)
	if err != nil {
		return nil, err
	}
	if dryRun {
		return nil, errDryRun
	}
	pt, err := s.hsm.DecryptAsymmetric(ctx, bk, string(alg), blob)
	if errors.Is(err, hsm.ErrInvalidCiphertext) {
		return nil, errInvalidCiphertext
	}
	if err != nil {
		return nil, internal(err)
	}
	return &decrypted{k: k, bk: bk, pt: pt, alg: alg}, nil
}

// Decrypt decrypts a ciphertext. A symmetric ciphertext blob names its
// key, so KeyId is optional; when given it must name that key. An
// asymmetric ciphertext needs KeyId and EncryptionAlgorithm.
func (s *Service) Decrypt(ctx context.Context, c *Caller, in *kmsapi.DecryptInput) (*kmsapi.DecryptOutput, error) {
	if in.Recipient != nil {
		return nil, errRecipient
	}
	d, err := s.decrypt(ctx, c, in.CiphertextBlob, str(in.KeyId), in.EncryptionContext,
		val(in.EncryptionAlgorithm), "Decrypt", isDryRun(in.DryRun), ignoresCiphertext(in.DryRun, in.DryRunModifiers))
	if err != nil {
		return nil, err
	}
	return &kmsapi.DecryptOutput{
		KeyId:               ptr(d.k.ARN),
		Plaintext:           d.pt,
		EncryptionAlgorithm: ptr(d.alg),
		KeyMaterialId:       d.materialID(),
	}, nil
}

// ReEncrypt decrypts a ciphertext and encrypts its plaintext under the
// destination key without the plaintext leaving the service. Either side
// may be symmetric or asymmetric.
func (s *Service) ReEncrypt(ctx context.Context, c *Caller, in *kmsapi.ReEncryptInput) (*kmsapi.ReEncryptOutput, error) {
	// Check the destination first so a dry run checks both sides.
	setAuthzAction(ctx, "kms:ReEncryptTo")
	dk, dbk, err := s.encryptionKey(ctx, c, str(in.DestinationKeyId), "ReEncrypt")
	if err != nil {
		return nil, err
	}
	dalg, err := checkEncryption(dk, val(in.DestinationEncryptionAlgorithm), -1, in.DestinationEncryptionContext)
	if err != nil {
		return nil, err
	}
	setAuthzAction(ctx, "kms:ReEncryptFrom")
	src, err := s.decrypt(ctx, c, in.CiphertextBlob, str(in.SourceKeyId), in.SourceEncryptionContext,
		val(in.SourceEncryptionAlgorithm), "ReEncrypt", isDryRun(in.DryRun), ignoresCiphertext(in.DryRun, in.DryRunModifiers))
	if err != nil {
		return nil, err
	}
	defer clear(src.pt)
	if _, err := checkEncryption(dk, dalg, len(src.pt), in.DestinationEncryptionContext); err != nil {
		return nil, err
	}
	blob, err := s.encryptWith(ctx, dk, dbk, dalg, src.pt, in.DestinationEncryptionContext)
	if err != nil {
		return nil, err
	}
	dst := &decrypted{k: dk, bk: dbk}
	return &kmsapi.ReEncryptOutput{
		CiphertextBlob:                 blob,
		SourceKeyId:                    ptr(src.k.ARN),
		KeyId:                          ptr(dk.ARN),
		SourceEncryptionAlgorithm:      ptr(src.alg),
		DestinationEncryptionAlgorithm: ptr(dalg),
		SourceKeyMaterialId:            src.materialID(),
		DestinationKeyMaterialId:       dst.materialID(),
	}, nil
}

// dataKeySize returns the data key length that KeySpec or NumberOfBytes
// asks for; exactly one of them must be given.
func dataKeySize(spec kmsapi.DataKeySpec, n *int32) (int, error) {
	if (spec == "") == (n == nil) {
		return 0, keyhold.NewError(keyhold.ErrCodeValidation, "Please specify either number of bytes or key spec.")
	}
	switch {
	case n != nil:
		return int(*n), nil
	case spec == kmsapi.DataKeySpecAes128:
		return 16, nil
	default:
		return 32, nil
	}
}

// generateDataKey makes a data key and its ciphertext under keyID.
func (s *Service) generateDataKey(ctx context.Context, c *Caller, keyID string, spec kmsapi.DataKeySpec, n *int32, ec map[string]string, dryRun bool, op string) (*keyhold.Key, *keyhold.BackingKey, []byte, []byte, error) {
	size, err := dataKeySize(spec, n)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	k, bk, err := s.symmetricKey(ctx, c, keyID, op)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if dryRun {
		return nil, nil, nil, nil, errDryRun
	}
	pt, err := s.hsm.GenerateRandom(ctx, size)
	if err != nil {
		return nil, nil, nil, nil, internal(err)
	}
	blob, err := s.sealSymmetric(ctx, k, bk, pt, ec) // xksclient.go
	if err != nil {
		clear(pt)
		return nil, nil, nil, nil, err
	}
	return k, bk, pt, blob, nil
}

// GenerateDataKey returns a data key in plaintext and encrypted.
func (s *Service) GenerateDataKey(ctx context.Context, c *Caller, in *kmsapi.GenerateDataKeyInput) (*kmsapi.GenerateDataKeyOutput, error) {
	if in.Recipient != nil {
		return nil, errRecipient
	}
	k, bk, pt, blob, err := s.generateDataKey(ctx, c, str(in.KeyId), val(in.KeySpec), in.NumberOfBytes, in.EncryptionContext, isDryRun(in.DryRun), "GenerateDataKey")
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyOutput{
		CiphertextBlob: blob,
		Plaintext:      pt,
		KeyId:          ptr(k.ARN),
		KeyMaterialId:  ptr(bk.MaterialID),
	}, nil
}

// GenerateDataKeyWithoutPlaintext returns only the encrypted data key.
func (s *Service) GenerateDataKeyWithoutPlaintext(ctx context.Context, c *Caller, in *kmsapi.GenerateDataKeyWithoutPlaintextInput) (*kmsapi.GenerateDataKeyWithoutPlaintextOutput, error) {
	k, bk, pt, blob, err := s.generateDataKey(ctx, c, str(in.KeyId), val(in.KeySpec), in.NumberOfBytes, in.EncryptionContext, isDryRun(in.DryRun), "GenerateDataKeyWithoutPlaintext")
	if err != nil {
		return nil, err
	}
	clear(pt)
	return &kmsapi.GenerateDataKeyWithoutPlaintextOutput{
		CiphertextBlob: blob,
		KeyId:          ptr(k.ARN),
		KeyMaterialId:  ptr(bk.MaterialID),
	}, nil
}

// GenerateRandom returns 1 to 1024 random bytes.
func (s *Service) GenerateRandom(ctx context.Context, c *Caller, in *kmsapi.GenerateRandomInput) (*kmsapi.GenerateRandomOutput, error) {
	if in.Recipient != nil {
		return nil, errRecipient
	}
	if in.NumberOfBytes == nil {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation, "NumberOfBytes is required.")
	}
	if in.CustomKeyStoreId != nil {
		return nil, s.checkRandomKeyStore(ctx, c, *in.CustomKeyStoreId) // xksclient.go
	}
	b, err := s.hsm.GenerateRandom(ctx, int(*in.NumberOfBytes))
	if err != nil {
		return nil, internal(err)
	}
	return &kmsapi.GenerateRandomOutput{Plaintext: b}, nil
}
