package kms

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

// Imported key material (AWS "bring your own key"): GetParametersForImport,
// ImportKeyMaterial, DeleteImportedKeyMaterial, on-demand rotation of
// imported material, and the worker that expires material at its ValidTo.
// The crypto boundary unwraps and seals the material (hsm.Importer); this
// file keeps the rules: which import types are allowed, that re-imported
// material is the same material, and the key states.

func init() {
	register("GetParametersForImport", (*Service).GetParametersForImport)
	register("ImportKeyMaterial", (*Service).ImportKeyMaterial)
	register("DeleteImportedKeyMaterial", (*Service).DeleteImportedKeyMaterial)
	background = append(background, (*Service).expireKeyMaterial)
}

const (
	// importParametersValidity is how long a public key and import token
	// are valid (AWS: 24 hours).
	importParametersValidity = 24 * time.Hour
	// maxValidTo is how far ahead imported material may expire (AWS: 365
	// days from the request).
	maxValidTo = 365 * day
)

// errNotExternal is AWS's answer to an import operation on a key whose
// origin is not EXTERNAL (recorded: "<arn> origin is AWS_KMS which is not
// valid for this operation.").
func errNotExternal(k *keyhold.Key) error {
	return keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
		"%s origin is %s which is not valid for this operation.", k.ARN, k.Origin)
}

// The wrapping enums whose values depend on the region, in the model's
// order: SM2 and SM2PKE exist only in China regions, the RSA_AES_KEY_WRAP
// algorithms everywhere else (regionSpec does the same for key specs).
var (
	wrappingAlgorithmEnum = []string{"RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256",
		"RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE"}
	wrappingKeySpecEnum = []string{"RSA_2048", "RSA_3072", "RSA_4096", "SM2"}
)

func wrappingInRegion(region, v string) bool {
	china := strings.HasPrefix(region, "cn-")
	switch {
	case v == "SM2" || v == hsm.WrappingSM2PKE:
		return china
	case strings.HasPrefix(v, "RSA_AES_KEY_WRAP"):
		return !china
	}
	return true
}

// checkWrappingEnum answers a value the region does not offer with the
// enum validation error listing the region's values.
func checkWrappingEnum(region, value, member string, enum []string) error {
	if wrappingInRegion(region, value) {
		return nil
	}
	var offered []string
	for _, v := range enum {
		if wrappingInRegion(region, v) {
			offered = append(offered, v)
		}
	}
	return keyhold.Errorf(keyhold.ErrCodeValidation,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
		value, member, strings.Join(offered, ", "))
}

// GetParametersForImport returns a wrapping public key and an import token
// for an EXTERNAL key, valid for 24 hours.
func (s *Service) GetParametersForImport(ctx context.Context, c *Caller, in *kmsapi.GetParametersForImportInput) (*kmsapi.GetParametersForImportOutput, error) {
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	if k.Origin != keyhold.OriginExternal {
		return nil, errNotExternal(k)
	}
	if err := checkState("GetParametersForImport", k); err != nil {
		return nil, err
	}
	alg, spec := string(val(in.WrappingAlgorithm)), string(val(in.WrappingKeySpec))
	if err := checkWrappingEnum(k.Region, alg, "wrappingAlgorithm", wrappingAlgorithmEnum); err != nil {
		return nil, err
	}
	if err := checkWrappingEnum(k.Region, spec, "wrappingKeySpec", wrappingKeySpecEnum); err != nil {
		return nil, err
	}
	if err := hsm.CheckWrapping(k.Region, alg, spec); err != nil {
		return nil, err
	}
	if err := s.ensureDomainKey(ctx, k.Region); err != nil {
		return nil, internal(err)
	}
	now := s.now().UTC()
	gp, err := s.hsm.GenerateImportParameters(ctx, k.Region, k.ARN, alg, spec, now.Add(importParametersValidity))
	if err != nil {
		return nil, boundaryError(err)
	}
	gp.Parameters.CreationDate = now
	if err := s.store.CreateImportParameters(ctx, gp.Parameters); err != nil {
		if errors.Is(err, keyhold.ErrNotFound) {
			// Deleted meanwhile.
			if _, gerr := s.getKey(ctx, k.ARN); gerr != nil {
				return nil, gerr
			}
		}
		return nil, internal(err)
	}
	return &kmsapi.GetParametersForImportOutput{
		KeyId:             ptr(k.ARN),
		ImportToken:       gp.ImportToken,
		PublicKey:         gp.PublicKey,
		ParametersValidTo: kmsapi.NewTimestamp(gp.Parameters.ValidTo),
	}, nil
}

