package kms

import (
	"context"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("CreateKey", (*Service).CreateKey)
	register("DescribeKey", (*Service).DescribeKey)
	register("ListKeys", (*Service).ListKeys)
}

// CreateKey creates a KMS key of any key spec: symmetric encryption keys,
// RSA, ECC, Ed25519, ML-DSA and SM2 key pairs, and HMAC keys, with origin
// AWS_KMS, or with origin EXTERNAL and no key material (PendingImport
// until ImportKeyMaterial). The spec and usage are validated as AWS does.
func (s *Service) CreateKey(ctx context.Context, c *Caller, in *kmsapi.CreateKeyInput) (*kmsapi.CreateKeyOutput, error) {
	name, member, enum := string(val(in.KeySpec)), "keySpec", keySpecEnum
	if in.CustomerMasterKeySpec != nil {
		if name != "" {
			return nil, keyhold.NewError(keyhold.ErrCodeValidation,
				"You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.")
		}
		name, member, enum = string(*in.CustomerMasterKeySpec), "customerMasterKeySpec", customerMasterKeySpecEnum
	}
	if name == "" {
		name = keyhold.KeySpecSymmetricDefault
	}
	spec, err := regionSpec(c.Region, name, member, enum)
	if err != nil {
		return nil, err
	}
	usage := string(val(in.KeyUsage))
	if usage == "" {
		if !spec.Symmetric() {
			return nil, keyhold.NewError(keyhold.ErrCodeValidation,
				"You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
		}
		usage = keyhold.KeyUsageEncryptDecrypt
	}
	if !spec.AllowsUsage(usage) {
		return nil, keyhold.Errorf(keyhold.ErrCodeValidation,
			"KeyUsage %s is not compatible with KeySpec %s", usage, spec.Name)
	}
	origin := string(val(in.Origin))
	if origin == "" {
		origin = keyhold.OriginAWSKMS
	}
	if in.Policy != nil {
		// The key does not exist yet: the lockout check sees it with a
		// fresh ARN and no tags or aliases (keypolicy.go).
		pending := &keyhold.Key{ARN: keyhold.KeyARN(c.Region, c.Account, keyhold.NewUUID()), Account: c.Account, Region: c.Region,
			KeySpec: spec.Name, KeyUsage: usage, Origin: origin}
		if err := s.checkKeyPolicy(ctx, c, pending, *in.Policy, val(in.BypassPolicyLockoutSafetyCheck)); err != nil {
			return nil, err
		}
	}
	if origin == keyhold.OriginExternalKeyStore || origin == keyhold.OriginAWSCloudHSM ||
		in.CustomKeyStoreId != nil || in.XksKeyId != nil {
		return s.createKeyInCustomKeyStore(ctx, c, in, spec.Name, usage, origin) // xkskeys.go
	}
	if origin != keyhold.OriginAWSKMS && origin != keyhold.OriginExternal {
		return nil, keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
			"Origin %s is not supported by keyhold yet.", origin)
	}
	if in.CustomKeyStoreId != nil {
		return nil, keyhold.Errorf(keyhold.ErrCodeCustomKeyStoreNotFound,
			"Custom key store %s does not exist.", *in.CustomKeyStoreId)
	}
	if in.XksKeyId != nil {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"XksKeyId can only be specified with a custom key store of type EXTERNAL_KEY_STORE.")
	}
	if in.MultiRegion != nil && *in.MultiRegion {
		return nil, keyhold.NewError(keyhold.ErrCodeUnsupportedOperation,
			"Multi-Region keys are not supported by keyhold yet.")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}

	if err := s.ensureDomainKey(ctx, c.Region); err != nil {
		return nil, internal(err)
	}
	id := keyhold.NewUUID()
	arn := keyhold.KeyARN(c.Region, c.Account, id)
	var bk *keyhold.BackingKey
	switch {
	case origin == keyhold.OriginExternal:
		// No key material until ImportKeyMaterial (import.go).
	case spec.Symmetric():
		bk, err = s.hsm.GenerateBackingKey(ctx, c.Region, arn)
	default:
		bk, err = s.hsm.GenerateKeyMaterial(ctx, c.Region, arn, spec.Name)
	}
	if err != nil {
		return nil, internal(err)
	}
	k := &keyhold.Key{
		ARN:               arn,
		ID:                id,
		Account:           c.Account,
		Region:            c.Region,
		Description:       str(in.Description),
		KeyUsage:          usage,
		KeySpec:           spec.Name,
		Origin:            origin,
		State:             keyhold.KeyStateEnabled,
		Policy:            str(in.Policy),
		CreationDate:      s.now().UTC(),
		CurrentMaterialID: materialIDOf(bk),
	}
	if bk == nil {
		k.State = keyhold.KeyStatePendingImport // EXTERNAL
	} else {
		bk.CreationDate = k.CreationDate
	}
	if err := s.store.CreateKey(ctx, k, tags, bk); err != nil {
		return nil, internal(err)
	}
	s.log.DebugContext(ctx, "created key", "key_arn", arn, "request_id", c.RequestID)
	return &kmsapi.CreateKeyOutput{KeyMetadata: keyMetadata(k)}, nil
}

