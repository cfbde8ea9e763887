package kms

import (
	"context"
	"errors"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/xks"
)

// createKeyInCustomKeyStore is CreateKey for Origin EXTERNAL_KEY_STORE (or
// any request naming a custom key store): it checks the external key with
// the proxy (GetKeyMetadata) and creates the KMS key with keyhold backing
// key material and the link to its external key.
func (s *Service) createKeyInCustomKeyStore(ctx context.Context, c *Caller, in *kmsapi.CreateKeyInput, specName, usage, origin string) (*kmsapi.CreateKeyOutput, error) {
	xksKeyID, storeID := str(in.XksKeyId), str(in.CustomKeyStoreId)
	switch {
	case in.XksKeyId != nil && origin != keyhold.OriginExternalKeyStore:
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"XksKeyId can only be specified with a custom key store of type EXTERNAL_KEY_STORE.")
	case in.CustomKeyStoreId != nil && origin != keyhold.OriginExternalKeyStore && origin != keyhold.OriginAWSCloudHSM:
		return nil, keyhold.Errorf(keyhold.ErrCodeValidation,
			"Origin must be EXTERNAL_KEY_STORE or AWS_CLOUDHSM to create a KMS key in custom key store %s.", storeID)
	case in.CustomKeyStoreId == nil:
		return nil, keyhold.Errorf(keyhold.ErrCodeValidation,
			"CustomKeyStoreId is required when Origin is %s.", origin)
	case origin == keyhold.OriginExternalKeyStore && in.XksKeyId == nil:
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"XksKeyId is required when Origin is EXTERNAL_KEY_STORE.")
	}
	cks, err := s.store.GetCustomKeyStore(ctx, c.Account, c.Region, storeID)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, errStoreNotFound(storeID)
	}
	if err != nil {
		return nil, internal(err)
	}
	if origin != cks.Type {
		return nil, keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
			"Origin %s does not match custom key store %s of type %s.", origin, cks.ID, cks.Type)
	}
	if specName != keyhold.KeySpecSymmetricDefault || usage != keyhold.KeyUsageEncryptDecrypt {
		return nil, keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
			"KeySpec %s with KeyUsage %s is not valid in a custom key store: only SYMMETRIC_DEFAULT keys for ENCRYPT_DECRYPT are.", specName, usage)
	}
	if in.MultiRegion != nil && *in.MultiRegion {
		return nil, keyhold.NewError(keyhold.ErrCodeUnsupportedOperation,
			"Multi-Region keys cannot be created in a custom key store.")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	if cks.ConnectionState != keyhold.ConnectionConnected {
		return nil, keyhold.Errorf(keyhold.ErrCodeCustomKeyStoreInvalidSt,
			"Custom key store %s is not connected. Its connection state is %s.", cks.ID, cks.ConnectionState)
	}
	if _, err := s.store.GetCustomKeyStoreKeyByXKSKeyID(ctx, cks.ID, xksKeyID); err == nil {
		return nil, errXKSKeyInUse
	} else if !errors.Is(err, keyhold.ErrNotFound) {
		return nil, internal(err)
	}

	var md xks.MetadataResponse
	in2 := &xks.MetadataRequest{RequestMetadata: requestMetadata(ctx, "CreateKey", "")}
	if err := s.callProxy(ctx, cks, xks.OpGetKeyMetadata, xksKeyID, in2, &md); err != nil {
		return nil, createKeyProxyError(err)
	}
	if err := checkExternalKey(&md); err != nil {
		return nil, err
	}

	if err := s.ensureDomainKey(ctx, c.Region); err != nil {
		return nil, internal(err)
	}
	id := keyhold.NewUUID()
	arn := keyhold.KeyARN(c.Region, c.Account, id)
	bk, err := s.hsm.GenerateBackingKey(ctx, c.Region, arn)
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
		KeySpec:           specName,
		Origin:            origin,
		State:             keyhold.KeyStateEnabled,
		Policy:            str(in.Policy),
		CreationDate:      s.now().UTC(),
		CurrentMaterialID: bk.MaterialID,
	}
	bk.CreationDate = k.CreationDate
	link := &keyhold.CustomKeyStoreKey{KeyARN: arn, CustomKeyStoreID: cks.ID, XKSKeyID: xksKeyID}
	err = s.store.CreateCustomKeyStoreKey(ctx, k, tags, bk, link)
	switch {
	case errors.Is(err, keyhold.ErrConflict):
		return nil, errXKSKeyInUse
	case errors.Is(err, keyhold.ErrNotFound):
		return nil, errStoreNotFound(storeID) // deleted meanwhile
	case err != nil:
		return nil, internal(err)
	}
	s.log.DebugContext(ctx, "created key in external key store", "key_arn", arn, "custom_key_store_id", cks.ID, "request_id", c.RequestID)
	m := keyMetadata(k)
	m.CustomKeyStoreId = ptr(cks.ID)
	m.XksKeyConfiguration = &kmsapi.XksKeyConfigurationType{Id: ptr(xksKeyID)}
	return &kmsapi.CreateKeyOutput{KeyMetadata: m}, nil
}