// The messages of the ImportKeyMaterial rules. The first is AWS's
// (recorded); no recorded response shows the others, so they are
// keyhold's.
const (
	msgValidToRequired  = "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
	msgValidToForbidden = "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE"
	msgValidToPast      = "The validTo date must be in the future."
	msgValidToTooLate   = "The validTo date must be at most 365 days from now."
	msgSymmetricOnly    = "ImportType, KeyMaterialId and KeyMaterialDescription can only be used with symmetric encryption KMS keys."
	msgNewWithID        = "You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL."
)

// checkExpiration applies the ExpirationModel and ValidTo rules.
func checkExpiration(in *kmsapi.ImportKeyMaterialInput, now time.Time) (string, time.Time, error) {
	model := string(val(in.ExpirationModel))
	if model == "" {
		model = keyhold.ExpirationModelExpires // AWS's default
	}
	if model == keyhold.ExpirationModelDoesNotExpire {
		if in.ValidTo != nil {
			return "", time.Time{}, keyhold.NewError(keyhold.ErrCodeValidation, msgValidToForbidden)
		}
		return model, time.Time{}, nil
	}
	if in.ValidTo == nil {
		return "", time.Time{}, keyhold.NewError(keyhold.ErrCodeValidation, msgValidToRequired)
	}
	validTo := in.ValidTo.Time().UTC()
	switch {
	case !validTo.After(now):
		return "", time.Time{}, keyhold.NewError(keyhold.ErrCodeValidation, msgValidToPast)
	case validTo.After(now.Add(maxValidTo)):
		return "", time.Time{}, keyhold.NewError(keyhold.ErrCodeValidation, msgValidToTooLate)
	}
	return model, validTo, nil
}

// ImportKeyMaterial imports (or re-imports) key material into an EXTERNAL
// key.
func (s *Service) ImportKeyMaterial(ctx context.Context, c *Caller, in *kmsapi.ImportKeyMaterialInput) (*kmsapi.ImportKeyMaterialOutput, error) {
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	if err := checkImportable(k); err != nil {
		return nil, err
	}
	symmetric := k.KeySpec == keyhold.KeySpecSymmetricDefault
	if !symmetric && (in.ImportType != nil || in.KeyMaterialId != nil || in.KeyMaterialDescription != nil) {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation, msgSymmetricOnly)
	}
	if val(in.ImportType) == kmsapi.ImportTypeNewKeyMaterial && in.KeyMaterialId != nil {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation, msgNewWithID)
	}
	now := s.now().UTC()
	model, validTo, err := checkExpiration(in, now)
	if err != nil {
		return nil, err
	}

	tok, err := s.hsm.OpenImportToken(ctx, k.Region, k.ARN, in.ImportToken)
	if err != nil {
		return nil, boundaryError(err)
	}
	if !now.Before(tok.ValidTo) {
		return nil, hsm.ErrExpiredImportToken
	}
	p, err := s.store.GetImportParameters(ctx, k.ARN, tok.ID)
	if errors.Is(err, keyhold.ErrNotFound) {
		// Used already, expired and cleaned up, or the key was deleted
		// and its id reused.
		return nil, hsm.ErrInvalidImportToken
	}
	if err != nil {
		return nil, internal(err)
	}
	if err := s.ensureDomainKey(ctx, k.Region); err != nil {
		return nil, internal(err)
	}
	bk, err := s.hsm.ImportKeyMaterial(ctx, &hsm.ImportRequest{
		Region:               k.Region,
		KeyARN:               k.ARN,
		KeySpec:              k.KeySpec,
		ImportToken:          in.ImportToken,
		Parameters:           p,
		EncryptedKeyMaterial: in.EncryptedKeyMaterial,
	})
	if errors.Is(err, hsm.ErrInvalidCiphertext) {
		return nil, errInvalidCiphertext
	}
	if err != nil {
		return nil, boundaryError(err)
	}
	bk.CreationDate = now

	unlock := s.locks.lock(k.ARN)
	defer unlock()
	if k, err = s.getKey(ctx, k.ARN); err != nil {
		return nil, err
	}
	if err := checkImportable(k); err != nil {
		return nil, err
	}
	ms, err := s.store.ListKeyMaterials(ctx, k.ARN)
	if err != nil {
		return nil, internal(err)
	}
	m, err := importRecord(k, ms, bk.MaterialID, in)
	if err != nil {
		return nil, err
	}
	if in.KeyMaterialDescription != nil {
		m.Description = *in.KeyMaterialDescription
	}
	m.ImportState = keyhold.ImportStateImported
	m.ExpirationModel, m.ValidTo, m.ImportDate = model, validTo, now
	if k.CurrentMaterialID == "" {
		k.CurrentMaterialID = m.MaterialID
	}
	if k.State == keyhold.KeyStatePendingImport && allImported(ms, m) {
		k.State = keyhold.KeyStateEnabled
	}
	if err := s.store.ImportKeyMaterial(ctx, k, tok.ID, bk, m); err != nil {
		if errors.Is(err, keyhold.ErrNotFound) {
			return nil, hsm.ErrInvalidImportToken // used concurrently
		}
		return nil, internal(err)
	}
	s.log.InfoContext(ctx, "imported key material", "key_arn", k.ARN, "key_material_id", m.MaterialID,
		"pending_rotation", m.PendingRotation, "request_id", c.RequestID)
	out := &kmsapi.ImportKeyMaterialOutput{KeyId: ptr(k.ARN)}
	if symmetric {
		// As everywhere, AWS names key material only for symmetric keys.
		out.KeyMaterialId = ptr(m.MaterialID)
	}
	return out, nil
}

