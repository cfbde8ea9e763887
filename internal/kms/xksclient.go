package kms

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/xks"
)

// XKSTransport calls XKS proxies for KMS keys in external key stores.
// internal/xks/client implements it (the service itself knows no HTTP and
// no SigV4). Do sends the request in for op (and the external key keyID)
// to the proxy ep and decodes the checked answer into out; it fails with
// an *xks.Error for an answer that names an error and an *xks.CallError
// for everything else (unreachable, 250 ms timeout, TLS, invalid answer).
type XKSTransport interface {
	Do(ctx context.Context, ep *xks.Endpoint, op, keyID string, in, out any) error
}

// noTransport is the transport of a service built without one.
type noTransport struct{}

func (noTransport) Do(context.Context, *xks.Endpoint, string, string, any, any) error {
	return &xks.CallError{Failure: xks.FailureUnreachable, Err: errors.New("this keyhold has no XKS client")}
}

func (s *Service) transport() XKSTransport {
	if s.xks == nil {
		return noTransport{}
	}
	return s.xks
}

// callKey carries the caller and operation of a request to the XKS
// client code, which puts them in the requestMetadata of every proxy call
// (set by Dispatch).
type callKey struct{}

type callInfo struct {
	c  *Caller
	op string
}

func withCall(ctx context.Context, c *Caller, op string) context.Context {
	return context.WithValue(ctx, callKey{}, callInfo{c: c, op: op})
}

// requestMetadata is what keyhold tells a proxy about the request that
// causes a call: as AWS KMS does, the KMS request id, the operation, the
// caller's principal ARN and, when there is one, the key ARN. The
// operation is the request's (set by Dispatch), else fallbackOp.
func requestMetadata(ctx context.Context, fallbackOp, keyARN string) *xks.RequestMetadata {
	ci, _ := ctx.Value(callKey{}).(callInfo)
	md := &xks.RequestMetadata{KMSOperation: ci.op, KMSKeyARN: keyARN}
	if ci.c != nil {
		md.KMSRequestID = ci.c.RequestID
		md.AWSPrincipalARN = ci.c.PrincipalARN
	}
	if md.KMSOperation == "" {
		md.KMSOperation = fallbackOp
	}
	if md.KMSRequestID == "" {
		md.KMSRequestID = newUUID()
	}
	if md.AWSPrincipalARN == "" {
		md.AWSPrincipalARN = "AWS Internal"
	}
	return md
}

// endpoint opens a store's proxy credential for one call. The caller
// clears ep.Secret.
func (s *Service) endpoint(ctx context.Context, cks *keyhold.CustomKeyStore) (*xks.Endpoint, error) {
	secret, err := s.hsm.OpenSecret(ctx, keyhold.XKSProxySecretLabel(cks.ID, cks.XKSProxyAccessKeyID), cks.XKSProxySealedSecret)
	if err != nil {
		return nil, internal(err)
	}
	return &xks.Endpoint{
		URIEndpoint: cks.XKSProxyURIEndpoint,
		URIPath:     cks.XKSProxyURIPath,
		AccessKeyID: cks.XKSProxyAccessKeyID,
		Secret:      secret,
		Region:      cks.Region,
	}, nil
}

// callProxy runs one proxy call for the store cks.
func (s *Service) callProxy(ctx context.Context, cks *keyhold.CustomKeyStore, op, keyID string, in, out any) error {
	ep, err := s.endpoint(ctx, cks)
	if err != nil {
		return err
	}
	defer clear(ep.Secret)
	err = s.transport().Do(ctx, ep, op, keyID, in, out)
	if err != nil {
		s.log.WarnContext(ctx, "XKS proxy call failed", "custom_key_store_id", cks.ID, "xks_operation", op,
			"error", err.Error())
	}
	return err
}

// Messages AWS KMS attaches to the exceptions of external key store
// failures (developer guide, "Troubleshooting external key stores").
const (
	msgXKSKeyNotFound     = "The external key store proxy rejected the request because it could not find the external key."
	msgXKSKeyUsage        = "The external key store proxy rejected the request because the external key does not support the requested operation."
	msgXKSKeyDisabled     = "The external key store proxy rejected the request because the external key is not enabled in the external key manager."
	msgXKSCiphertext      = "The external key store proxy rejected the request because the specified ciphertext or additional authenticated data is corrupted, missing, or otherwise invalid."
	msgXKSBadCiphertext   = "The ciphertext that the external key store proxy submitted for decryption, or the encryption context, is corrupted, missing, or otherwise invalid."
	msgXKSAuthentication  = "The external key store proxy rejected the request because it could not authenticate KMS. Verify the credentials for your external key store and update if necessary."
	msgXKSAccessDenied    = "The external key store proxy denied access to the operation. Verify that the user and the external key are both authorized for this operation, and try the request again."
	msgXKSURIPath         = "The external key store proxy rejected the request because of an invalid URI path. Verify the URI path for your external key store and update if necessary."
	msgXKSUnsupported     = "The external key store proxy rejected the request because it does not support the requested cryptographic operation."
	msgXKSUnhealthy       = "The external key store proxy is in an unhealthy state. If you see this message repeatedly, notify your external key store proxy administrator."
	msgXKSInvalidResponse = "KMS cannot interpret the response from the external key store proxy. If you see this error repeatedly, consult your external key store proxy administrator."
	msgXKSUnreachable     = "KMS cannot communicate with the external key store proxy. Verify that your external key store proxy is active and is connected to the network, and that its URI path and endpoint URI are correct in your external key store."
	msgXKSTimedOut        = "The external key store proxy did not respond to the request in the time allotted. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator."
	msgXKSTLS             = "KMS cannot establish a TLS connection to the external key store proxy. Verify the TLS configuration, including its certificate."
	msgXKSAllUnavailable  = "The external key store proxy reports that all external key manager instances are unavailable."
)

