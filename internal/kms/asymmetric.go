package kms

import (
	"context"
	"errors"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("Sign", (*Service).Sign)
	register("Verify", (*Service).Verify)
	register("GetPublicKey", (*Service).GetPublicKey)
	register("DeriveSharedSecret", (*Service).DeriveSharedSecret)
}

// usableKey resolves keyID for the operation op, checks that the key can
// be used and has usage, and returns it with its spec and current backing
// key. Asymmetric and HMAC keys have exactly one backing key.
func (s *Service) usableKey(ctx context.Context, c *Caller, keyID, usage, op string) (*keyhold.Key, *hsm.Spec, *keyhold.BackingKey, error) {
	k, err := s.resolveKey(ctx, c, keyID)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkUsable(k); err != nil {
		return nil, nil, nil, err
	}
	if err := checkUsage(k, usage, op); err != nil {
		return nil, nil, nil, err
	}
	spec, err := specOf(k)
	if err != nil {
		return nil, nil, nil, err
	}
	bk, err := s.backingKey(ctx, k.ARN, k.CurrentMaterialID)
	if err != nil {
		return nil, nil, nil, err
	}
	return k, spec, bk, nil
}

// boundaryError passes on the AWS errors the crypto boundary gives for the
// caller's input (hsm.ErrInvalidSignature, a Spec check's error, ...) and
// makes anything else internal.
func boundaryError(err error) error {
	if e, ok := keyhold.AsError(err); ok {
		return e
	}
	return internal(err)
}

// Sign signs a message or digest with an asymmetric SIGN_VERIFY key.
func (s *Service) Sign(ctx context.Context, c *Caller, in *kmsapi.SignInput) (*kmsapi.SignOutput, error) {
	k, spec, bk, err := s.usableKey(ctx, c, str(in.KeyId), hsm.UsageSignVerify, "Sign")
	if err != nil {
		return nil, err
	}
	alg, mt := string(val(in.SigningAlgorithm)), messageType(in.MessageType)
	if err := spec.CheckSign(alg, mt, len(in.Message)); err != nil {
		return nil, err
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	sig, err := s.hsm.Sign(ctx, bk, alg, mt, in.Message)
	if err != nil {
		return nil, boundaryError(err)
	}
	return &kmsapi.SignOutput{KeyId: ptr(k.ARN), Signature: sig, SigningAlgorithm: in.SigningAlgorithm}, nil
}

// Verify verifies a signature with an asymmetric SIGN_VERIFY key. A
// signature that does not verify is KMSInvalidSignatureException, as in
// AWS; SignatureValid is only ever true.
func (s *Service) Verify(ctx context.Context, c *Caller, in *kmsapi.VerifyInput) (*kmsapi.VerifyOutput, error) {
	k, spec, bk, err := s.usableKey(ctx, c, str(in.KeyId), hsm.UsageSignVerify, "Verify")
	if err != nil {
		return nil, err
	}
	alg, mt := string(val(in.SigningAlgorithm)), messageType(in.MessageType)
	if err := spec.CheckVerify(alg, mt, len(in.Message)); err != nil {
		return nil, err
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	if err := s.hsm.Verify(ctx, bk, alg, mt, in.Message, in.Signature); err != nil {
		return nil, boundaryError(err)
	}
	return &kmsapi.VerifyOutput{KeyId: ptr(k.ARN), SignatureValid: ptr(true), SigningAlgorithm: in.SigningAlgorithm}, nil
}

func messageType(p *kmsapi.MessageType) string {
	if p == nil {
		return hsm.MessageRaw
	}
	return string(*p)
}

// GetPublicKey returns the public key of an asymmetric key (DER
// SubjectPublicKeyInfo) with the members that say how to use it.
func (s *Service) GetPublicKey(ctx context.Context, c *Caller, in *kmsapi.GetPublicKeyInput) (*kmsapi.GetPublicKeyOutput, error) {
	k, err := s.resolveKey(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	if err := checkUsable(k); err != nil {
		return nil, err
	}
	spec, err := specOf(k)
	if err != nil {
		return nil, err
	}
	if spec.Symmetric() || k.KeyUsage == hsm.UsageGenerateVerifyMAC {
		return nil, keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
			"%s key spec is %s which is not valid for GetPublicKey.", k.ARN, k.KeySpec)
	}
	bk, err := s.backingKey(ctx, k.ARN, k.CurrentMaterialID)
	if err != nil {
		return nil, err
	}
	pub, err := s.hsm.PublicKey(ctx, bk)
	if err != nil {
		return nil, internal(err)
	}
	out := &kmsapi.GetPublicKeyOutput{
		KeyId:     ptr(k.ARN),
		PublicKey: pub,
		KeySpec:   ptr(kmsapi.KeySpec(k.KeySpec)),
		KeyUsage:  ptr(kmsapi.KeyUsageType(k.KeyUsage)),
	}
	if isCustomerMasterKeySpec(k.KeySpec) {
		out.CustomerMasterKeySpec = ptr(kmsapi.CustomerMasterKeySpec(k.KeySpec))
	}
	out.EncryptionAlgorithms, out.SigningAlgorithms, _, out.KeyAgreementAlgorithms = algorithmLists(k)
	return out, nil
}

// DeriveSharedSecret runs ECDH between a KEY_AGREEMENT key's private key
// and the caller's peer public key.
func (s *Service) DeriveSharedSecret(ctx context.Context, c *Caller, in *kmsapi.DeriveSharedSecretInput) (*kmsapi.DeriveSharedSecretOutput, error) {
	if in.Recipient != nil {
		return nil, errRecipient
	}
	k, spec, bk, err := s.usableKey(ctx, c, str(in.KeyId), hsm.UsageKeyAgreement, "DeriveSharedSecret")
	if err != nil {
		return nil, err
	}
	alg := string(val(in.KeyAgreementAlgorithm))
	if err := spec.CheckKeyAgreement(alg); err != nil {
		return nil, err
	}
	if err := spec.CheckPeerPublicKey(in.PublicKey); err != nil {
		return nil, err
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	secret, err := s.hsm.DeriveSharedSecret(ctx, bk, alg, in.PublicKey)
	if errors.Is(err, hsm.ErrInvalidPublicKey) {
		return nil, hsm.ErrInvalidPublicKey
	}
	if err != nil {
		return nil, internal(err)
	}
	return &kmsapi.DeriveSharedSecretOutput{
		KeyId:                 ptr(k.ARN),
		SharedSecret:          secret,
		KeyAgreementAlgorithm: in.KeyAgreementAlgorithm,
		KeyOrigin:             ptr(kmsapi.OriginType(k.Origin)),
	}, nil
}
