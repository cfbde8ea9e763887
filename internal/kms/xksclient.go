package kms

import (
	"context"
	"crypto/subtle"
	"errors"

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
		md.KMSRequestID = keyhold.NewUUID()
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