// checkImportable is the origin and state check of ImportKeyMaterial.
func checkImportable(k *keyhold.Key) error {
	if k.Origin != keyhold.OriginExternal {
		return errNotExternal(k)
	}
	return checkState("ImportKeyMaterial", k)
}

func findMaterial(ms []*keyhold.KeyMaterial, id string) *keyhold.KeyMaterial {
	for _, m := range ms {
		if m.MaterialID == id {
			return m
		}
	}
	return nil
}

func incorrectMaterial(format string, args ...any) error {
	return keyhold.Errorf(keyhold.ErrCodeIncorrectKeyMaterial, format, args...)
}

// importRecord applies the import type rules to material id imported into
// k, whose materials are ms, and returns the record to store (a copy).
//
// A symmetric key takes NEW_KEY_MATERIAL (the default until material was
// first imported) or EXISTING_KEY_MATERIAL (the default afterwards). New
// material becomes current if the key has none, and is otherwise pending
// rotation, of which there is at most one; it must not be associated with
// the key already. Existing material must be material of the key (and the
// material KeyMaterialId names, if given). Asymmetric and HMAC keys have
// one material for ever: after the first import, only the same.
func importRecord(k *keyhold.Key, ms []*keyhold.KeyMaterial, id string, in *kmsapi.ImportKeyMaterialInput) (*keyhold.KeyMaterial, error) {
	existing := findMaterial(ms, id)
	if k.KeySpec != keyhold.KeySpecSymmetricDefault {
		if len(ms) > 0 && existing == nil {
			return nil, incorrectMaterial("The key material is not the key material that was previously imported into KMS key %s.", k.ARN)
		}
		if existing == nil {
			return &keyhold.KeyMaterial{KeyARN: k.ARN, MaterialID: id}, nil
		}
		m := *existing
		return &m, nil
	}
	importType := val(in.ImportType)
	if importType == "" {
		importType = kmsapi.ImportTypeExistingKeyMaterial
		if len(ms) == 0 {
			importType = kmsapi.ImportTypeNewKeyMaterial
		}
	}
	if importType == kmsapi.ImportTypeNewKeyMaterial {
		if existing != nil {
			return nil, incorrectMaterial("The key material (id: %s) is already associated with KMS key %s. Import it with ImportType EXISTING_KEY_MATERIAL.", id, k.ARN)
		}
		for _, m := range ms {
			if m.PendingRotation {
				// AWS's message (recorded).
				return nil, keyhold.Errorf(keyhold.ErrCodeInvalidState,
					"New key material (id: %s) cannot be imported into KMS key %s, because another key material (id: %s) is pending rotation.",
					id, k.ARN, m.MaterialID)
			}
		}
		return &keyhold.KeyMaterial{KeyARN: k.ARN, MaterialID: id, PendingRotation: len(ms) > 0}, nil
	}
	if want := in.KeyMaterialId; want != nil {
		if findMaterial(ms, *want) == nil {
			return nil, incorrectMaterial("Key material %s is not associated with KMS key %s.", *want, k.ARN)
		}
		if *want != id {
			return nil, incorrectMaterial("The key material is not key material %s of KMS key %s.", *want, k.ARN)
		}
	}
	if existing == nil {
		return nil, incorrectMaterial("The key material is not key material that was previously imported into KMS key %s. Import new key material with ImportType NEW_KEY_MATERIAL.", k.ARN)
	}
	m := *existing
	return &m, nil
}

