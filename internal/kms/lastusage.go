package kms

import (
	"context"
	"errors"
	"sync"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("GetKeyLastUsage", (*Service).GetKeyLastUsage)
	background = append(background, (*Service).flushUsage)
}

// usageRecorder batches last-use records in memory; the background worker
// writes them in one transaction every few seconds, so tracking puts no
// store write on a cryptographic request's path. A crash loses at most the
// last interval's records (they are "last used" hints, not audit: the audit
// log is the record of every call).
type usageRecorder struct {
	mu      sync.Mutex
	pending map[string]keyhold.KeyUsage
}

func (r *usageRecorder) record(u keyhold.KeyUsage) {
	r.mu.Lock()
	if r.pending == nil {
		r.pending = make(map[string]keyhold.KeyUsage)
	}
	r.pending[u.KeyARN] = u
	r.mu.Unlock()
}

func (r *usageRecorder) get(arn string) (keyhold.KeyUsage, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.pending[arn]
	return u, ok
}

func (r *usageRecorder) take() []keyhold.KeyUsage {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]keyhold.KeyUsage, 0, len(r.pending))
	for _, u := range r.pending {
		out = append(out, u)
	}
	r.pending = nil
	return out
}

// trackedOps are the operations of AWS's KeyLastUsageTrackingOperation
// enum.
var trackedOps = map[string]bool{
	"Decrypt": true, "DeriveSharedSecret": true, "Encrypt": true, "GenerateDataKey": true,
	"GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true,
	"GenerateDataKeyWithoutPlaintext": true, "GenerateMac": true, "ReEncrypt": true,
	"Sign": true, "Verify": true, "VerifyMac": true,
}

// OutputKeyARNs returns the key ARNs an operation's output names (the
// KeyId of cryptographic outputs, ReEncrypt's SourceKeyId, KeyMetadata's
// Arn), without reflection: the audit trail lists them as resources.
func OutputKeyARNs(out any) []string {
	var a, b *string
	switch o := out.(type) {
	case *kmsapi.EncryptOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.DecryptOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.ReEncryptOutput:
		if o != nil {
			a, b = o.KeyId, o.SourceKeyId
		}
	case *kmsapi.GenerateDataKeyOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.GenerateDataKeyWithoutPlaintextOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.GenerateDataKeyPairOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.GenerateDataKeyPairWithoutPlaintextOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.SignOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.VerifyOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.GenerateMacOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.VerifyMacOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.DeriveSharedSecretOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.GetPublicKeyOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.DescribeKeyOutput:
		if o != nil && o.KeyMetadata != nil {
			a = o.KeyMetadata.Arn
		}
	case *kmsapi.CreateKeyOutput:
		if o != nil && o.KeyMetadata != nil {
			a = o.KeyMetadata.Arn
		}
	case *kmsapi.ScheduleKeyDeletionOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.CancelKeyDeletionOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.GetKeyRotationStatusOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.RotateKeyOnDemandOutput:
		if o != nil {
			a = o.KeyId
		}
	case *kmsapi.GetKeyLastUsageOutput:
		if o != nil {
			a = o.KeyId
		}
	}
	var arns []string
	for _, p := range []*string{a, b} {
		if p != nil && *p != "" {
			arns = append(arns, *p)
		}
	}
	return arns
}

// trackUsage records the last use of the keys in a successful
// cryptographic operation's output.
func (s *Service) trackUsage(c *Caller, op string, out any) {
	if !trackedOps[op] {
		return
	}
	arns := OutputKeyARNs(out)
	if len(arns) == 0 {
		return
	}
	now := s.now().UTC()
	for _, a := range arns {
		s.usage.record(keyhold.KeyUsage{KeyARN: a, Operation: op, Timestamp: now, RequestID: c.RequestID})
	}
}

func (s *Service) flushUsage(ctx context.Context) {
	us := s.usage.take()
	if len(us) == 0 {
		return
	}
	if err := s.store.PutKeyUsage(ctx, us); err != nil {
		s.log.Error("writing key last-usage records", "error", err.Error(), "records", len(us))
		for _, u := range us { // keep them for the next round
			if _, newer := s.usage.get(u.KeyARN); !newer {
				s.usage.record(u)
			}
		}
	}
}

// GetKeyLastUsage reports the last cryptographic use of a key.
func (s *Service) GetKeyLastUsage(ctx context.Context, c *Caller, in *kmsapi.GetKeyLastUsageInput) (*kmsapi.GetKeyLastUsageOutput, error) {
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	out := &kmsapi.GetKeyLastUsageOutput{
		KeyId:             ptr(k.ARN),
		KeyCreationDate:   kmsapi.NewTimestamp(k.CreationDate),
		TrackingStartDate: kmsapi.NewTimestamp(k.CreationDate),
	}
	u, ok := s.usage.get(k.ARN)
	if !ok {
		stored, err := s.store.GetKeyUsage(ctx, k.ARN)
		switch {
		case errors.Is(err, keyhold.ErrNotFound):
			return out, nil
		case err != nil:
			return nil, internal(err)
		}
		u = *stored
	}
	out.KeyLastUsage = &kmsapi.KeyLastUsageData{
		Operation:    ptr(kmsapi.KeyLastUsageTrackingOperation(u.Operation)),
		Timestamp:    kmsapi.NewTimestamp(u.Timestamp),
		KmsRequestId: ptr(u.RequestID),
	}
	return out, nil
}