var errXKSKeyInUse = keyhold.NewError(keyhold.ErrCodeXKSKeyAlreadyInUse,
	"The request was rejected because the (XksKeyId) is already associated with another KMS key in this external key store. Each KMS key in an external key store must be associated with a different external key.")

func errStoreNotFound(id string) error {
	return keyhold.Errorf(keyhold.ErrCodeCustomKeyStoreNotFound, "Custom key store %s does not exist.", id)
}

// createKeyProxyError maps a failed GetKeyMetadata for CreateKey: the
// external key's own faults get the XksKey* exceptions, everything else
// CustomKeyStoreInvalidStateException with AWS's message.
func createKeyProxyError(err error) error {
	switch xks.ErrorName(err) {
	case xks.ErrKeyNotFound:
		return keyhold.NewError(keyhold.ErrCodeXKSKeyNotFound, msgXKSKeyNotFound)
	case xks.ErrInvalidState:
		return keyhold.NewError(keyhold.ErrCodeXKSKeyInvalidConfiguration, msgXKSKeyDisabled)
	case xks.ErrInvalidKeyUsage:
		return keyhold.NewError(keyhold.ErrCodeXKSKeyInvalidConfiguration, msgXKSKeyUsage)
	}
	if xks.ErrorName(err) == "" && xks.FailureOf(err) == 0 {
		return cryptoError(err)
	}
	return keyhold.NewError(keyhold.ErrCodeCustomKeyStoreInvalidSt, proxyMessage(err))
}

// checkExternalKey applies AWS's requirements for an external key: AES_256,
// ENABLED, usage including ENCRYPT and DECRYPT (with AWS's messages).
func checkExternalKey(md *xks.MetadataResponse) error {
	if md.KeySpec != xks.KeySpecAES256 {
		return keyhold.Errorf(keyhold.ErrCodeXKSKeyInvalidConfiguration,
			"The key spec of the external key must be AES_256. The key spec of specified external key is %s.", safe(md.KeySpec))
	}
	if md.KeyStatus != xks.KeyStatusEnabled {
		return keyhold.Errorf(keyhold.ErrCodeXKSKeyInvalidConfiguration,
			"The status of the external key must be ENABLED. The status of specified external key is %s.", safe(md.KeyStatus))
	}
	var enc, dec bool
	for _, u := range md.KeyUsage {
		enc = enc || u == xks.KeyUsageEncrypt
		dec = dec || u == xks.KeyUsageDecrypt
	}
	if !enc || !dec {
		return keyhold.Errorf(keyhold.ErrCodeXKSKeyInvalidConfiguration,
			"The key usage of the external key must include ENCRYPT and DECRYPT. The key use of specified external key is %s.",
			safe(strings.Join(md.KeyUsage, ",")))
	}
	return nil
}

// safe cuts a value from a proxy to something fit for an error message.
func safe(s string) string {
	s = xks.SafeMessage(s)
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return s
}

// checkRandomKeyStore is GenerateRandom's answer to a CustomKeyStoreId:
// keyhold has no CloudHSM key stores, and external key store ids are not
// valid there (AWS: UnsupportedOperationException).
func (s *Service) checkRandomKeyStore(ctx context.Context, c *Caller, id string) error {
	cks, err := s.store.GetCustomKeyStore(ctx, c.Account, c.Region, id)
	if errors.Is(err, keyhold.ErrNotFound) {
		return errStoreNotFound(id)
	}
	if err != nil {
		return internal(err)
	}
	return keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
		"GenerateRandom does not support custom key store %s of type %s: external key store IDs are not valid for this parameter.", cks.ID, cks.Type)
}