// allImported reports whether every material of the key that is not
// pending rotation is imported, counting m (the material being imported)
// as imported: then the key can leave PendingImport. AWS: "For symmetric
// encryption keys, you will need to import all of the key materials
// associated with the KMS key to change its state to Enabled."
func allImported(ms []*keyhold.KeyMaterial, m *keyhold.KeyMaterial) bool {
	if m.PendingRotation {
		return false
	}
	for _, o := range ms {
		if o.MaterialID != m.MaterialID && !o.PendingRotation && o.ImportState != keyhold.ImportStateImported {
			return false
		}
	}
	return true
}

// DeleteImportedKeyMaterial deletes imported key material: the current
// material, or the one KeyMaterialId names. The key becomes PendingImport
// unless it is PendingDeletion; material pending rotation is removed
// altogether and the key's state does not change.
func (s *Service) DeleteImportedKeyMaterial(ctx context.Context, c *Caller, in *kmsapi.DeleteImportedKeyMaterialInput) (*kmsapi.DeleteImportedKeyMaterialOutput, error) {
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(k.ARN)
	defer unlock()
	if k, err = s.getKey(ctx, k.ARN); err != nil {
		return nil, err
	}
	if k.Origin != keyhold.OriginExternal {
		return nil, errNotExternal(k)
	}
	if err := checkState("DeleteImportedKeyMaterial", k); err != nil {
		return nil, err
	}
	ms, err := s.store.ListKeyMaterials(ctx, k.ARN)
	if err != nil {
		return nil, internal(err)
	}
	id := k.CurrentMaterialID
	if in.KeyMaterialId != nil {
		id = *in.KeyMaterialId
	}
	m := findMaterial(ms, id)
	if m == nil && in.KeyMaterialId != nil {
		return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Key material %s is not associated with KMS key %s.", id, k.ARN)
	}
	out := &kmsapi.DeleteImportedKeyMaterialOutput{KeyId: ptr(k.ARN)}
	if k.KeySpec == keyhold.KeySpecSymmetricDefault {
		out.KeyMaterialId = ptr(id) // "" when the key never had material
	}
	if m == nil || m.ImportState != keyhold.ImportStateImported {
		return out, nil // nothing imported to delete: no effect
	}
	if err := s.removeMaterial(ctx, k, m); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "deleted imported key material", "key_arn", k.ARN, "key_material_id", m.MaterialID, "request_id", c.RequestID)
	return out, nil
}

// removeMaterial deletes imported material m of k (under k's lock): pending
// rotation material goes altogether, other material is erased and the key
// becomes PendingImport unless it is PendingDeletion.
func (s *Service) removeMaterial(ctx context.Context, k *keyhold.Key, m *keyhold.KeyMaterial) error {
	if m.PendingRotation {
		if err := s.store.ForgetKeyMaterial(ctx, k, m.MaterialID); err != nil {
			return internal(err)
		}
		return nil
	}
	if k.State != keyhold.KeyStatePendingDeletion && k.State != keyhold.KeyStatePendingReplicaDeletion {
		k.State = keyhold.KeyStatePendingImport
	}
	if err := s.store.EraseKeyMaterial(ctx, k, m.MaterialID); err != nil {
		return internal(err)
	}
	return nil
}

