package kms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("EnableKeyRotation", (*Service).EnableKeyRotation)
	register("DisableKeyRotation", (*Service).DisableKeyRotation)
	register("GetKeyRotationStatus", (*Service).GetKeyRotationStatus)
	register("RotateKeyOnDemand", (*Service).RotateKeyOnDemand)
	register("ListKeyRotations", (*Service).ListKeyRotations)
}

const (
	defaultRotationPeriodDays = 365
	maxOnDemandRotations      = 25
	day                       = 24 * time.Hour
)

// checkRotatable applies the rules AWS states for rotation: only
// symmetric encryption keys with key material KMS generated, outside custom
// key stores.
func checkRotatable(k *keyhold.Key) error {
	if k.Origin != keyhold.OriginAWSKMS {
		return keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
			"%s origin is %s which is not valid for this operation.", k.ARN, k.Origin)
	}
	if k.KeySpec != keyhold.KeySpecSymmetricDefault {
		// AWS answers asymmetric and HMAC keys with an empty message.
		return keyhold.NewError(keyhold.ErrCodeUnsupportedOperation, "")
	}
	return nil
}

// EnableKeyRotation turns on automatic rotation every RotationPeriodInDays
// (90..2560, default 365).
func (s *Service) EnableKeyRotation(ctx context.Context, c *Caller, in *kmsapi.EnableKeyRotationInput) (*kmsapi.EnableKeyRotationOutput, error) {
	period := defaultRotationPeriodDays
	if in.RotationPeriodInDays != nil {
		period = int(*in.RotationPeriodInDays)
	}
	_, err := s.mutateKey(ctx, c, str(in.KeyId), "EnableKeyRotation", func(k *keyhold.Key) (bool, error) {
		if err := checkRotatable(k); err != nil {
			return false, err
		}
		if k.RotationEnabled && k.RotationPeriodInDays == period {
			return false, nil
		}
		k.RotationEnabled = true
		k.RotationPeriodInDays = period
		k.NextRotationDate = s.now().UTC().Add(time.Duration(period) * day)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.EnableKeyRotationOutput{}, nil
}

// DisableKeyRotation turns automatic rotation off.
func (s *Service) DisableKeyRotation(ctx context.Context, c *Caller, in *kmsapi.DisableKeyRotationInput) (*kmsapi.DisableKeyRotationOutput, error) {
	_, err := s.mutateKey(ctx, c, str(in.KeyId), "DisableKeyRotation", func(k *keyhold.Key) (bool, error) {
		if err := checkRotatable(k); err != nil {
			return false, err
		}
		k.RotationEnabled = false
		k.NextRotationDate = time.Time{}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.DisableKeyRotationOutput{}, nil
}

// GetKeyRotationStatus reports automatic rotation and any on-demand
// rotation in progress.
func (s *Service) GetKeyRotationStatus(ctx context.Context, c *Caller, in *kmsapi.GetKeyRotationStatusInput) (*kmsapi.GetKeyRotationStatusOutput, error) {
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	if err := checkRotatable(k); err != nil {
		return nil, err
	}
	if err := checkState("GetKeyRotationStatus", k); err != nil {
		return nil, err
	}
	out := &kmsapi.GetKeyRotationStatusOutput{KeyId: ptr(k.ARN), KeyRotationEnabled: ptr(k.RotationEnabled)}
	if k.RotationEnabled {
		out.RotationPeriodInDays = ptr(int32(k.RotationPeriodInDays))
		out.NextRotationDate = kmsapi.NewTimestamp(k.NextRotationDate)
	}
	if !k.OnDemandRotationStartDate.IsZero() {
		out.OnDemandRotationStartDate = kmsapi.NewTimestamp(k.OnDemandRotationStartDate)
	}
	return out, nil
}

// RotateKeyOnDemand rotates a key's material now (at most 25 times per key).
func (s *Service) RotateKeyOnDemand(ctx context.Context, c *Caller, in *kmsapi.RotateKeyOnDemandInput) (*kmsapi.RotateKeyOnDemandOutput, error) {
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	if err := checkState("RotateKeyOnDemand", k); err != nil {
		return nil, err
	}
	if k.Origin == keyhold.OriginExternal && k.KeySpec == keyhold.KeySpecSymmetricDefault {
		return s.rotateImportedOnDemand(ctx, k) // to imported material (import.go)
	}
	if err := checkRotatable(k); err != nil {
		return nil, err
	}
	if k.OnDemandRotations >= maxOnDemandRotations {
		return nil, errRotationLimit(k)
	}
	if _, busy := s.rotating.LoadOrStore(k.ARN, true); busy {
		return nil, errRotationInProgress(k)
	}
	defer s.rotating.Delete(k.ARN)
	if err := s.rotate(ctx, k.ARN, keyhold.RotationOnDemand); err != nil {
		return nil, err
	}
	return &kmsapi.RotateKeyOnDemandOutput{KeyId: ptr(k.ARN)}, nil
}

// rotate adds a new backing key to the key and makes it current, in one
// store transaction. Old backing keys stay, so old ciphertexts decrypt.
func (s *Service) rotate(ctx context.Context, arn, rotationType string) error {
	unlock := s.locks.lock(arn)
	defer unlock()
	k, err := s.getKey(ctx, arn)
	if err != nil {
		return err
	}
	if rotationType == keyhold.RotationOnDemand {
		if err := checkState("RotateKeyOnDemand", k); err != nil {
			return err
		}
		if k.OnDemandRotations >= maxOnDemandRotations {
			return errRotationLimit(k)
		}
	} else if k.State != keyhold.KeyStateEnabled || !k.RotationEnabled || k.NextRotationDate.After(s.now()) {
		return nil // changed since it was found due
	}
	if err := s.ensureDomainKey(ctx, k.Region); err != nil {
		return internal(err)
	}
	bk, err := s.hsm.GenerateBackingKey(ctx, k.Region, k.ARN)
	if err != nil {
		return internal(err)
	}
	now := s.now().UTC()
	bk.CreationDate = now
	bk.RotationType = rotationType
	k.CurrentMaterialID = bk.MaterialID
	if rotationType == keyhold.RotationOnDemand {
		k.OnDemandRotations++
	} else {
		k.NextRotationDate = now.Add(time.Duration(k.RotationPeriodInDays) * day)
	}
	if err := s.store.RotateKey(ctx, k, bk); err != nil {
		return internal(fmt.Errorf("rotating %s: %w", arn, err))
	}
	s.log.Info("rotated key", "key_arn", arn, "rotation_type", rotationType, "key_material_id", bk.MaterialID)
	if rotationType == keyhold.RotationAutomatic {
		s.serviceEvent(ctx, "RotateKey", arn, map[string]string{"keyMaterialId": bk.MaterialID})
	}
	return nil
}

// ListKeyRotations lists the rotations of a key, newest last. With
// IncludeKeyMaterial ALL_KEY_MATERIAL the key's first material is listed too.
func (s *Service) ListKeyRotations(ctx context.Context, c *Caller, in *kmsapi.ListKeyRotationsInput) (*kmsapi.ListKeyRotationsOutput, error) {
	limit, err := listLimit(in.Limit, 1000, 100)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker, "rotation")
	if err != nil {
		return nil, err
	}
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	if k.KeySpec != keyhold.KeySpecSymmetricDefault {
		return nil, keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
			"%s key spec is %s: only symmetric encryption keys have rotations.", k.ARN, k.KeySpec)
	}
	if err := checkState("ListKeyRotations", k); err != nil {
		return nil, err
	}
	bks, err := s.store.ListBackingKeys(ctx, k.ARN)
	if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return nil, internal(err)
	}
	imported, err := s.keyMaterials(ctx, k) // import records of an EXTERNAL key (import.go)
	if err != nil {
		return nil, err
	}
	all := val(in.IncludeKeyMaterial) == kmsapi.IncludeKeyMaterialAllKeyMaterial
	var entries []kmsapi.RotationsListEntry
	skipping := after != ""
	for _, bk := range bks {
		if bk.RotationType == "" && !all {
			continue
		}
		if skipping {
			if bk.MaterialID == after {
				skipping = false
			}
			continue
		}
		state := kmsapi.KeyMaterialStateNonCurrent
		if bk.MaterialID == k.CurrentMaterialID {
			state = kmsapi.KeyMaterialStateCurrent
		}
		e := kmsapi.RotationsListEntry{
			KeyId:            ptr(k.ARN),
			KeyMaterialId:    ptr(bk.MaterialID),
			KeyMaterialState: ptr(state),
		}
		if bk.RotationType != "" {
			e.RotationDate = kmsapi.NewTimestamp(bk.CreationDate)
			e.RotationType = ptr(kmsapi.RotationType(bk.RotationType))
		}
		describeRotation(&e, imported[bk.MaterialID])
		entries = append(entries, e)
	}
	if skipping {
		return nil, errInvalidMarker
	}
	out := &kmsapi.ListKeyRotationsOutput{Rotations: []kmsapi.RotationsListEntry{}, Truncated: ptr(false)}
	if len(entries) > limit {
		entries = entries[:limit]
		out.Truncated = ptr(true)
		out.NextMarker = ptr(encodeMarker("rotation", *entries[len(entries)-1].KeyMaterialId))
	}
	out.Rotations = append(out.Rotations, entries...)
	return out, nil
}

// errRotationLimit is AWS's answer past the 25 on-demand rotations of a key.
func errRotationLimit(k *keyhold.Key) error {
	return keyhold.Errorf(keyhold.ErrCodeLimitExceeded,
		"The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: %s", k.ARN)
}

// errRotationInProgress answers a second on-demand rotation while one runs.
func errRotationInProgress(k *keyhold.Key) error {
	return keyhold.Errorf(keyhold.ErrCodeConflict, "An on-demand rotation of %s is already in progress.", k.ARN)
}
