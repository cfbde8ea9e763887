package kms

import (
	"context"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("GenerateDataKeyPair", (*Service).GenerateDataKeyPair)
	register("GenerateDataKeyPairWithoutPlaintext", (*Service).GenerateDataKeyPairWithoutPlaintext)
}

// generateDataKeyPair makes a key pair of keyPairSpec whose PKCS #8
// private key is encrypted under the symmetric key keyID.
func (s *Service) generateDataKeyPair(ctx context.Context, c *Caller, keyID string, keyPairSpec kmsapi.DataKeyPairSpec, ec map[string]string, dryRun, withPlaintext bool, op string) (*keyhold.Key, *keyhold.BackingKey, *hsm.DataKeyPair, error) {
	if _, err := regionSpec(c.Region, string(keyPairSpec), "keyPairSpec", dataKeyPairSpecEnum); err != nil {
		return nil, nil, nil, err
	}
	k, bk, err := s.symmetricKey(ctx, c, keyID, op)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkNotExternalStore(k, op); err != nil { // xksclient.go
		return nil, nil, nil, err
	}
	if dryRun {
		return nil, nil, nil, errDryRun
	}
	pair, err := s.hsm.GenerateDataKeyPair(ctx, bk, string(keyPairSpec), ec, withPlaintext)
	if err != nil {
		return nil, nil, nil, internal(err)
	}
	return k, bk, pair, nil
}

// GenerateDataKeyPair returns a new key pair: the public key, the private
// key in plaintext (PKCS #8) and encrypted under a symmetric KMS key.
func (s *Service) GenerateDataKeyPair(ctx context.Context, c *Caller, in *kmsapi.GenerateDataKeyPairInput) (*kmsapi.GenerateDataKeyPairOutput, error) {
	if in.Recipient != nil {
		return nil, errRecipient
	}
	k, bk, pair, err := s.generateDataKeyPair(ctx, c, str(in.KeyId), val(in.KeyPairSpec), in.EncryptionContext, isDryRun(in.DryRun), true, "GenerateDataKeyPair")
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyPairOutput{
		PrivateKeyCiphertextBlob: pair.PrivateKeyCiphertext,
		PrivateKeyPlaintext:      pair.PrivateKeyPlaintext,
		PublicKey:                pair.PublicKey,
		KeyId:                    ptr(k.ARN),
		KeyPairSpec:              in.KeyPairSpec,
		KeyMaterialId:            ptr(bk.MaterialID),
	}, nil
}

// GenerateDataKeyPairWithoutPlaintext is GenerateDataKeyPair without the
// plaintext private key, which never leaves the crypto boundary.
func (s *Service) GenerateDataKeyPairWithoutPlaintext(ctx context.Context, c *Caller, in *kmsapi.GenerateDataKeyPairWithoutPlaintextInput) (*kmsapi.GenerateDataKeyPairWithoutPlaintextOutput, error) {
	k, bk, pair, err := s.generateDataKeyPair(ctx, c, str(in.KeyId), val(in.KeyPairSpec), in.EncryptionContext, isDryRun(in.DryRun), false, "GenerateDataKeyPairWithoutPlaintext")
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyPairWithoutPlaintextOutput{
		PrivateKeyCiphertextBlob: pair.PrivateKeyCiphertext,
		PublicKey:                pair.PublicKey,
		KeyId:                    ptr(k.ARN),
		KeyPairSpec:              in.KeyPairSpec,
		KeyMaterialId:            ptr(bk.MaterialID),
	}, nil
}