// expireKeyMaterial is the worker that deletes imported material whose
// ValidTo has passed (AWS: DeleteExpiredKeyMaterial) and forgets expired
// import parameters.
func (s *Service) expireKeyMaterial(ctx context.Context) {
	now := s.now()
	if _, err := s.store.DeleteExpiredImportParameters(ctx, now); err != nil {
		s.log.Error("deleting expired import parameters", "error", err.Error())
	}
	ms, err := s.store.ListExpiredKeyMaterials(ctx, now)
	if err != nil {
		s.log.Error("listing expired key material", "error", err.Error())
		return
	}
	for _, m := range ms {
		if err := s.expireMaterial(ctx, m.KeyARN, m.MaterialID, now); err != nil {
			s.log.Error("expiring key material", "key_arn", m.KeyARN, "key_material_id", m.MaterialID, "error", err.Error())
		}
	}
}

func (s *Service) expireMaterial(ctx context.Context, arn, id string, now time.Time) error {
	unlock := s.locks.lock(arn)
	defer unlock()
	k, err := s.store.GetKey(ctx, arn)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ms, err := s.store.ListKeyMaterials(ctx, arn)
	if err != nil {
		return err
	}
	// Re-imported or deleted meanwhile?
	m := findMaterial(ms, id)
	if m == nil || m.ImportState != keyhold.ImportStateImported ||
		m.ExpirationModel != keyhold.ExpirationModelExpires || m.ValidTo.After(now) {
		return nil
	}
	if err := s.removeMaterial(ctx, k, m); err != nil {
		return err
	}
	s.log.Info("deleted expired key material", "key_arn", arn, "key_material_id", id)
	s.serviceEvent(ctx, "DeleteExpiredKeyMaterial", arn, map[string]string{"keyMaterialId": id})
	return nil
}

// importedExpiration returns what KeyMetadata says of an EXTERNAL key's
// expiry: over the key's imported material (not pending rotation),
// KEY_MATERIAL_EXPIRES with the earliest ValidTo if any expires,
// KEY_MATERIAL_DOES_NOT_EXPIRE otherwise, nothing without imported
// material (as the recorded responses show after a deletion).
func importedExpiration(ms []*keyhold.KeyMaterial) (string, time.Time) {
	model, validTo := "", time.Time{}
	for _, m := range ms {
		if m.PendingRotation || m.ImportState != keyhold.ImportStateImported {
			continue
		}
		if m.ExpirationModel != keyhold.ExpirationModelExpires {
			if model == "" {
				model = m.ExpirationModel
			}
			continue
		}
		if model != keyhold.ExpirationModelExpires || m.ValidTo.Before(validTo) {
			validTo = m.ValidTo
		}
		model = keyhold.ExpirationModelExpires
	}
	return model, validTo
}

// describeImport adds ExpirationModel and ValidTo to the metadata of an
// EXTERNAL key.
func (s *Service) describeImport(ctx context.Context, k *keyhold.Key, m *kmsapi.KeyMetadata) error {
	if k.Origin != keyhold.OriginExternal {
		return nil
	}
	ms, err := s.store.ListKeyMaterials(ctx, k.ARN)
	if err != nil {
		return internal(err)
	}
	model, validTo := importedExpiration(ms)
	if model != "" {
		m.ExpirationModel = ptr(kmsapi.ExpirationModelType(model))
	}
	if !validTo.IsZero() {
		m.ValidTo = kmsapi.NewTimestamp(validTo)
	}
	return nil
}

// stateAfterCancel is the state CancelKeyDeletion gives a key: Disabled,
// as in AWS, but PendingImport for an EXTERNAL key that lacks imported
// material (never imported, or deleted or expired while pending deletion),
// which cannot be enabled.
func (s *Service) stateAfterCancel(ctx context.Context, k *keyhold.Key) (keyhold.KeyState, error) {
	if k.Origin != keyhold.OriginExternal {
		return keyhold.KeyStateDisabled, nil
	}
	ms, err := s.store.ListKeyMaterials(ctx, k.ARN)
	if err != nil {
		return "", internal(err)
	}
	if k.CurrentMaterialID == "" || len(ms) == 0 {
		return keyhold.KeyStatePendingImport, nil
	}
	for _, m := range ms {
		if !m.PendingRotation && m.ImportState != keyhold.ImportStateImported {
			return keyhold.KeyStatePendingImport, nil
		}
	}
	return keyhold.KeyStateDisabled, nil
}