// checkTags applies the tag rules that are not in the API model: no "aws:"
// prefix (it is reserved for AWS), no duplicate keys, at most 50 tags.
func checkTags(in []kmsapi.Tag) ([]keyhold.Tag, error) {
	if len(in) > 50 {
		return nil, keyhold.NewError(keyhold.ErrCodeTag, "Too many tags. A KMS key can have at most 50 tags.")
	}
	seen := make(map[string]bool, len(in))
	tags := make([]keyhold.Tag, 0, len(in))
	for _, t := range in {
		k, v := str(t.TagKey), str(t.TagValue)
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, keyhold.NewError(keyhold.ErrCodeTag, "Tags beginning with aws: are reserved")
		}
		if seen[k] {
			return nil, keyhold.NewError(keyhold.ErrCodeTag, "Duplicate tag keys")
		}
		seen[k] = true
		tags = append(tags, keyhold.Tag{Key: k, Value: v})
	}
	return tags, nil
}

// DescribeKey returns a key's metadata.
func (s *Service) DescribeKey(ctx context.Context, c *Caller, in *kmsapi.DescribeKeyInput) (*kmsapi.DescribeKeyOutput, error) {
	k, err := s.resolveKey(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	m := keyMetadata(k)
	if err := s.describeImport(ctx, k, m); err != nil {
		return nil, err
	}
	if err := s.customKeyStoreMetadata(ctx, k, m); err != nil {
		return nil, err
	}
	return &kmsapi.DescribeKeyOutput{KeyMetadata: m}, nil
}

// keyMetadata renders a key as AWS's KeyMetadata, with the members AWS
// returns for a customer managed key: the algorithm list of the key's
// usage, and CurrentKeyMaterialId only for symmetric encryption keys (the
// keys that rotate), as AWS documents.
func keyMetadata(k *keyhold.Key) *kmsapi.KeyMetadata {
	m := &kmsapi.KeyMetadata{
		AWSAccountId: ptr(k.Account),
		KeyId:        ptr(k.ID),
		Arn:          ptr(k.ARN),
		CreationDate: kmsapi.NewTimestamp(k.CreationDate),
		Enabled:      ptr(k.Enabled()),
		Description:  ptr(k.Description),
		KeyUsage:     ptr(kmsapi.KeyUsageType(k.KeyUsage)),
		KeyState:     ptr(kmsapi.KeyState(k.State)),
		Origin:       ptr(kmsapi.OriginType(k.Origin)),
		KeyManager:   ptr(kmsapi.KeyManagerType(keyhold.KeyManagerCustomer)),
		KeySpec:      ptr(kmsapi.KeySpec(k.KeySpec)),
		MultiRegion:  ptr(k.MultiRegion),
	}
	if isCustomerMasterKeySpec(k.KeySpec) {
		m.CustomerMasterKeySpec = ptr(kmsapi.CustomerMasterKeySpec(k.KeySpec))
	}
	m.EncryptionAlgorithms, m.SigningAlgorithms, m.MacAlgorithms, m.KeyAgreementAlgorithms = algorithmLists(k)
	if k.CurrentMaterialID != "" && k.KeySpec == keyhold.KeySpecSymmetricDefault {
		m.CurrentKeyMaterialId = ptr(k.CurrentMaterialID)
	}
	if k.State == keyhold.KeyStatePendingDeletion {
		m.DeletionDate = kmsapi.NewTimestamp(k.DeletionDate)
		m.PendingDeletionWindowInDays = ptr(int32(k.PendingWindowInDays))
	}
	return m
}

// ListKeys lists the caller's keys in the request's region. The marker is
// the id of the last key returned.
func (s *Service) ListKeys(ctx context.Context, c *Caller, in *kmsapi.ListKeysInput) (*kmsapi.ListKeysOutput, error) {
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	after := ""
	if in.Marker != nil {
		after = *in.Marker
		if !validKeyID(after) {
			return nil, keyhold.NewError(keyhold.ErrCodeInvalidMarker, "Invalid marker")
		}
	}
	keys, err := s.store.ListKeys(ctx, c.Account, c.Region, after, limit+1)
	if err != nil {
		return nil, internal(err)
	}
	out := &kmsapi.ListKeysOutput{Keys: []kmsapi.KeyListEntry{}, Truncated: ptr(false)}
	if len(keys) > limit {
		keys = keys[:limit]
		out.Truncated = ptr(true)
		out.NextMarker = ptr(keys[len(keys)-1].ID)
	}
	for _, k := range keys {
		out.Keys = append(out.Keys, kmsapi.KeyListEntry{KeyId: ptr(k.ID), KeyArn: ptr(k.ARN)})
	}
	return out, nil
}
