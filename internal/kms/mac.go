package kms

import (
	"context"

	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("GenerateMac", (*Service).GenerateMac)
	register("VerifyMac", (*Service).VerifyMac)
}

// GenerateMac returns the HMAC of a message under an HMAC key.
func (s *Service) GenerateMac(ctx context.Context, c *Caller, in *kmsapi.GenerateMacInput) (*kmsapi.GenerateMacOutput, error) {
	k, spec, bk, err := s.usableKey(ctx, c, str(in.KeyId), hsm.UsageGenerateVerifyMAC, "GenerateMac")
	if err != nil {
		return nil, err
	}
	alg := string(val(in.MacAlgorithm))
	if err := spec.CheckMAC(alg); err != nil {
		return nil, err
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	mac, err := s.hsm.GenerateMAC(ctx, bk, alg, in.Message)
	if err != nil {
		return nil, boundaryError(err)
	}
	return &kmsapi.GenerateMacOutput{Mac: mac, MacAlgorithm: in.MacAlgorithm, KeyId: ptr(k.ARN)}, nil
}

// VerifyMac checks an HMAC. A MAC that does not match is
// KMSInvalidMacException, as in AWS; MacValid is only ever true.
func (s *Service) VerifyMac(ctx context.Context, c *Caller, in *kmsapi.VerifyMacInput) (*kmsapi.VerifyMacOutput, error) {
	k, spec, bk, err := s.usableKey(ctx, c, str(in.KeyId), hsm.UsageGenerateVerifyMAC, "VerifyMac")
	if err != nil {
		return nil, err
	}
	alg := string(val(in.MacAlgorithm))
	if err := spec.CheckMAC(alg); err != nil {
		return nil, err
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	if err := s.hsm.VerifyMAC(ctx, bk, alg, in.Message, in.Mac); err != nil {
		return nil, boundaryError(err)
	}
	return &kmsapi.VerifyMacOutput{KeyId: ptr(k.ARN), MacValid: ptr(true), MacAlgorithm: in.MacAlgorithm}, nil
}