// proxyMessage is the message for a failed proxy call.
func proxyMessage(err error) string {
	switch xks.ErrorName(err) {
	case xks.ErrKeyNotFound:
		return msgXKSKeyNotFound
	case xks.ErrInvalidKeyUsage:
		return msgXKSKeyUsage
	case xks.ErrInvalidState:
		return msgXKSKeyDisabled
	case xks.ErrInvalidCiphertext:
		return msgXKSCiphertext
	case xks.ErrAuthenticationFailed:
		return msgXKSAuthentication
	case xks.ErrAccessDenied:
		return msgXKSAccessDenied
	case xks.ErrInvalidURIPath:
		return msgXKSURIPath
	case xks.ErrUnsupportedOperation:
		return msgXKSUnsupported
	case xks.ErrValidation:
		return msgXKSInvalidResponse
	case xks.ErrThrottling, xks.ErrDependencyTimeout, xks.ErrInternal:
		return msgXKSUnhealthy
	}
	switch xks.FailureOf(err) {
	case xks.FailureTimeout:
		return msgXKSTimedOut
	case xks.FailureTLS:
		return msgXKSTLS
	case xks.FailureInvalidResponse:
		return msgXKSInvalidResponse
	}
	return msgXKSUnreachable
}

// cryptoError is what a cryptographic operation answers when its proxy
// call fails: KMSInvalidStateException with AWS's message, as AWS KMS
// does for every failure of a key in an external key store. An error of
// the service itself stays internal.
func cryptoError(err error) error {
	if xks.ErrorName(err) == "" && xks.FailureOf(err) == 0 {
		if _, ok := keyhold.AsError(err); ok {
			return err
		}
		return internal(err)
	}
	return keyhold.NewError(keyhold.ErrCodeInvalidState, proxyMessage(err))
}

// storeOfKey returns the custom key store and the external key id of a KMS
// key in an external key store, and checks that the store is connected.
func (s *Service) storeOfKey(ctx context.Context, k *keyhold.Key) (*keyhold.CustomKeyStore, *keyhold.CustomKeyStoreKey, error) {
	link, err := s.store.GetCustomKeyStoreKey(ctx, k.ARN)
	if err != nil {
		return nil, nil, internal(err)
	}
	cks, err := s.store.GetCustomKeyStore(ctx, k.Account, k.Region, link.CustomKeyStoreID)
	if err != nil {
		return nil, nil, internal(err)
	}
	if cks.ConnectionState != keyhold.ConnectionConnected {
		return nil, nil, keyhold.NewError(keyhold.ErrCodeInvalidState, k.ARN+" is unavailable.")
	}
	return cks, link, nil
}

// sealSymmetric encrypts pt under a symmetric encryption key: a v1
// ciphertext blob, or for a key in an external key store the double
// encryption AWS describes (keyhold's backing key, then the proxy).
func (s *Service) sealSymmetric(ctx context.Context, k *keyhold.Key, bk *keyhold.BackingKey, pt []byte, ec map[string]string) ([]byte, error) {
	if k.Origin != keyhold.OriginExternalKeyStore {
		blob, err := s.hsm.Encrypt(ctx, bk, pt, ec)
		if err != nil {
			return nil, internal(err)
		}
		return blob, nil
	}
	cks, link, err := s.storeOfKey(ctx, k)
	if err != nil {
		return nil, err
	}
	inner, err := s.hsm.Encrypt(ctx, bk, pt, ec)
	if err != nil {
		return nil, internal(err)
	}
	prefix, err := xksBlobPrefix(k.ARN, bk.MaterialID)
	if err != nil {
		return nil, internal(err)
	}
	aad, err := xksAAD(prefix, ec)
	if err != nil {
		return nil, internal(err)
	}
	in := &xks.EncryptRequest{
		RequestMetadata:     requestMetadata(ctx, "Encrypt", k.ARN),
		Plaintext:           inner,
		EncryptionAlgorithm: xks.AlgorithmAESGCM,
		AAD:                 aad,
		IntegrityAlgorithm:  xks.IntegrityAlgorithmSHA256,
	}
	var out xks.EncryptResponse
	if err := s.callProxy(ctx, cks, xks.OpEncrypt, link.XKSKeyID, in, &out); err != nil {
		return nil, cryptoError(err)
	}
	// Check the answer before anything depends on it: a corrupt outer
	// layer would make the data unrecoverable once a data key's plaintext
	// is gone. The integrity value is the proxy's promise that Decrypt
	// with these inputs works.
	want := xks.IntegrityValue(aad, out.CiphertextMetadata, out.IV, out.Ciphertext, out.Tag)
	if len(out.Ciphertext) != len(inner) || subtle.ConstantTimeCompare([]byte(want), []byte(out.IntegrityValue)) != 1 {
		s.log.WarnContext(ctx, "XKS proxy returned an encryption that fails its checks (length or integrity value)",
			"custom_key_store_id", cks.ID, "key_arn", k.ARN)
		return nil, keyhold.NewError(keyhold.ErrCodeInvalidState, msgXKSInvalidResponse)
	}
	b := &xksBlob{prefix: prefix, iv: out.IV, metadata: out.CiphertextMetadata, tag: out.Tag, ciphertext: out.Ciphertext}
	return b.marshal(), nil
}