// rotateImportedOnDemand rotates an EXTERNAL symmetric key to the material
// imported with ImportType NEW_KEY_MATERIAL (pending rotation), which
// becomes current; the old material stays for decryption.
func (s *Service) rotateImportedOnDemand(ctx context.Context, k *keyhold.Key) (*kmsapi.RotateKeyOnDemandOutput, error) {
	if k.OnDemandRotations >= maxOnDemandRotations {
		return nil, errRotationLimit(k)
	}
	if _, busy := s.rotating.LoadOrStore(k.ARN, true); busy {
		return nil, errRotationInProgress(k)
	}
	defer s.rotating.Delete(k.ARN)
	unlock := s.locks.lock(k.ARN)
	defer unlock()
	k, err := s.getKey(ctx, k.ARN)
	if err != nil {
		return nil, err
	}
	if err := checkState("RotateKeyOnDemand", k); err != nil {
		return nil, err
	}
	if k.OnDemandRotations >= maxOnDemandRotations {
		return nil, errRotationLimit(k)
	}
	ms, err := s.store.ListKeyMaterials(ctx, k.ARN)
	if err != nil {
		return nil, internal(err)
	}
	var pending *keyhold.KeyMaterial
	for _, m := range ms {
		if m.PendingRotation && m.ImportState == keyhold.ImportStateImported {
			pending = m
		}
	}
	if pending == nil {
		// Nothing to rotate to: AWS's answer to on-demand rotation of
		// an EXTERNAL key (recorded).
		return nil, errNotExternal(k)
	}
	now := s.now().UTC()
	k.CurrentMaterialID = pending.MaterialID
	k.OnDemandRotations++
	if err := s.store.RotateToKeyMaterial(ctx, k, pending.MaterialID, keyhold.RotationOnDemand, now); err != nil {
		return nil, internal(fmt.Errorf("rotating %s: %w", k.ARN, err))
	}
	s.log.Info("rotated key to imported material", "key_arn", k.ARN, "key_material_id", pending.MaterialID)
	return &kmsapi.RotateKeyOnDemandOutput{KeyId: ptr(k.ARN)}, nil
}

// keyMaterials returns the import records of an EXTERNAL key by material
// id (nil for other keys), for ListKeyRotations.
func (s *Service) keyMaterials(ctx context.Context, k *keyhold.Key) (map[string]*keyhold.KeyMaterial, error) {
	if k.Origin != keyhold.OriginExternal {
		return nil, nil
	}
	ms, err := s.store.ListKeyMaterials(ctx, k.ARN)
	if err != nil {
		return nil, internal(err)
	}
	out := make(map[string]*keyhold.KeyMaterial, len(ms))
	for _, m := range ms {
		out[m.MaterialID] = m
	}
	return out, nil
}

// describeRotation adds the import members of a ListKeyRotations entry
// for imported material m (nil for material keyhold generated).
func describeRotation(e *kmsapi.RotationsListEntry, m *keyhold.KeyMaterial) {
	if m == nil {
		return
	}
	if m.PendingRotation {
		e.KeyMaterialState = ptr(kmsapi.KeyMaterialStatePendingRotation)
	}
	e.ImportState = ptr(kmsapi.ImportState(m.ImportState))
	if m.ExpirationModel != "" {
		e.ExpirationModel = ptr(kmsapi.ExpirationModelType(m.ExpirationModel))
	}
	if !m.ValidTo.IsZero() {
		e.ValidTo = kmsapi.NewTimestamp(m.ValidTo)
	}
	if m.Description != "" {
		e.KeyMaterialDescription = ptr(m.Description)
	}
}

// materialIDOf returns bk's material id, "" for no backing key (an EXTERNAL
// key is created without material).
func materialIDOf(bk *keyhold.BackingKey) string {
	if bk == nil {
		return ""
	}
	return bk.MaterialID
}