// blobHeader returns the key ARN and backing key a ciphertext blob names,
// for both blob formats.
func blobHeader(blob []byte) (*hsm.CiphertextHeader, error) {
	if isXKSBlob(blob) {
		b, err := parseXKSBlob(blob)
		if err != nil {
			return nil, err
		}
		return &hsm.CiphertextHeader{KeyARN: b.keyARN, MaterialID: b.materialID}, nil
	}
	return hsm.ParseCiphertext(blob)
}

// openSymmetric decrypts a blob made by sealSymmetric under k and its
// backing key bk. A blob that is not k's kind is InvalidCiphertextException.
func (s *Service) openSymmetric(ctx context.Context, k *keyhold.Key, bk *keyhold.BackingKey, blob []byte, ec map[string]string) ([]byte, error) {
	external := k.Origin == keyhold.OriginExternalKeyStore
	if external != isXKSBlob(blob) {
		return nil, errInvalidCiphertext
	}
	if !external {
		pt, err := s.hsm.Decrypt(ctx, bk, blob, ec)
		if errors.Is(err, hsm.ErrInvalidCiphertext) {
			return nil, errInvalidCiphertext
		}
		if err != nil {
			return nil, internal(err)
		}
		return pt, nil
	}
	b, err := parseXKSBlob(blob)
	if err != nil || b.keyARN != k.ARN || b.materialID != bk.MaterialID {
		return nil, errInvalidCiphertext
	}
	cks, link, err := s.storeOfKey(ctx, k)
	if err != nil {
		return nil, err
	}
	aad, err := xksAAD(b.prefix, ec)
	if err != nil {
		return nil, internal(err)
	}
	in := &xks.DecryptRequest{
		RequestMetadata:     requestMetadata(ctx, "Decrypt", k.ARN),
		Ciphertext:          b.ciphertext,
		EncryptionAlgorithm: xks.AlgorithmAESGCM,
		IV:                  b.iv,
		Tag:                 b.tag,
		AAD:                 aad,
		CiphertextMetadata:  b.metadata,
	}
	var out xks.DecryptResponse
	if err := s.callProxy(ctx, cks, xks.OpDecrypt, link.XKSKeyID, in, &out); err != nil {
		return nil, cryptoError(err)
	}
	if len(out.Plaintext) != len(b.ciphertext) {
		return nil, keyhold.NewError(keyhold.ErrCodeInvalidState, msgXKSInvalidResponse)
	}
	pt, err := s.hsm.Decrypt(ctx, bk, out.Plaintext, ec)
	clear(out.Plaintext)
	if errors.Is(err, hsm.ErrInvalidCiphertext) {
		// The proxy accepted the outer layer but gave back something
		// keyhold's own layer refuses: the proxy is at fault.
		s.log.WarnContext(ctx, "XKS proxy decrypted to a ciphertext keyhold's backing key refuses", "key_arn", k.ARN)
		return nil, keyhold.NewError(keyhold.ErrCodeInvalidState, msgXKSBadCiphertext)
	}
	if err != nil {
		return nil, internal(err)
	}
	return pt, nil
}

// checkNotExternalStore refuses op on a key in a custom key store, for the
// operations AWS does not offer there (data key pairs).
func checkNotExternalStore(k *keyhold.Key, op string) error {
	if k.Origin == keyhold.OriginExternalKeyStore || k.Origin == keyhold.OriginAWSCloudHSM {
		return keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
			"%s is in a custom key store, which does not support %s.", k.ARN, op)
	}
	return nil
}

// customKeyStoreMetadata adds CustomKeyStoreId and XksKeyConfiguration to
// the metadata of a key in an external key store.
func (s *Service) customKeyStoreMetadata(ctx context.Context, k *keyhold.Key, m *kmsapi.KeyMetadata) error {
	if k.Origin != keyhold.OriginExternalKeyStore {
		return nil
	}
	link, err := s.store.GetCustomKeyStoreKey(ctx, k.ARN)
	if err != nil {
		return internal(err)
	}
	m.CustomKeyStoreId = ptr(link.CustomKeyStoreID)
	m.XksKeyConfiguration = &kmsapi.XksKeyConfigurationType{Id: ptr(link.XKSKeyID)}
	return nil
}

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
	id := newUUID()
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
