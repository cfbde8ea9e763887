package kms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/xks"
)

func init() {
	register("CreateCustomKeyStore", (*Service).CreateCustomKeyStore)
	register("DescribeCustomKeyStores", (*Service).DescribeCustomKeyStores)
	register("UpdateCustomKeyStore", (*Service).UpdateCustomKeyStore)
	register("ConnectCustomKeyStore", (*Service).ConnectCustomKeyStore)
	register("DisconnectCustomKeyStore", (*Service).DisconnectCustomKeyStore)
	register("DeleteCustomKeyStore", (*Service).DeleteCustomKeyStore)
}

// maxCustomKeyStores is AWS's quota of custom key stores per account and
// region.
const maxCustomKeyStores = 10

var (
	errNameInUse = keyhold.NewError(keyhold.ErrCodeCustomKeyStoreNameInUse,
		"The request was rejected because the specified custom key store name is already assigned to another custom key store in the account. Try again with a custom key store name that is unique in the account.")
	errURIInUse = keyhold.NewError(keyhold.ErrCodeXKSProxyURIInUse,
		"The request was rejected because the concatenation of the XksProxyUriEndpoint and XksProxyUriPath is already associated with another external key store in this Amazon Web Services Region. Each external key store in a Region must use a unique external key store proxy API address.")
	errStoreLimit = keyhold.Errorf(keyhold.ErrCodeLimitExceeded,
		"You have reached the quota of %d custom key stores in this account and Region.", maxCustomKeyStores)
)

// newCustomKeyStoreID returns "cks-" and 17 random hex digits, AWS's form.
func newCustomKeyStoreID() string {
	var b [9]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "cks-" + hex.EncodeToString(b[:])[:17]
}

// errVPCNotFound is keyhold's answer to VPC endpoint service connectivity:
// keyhold reaches proxies over their public endpoint only, so no VPC
// endpoint service exists for it (AWS's answer for a missing one).
func errVPCNotFound(name string) error {
	return keyhold.Errorf(keyhold.ErrCodeXKSProxyVPCServiceNotFound,
		"The request was rejected because KMS could not find the specified VPC endpoint service %s. keyhold reaches external key store proxies through their public endpoint only (XksProxyConnectivity PUBLIC_ENDPOINT).", name)
}

// CreateCustomKeyStore creates an external key store, after a GetHealthStatus
// call that proves the proxy is reachable at the URI and accepts the
// credential. The store starts DISCONNECTED, as in AWS. Type AWS_CLOUDHSM
// (the default) gets AWS's answers for a cluster that does not exist.
func (s *Service) CreateCustomKeyStore(ctx context.Context, c *Caller, in *kmsapi.CreateCustomKeyStoreInput) (*kmsapi.CreateCustomKeyStoreOutput, error) {
	typ := string(val(in.CustomKeyStoreType))
	if typ == "" {
		typ = keyhold.CustomKeyStoreTypeCloudHSM
	}
	xksParams := in.XksProxyUriEndpoint != nil || in.XksProxyUriPath != nil || in.XksProxyAuthenticationCredential != nil ||
		in.XksProxyConnectivity != nil || in.XksProxyVpcEndpointServiceName != nil || in.XksProxyVpcEndpointServiceOwner != nil
	hsmParams := in.CloudHsmClusterId != nil || in.TrustAnchorCertificate != nil || in.KeyStorePassword != nil
	if typ == keyhold.CustomKeyStoreTypeCloudHSM {
		if xksParams {
			return nil, keyhold.NewError(keyhold.ErrCodeValidation,
				"XksProxy parameters are valid only for a custom key store of type EXTERNAL_KEY_STORE.")
		}
		if in.CloudHsmClusterId == nil || in.TrustAnchorCertificate == nil || in.KeyStorePassword == nil {
			return nil, keyhold.NewError(keyhold.ErrCodeValidation,
				"A custom key store of type AWS_CLOUDHSM requires CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword.")
		}
		return nil, keyhold.Errorf(keyhold.ErrCodeCloudHSMClusterNotFound,
			"The request was rejected because KMS cannot find the CloudHSM cluster with the specified cluster ID %s. keyhold has no CloudHSM clusters; use CustomKeyStoreType EXTERNAL_KEY_STORE.", *in.CloudHsmClusterId)
	}
	if hsmParams {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword are valid only for a custom key store of type AWS_CLOUDHSM.")
	}
	cred := in.XksProxyAuthenticationCredential
	if in.XksProxyConnectivity == nil || in.XksProxyUriEndpoint == nil || in.XksProxyUriPath == nil || cred == nil {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"A custom key store of type EXTERNAL_KEY_STORE requires XksProxyConnectivity, XksProxyUriEndpoint, XksProxyUriPath and XksProxyAuthenticationCredential.")
	}
	if err := checkConnectivity(*in.XksProxyConnectivity, in.XksProxyVpcEndpointServiceName); err != nil {
		return nil, err
	}
	cks := &keyhold.CustomKeyStore{
		ID:                   newCustomKeyStoreID(),
		Account:              c.Account,
		Region:               c.Region,
		Name:                 str(in.CustomKeyStoreName),
		Type:                 keyhold.CustomKeyStoreTypeExternal,
		ConnectionState:      keyhold.ConnectionDisconnected,
		CreationDate:         s.now().UTC(),
		XKSProxyConnectivity: string(*in.XksProxyConnectivity),
		XKSProxyURIEndpoint:  *in.XksProxyUriEndpoint,
		XKSProxyURIPath:      *in.XksProxyUriPath,
		XKSProxyAccessKeyID:  string(val(cred.AccessKeyId)),
	}
	existing, err := s.store.ListCustomKeyStores(ctx, c.Account, c.Region, "", maxCustomKeyStores+1)
	if err != nil {
		return nil, internal(err)
	}
	if err := checkUnique(existing, cks); err != nil {
		return nil, err
	}
	if len(existing) >= maxCustomKeyStores {
		return nil, errStoreLimit
	}
	if err := s.sealCredential(ctx, cks, string(val(cred.RawSecretAccessKey))); err != nil {
		return nil, err
	}
	if err := s.checkProxy(ctx, cks, "CreateCustomKeyStore"); err != nil {
		return nil, err
	}
	err = s.store.CreateCustomKeyStore(ctx, cks)
	if errors.Is(err, keyhold.ErrConflict) {
		// Another request took the name or URI meanwhile.
		return nil, errNameInUse
	}
	if err != nil {
		return nil, internal(err)
	}
	s.log.InfoContext(ctx, "created external key store", "custom_key_store_id", cks.ID, "uri", cks.XKSProxyURIEndpoint+cks.XKSProxyURIPath)
	return &kmsapi.CreateCustomKeyStoreOutput{CustomKeyStoreId: ptr(cks.ID)}, nil
}

// checkConnectivity answers VPC endpoint service connectivity as AWS does
// when the service does not exist.
func checkConnectivity(conn kmsapi.XksProxyConnectivityType, vpcName *string) error {
	if conn == kmsapi.XksProxyConnectivityTypeVpcEndpointService {
		if vpcName == nil {
			return keyhold.NewError(keyhold.ErrCodeValidation,
				"XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.")
		}
		return errVPCNotFound(*vpcName)
	}
	if vpcName != nil {
		return keyhold.NewError(keyhold.ErrCodeValidation,
			"XksProxyVpcEndpointServiceName is valid only when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.")
	}
	return nil
}

// checkUnique refuses a name or proxy URI another store of the account and
// region has.
func checkUnique(existing []*keyhold.CustomKeyStore, cks *keyhold.CustomKeyStore) error {
	for _, o := range existing {
		if o.ID == cks.ID {
			continue
		}
		if o.Name == cks.Name {
			return errNameInUse
		}
		if o.XKSProxyURIEndpoint == cks.XKSProxyURIEndpoint && o.XKSProxyURIPath == cks.XKSProxyURIPath {
			return errURIInUse
		}
	}
	return nil
}

// sealCredential seals the proxy secret into cks.
func (s *Service) sealCredential(ctx context.Context, cks *keyhold.CustomKeyStore, secret string) error {
	b := []byte(secret)
	defer clear(b)
	sealed, err := s.hsm.SealSecret(ctx, keyhold.XKSProxySecretLabel(cks.ID, cks.XKSProxyAccessKeyID), b)
	if err != nil {
		return internal(err)
	}
	cks.XKSProxySealedSecret = sealed
	return nil
}

// health calls GetHealthStatus on the store's proxy for op.
func (s *Service) health(ctx context.Context, cks *keyhold.CustomKeyStore, op string) (*xks.HealthResponse, error) {
	var out xks.HealthResponse
	in := &xks.HealthRequest{RequestMetadata: requestMetadata(ctx, op, "")}
	if err := s.callProxy(ctx, cks, xks.OpGetHealthStatus, "", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// allUnavailable reports whether every key manager of a health report is
// UNAVAILABLE, which AWS treats as an unreachable proxy.
func allUnavailable(h *xks.HealthResponse) bool {
	for _, d := range h.EKMFleetDetails {
		if d.HealthStatus != xks.HealthUnavailable {
			return false
		}
	}
	return true
}

// checkProxy is the health check of CreateCustomKeyStore and
// UpdateCustomKeyStore, with AWS's exceptions for its failures.
func (s *Service) checkProxy(ctx context.Context, cks *keyhold.CustomKeyStore, op string) error {
	h, err := s.health(ctx, cks, op)
	if err == nil {
		if allUnavailable(h) {
			return keyhold.NewError(keyhold.ErrCodeXKSProxyURIUnreachable, msgXKSAllUnavailable)
		}
		return nil
	}
	switch xks.ErrorName(err) {
	case xks.ErrAuthenticationFailed:
		return keyhold.NewError(keyhold.ErrCodeXKSProxyIncorrectCredential,
			"The request was rejected because the proxy credentials failed to authenticate to the specified external key store proxy. The specified external key store proxy rejected a status request from KMS due to invalid credentials.")
	case xks.ErrInvalidURIPath:
		return keyhold.NewError(keyhold.ErrCodeXKSProxyInvalidConfiguration, msgXKSURIPath)
	case xks.ErrThrottling, xks.ErrDependencyTimeout:
		return keyhold.NewError(keyhold.ErrCodeXKSProxyURIUnreachable, msgXKSUnreachable)
	case "":
	default:
		return keyhold.NewError(keyhold.ErrCodeXKSProxyInvalidResponse, msgXKSInvalidResponse)
	}
	switch xks.FailureOf(err) {
	case xks.FailureInvalidResponse:
		return keyhold.NewError(keyhold.ErrCodeXKSProxyInvalidResponse, msgXKSInvalidResponse)
	case xks.FailureTLS:
		return keyhold.NewError(keyhold.ErrCodeXKSProxyInvalidConfiguration, msgXKSTLS)
	case xks.FailureTimeout:
		return keyhold.NewError(keyhold.ErrCodeXKSProxyURIUnreachable, msgXKSTimedOut)
	case xks.FailureUnreachable:
		return keyhold.NewError(keyhold.ErrCodeXKSProxyURIUnreachable, msgXKSUnreachable)
	}
	return err
}

// connectionErrorCode is the ConnectionErrorCode of a failed connection.
func connectionErrorCode(h *xks.HealthResponse, err error) kmsapi.ConnectionErrorCodeType {
	if err == nil {
		if allUnavailable(h) {
			return kmsapi.ConnectionErrorCodeTypeXksProxyNotReachable
		}
		return ""
	}
	switch xks.ErrorName(err) {
	case xks.ErrAuthenticationFailed:
		return kmsapi.ConnectionErrorCodeTypeInvalidCredentials
	case xks.ErrAccessDenied:
		return kmsapi.ConnectionErrorCodeTypeXksProxyAccessDenied
	case xks.ErrInvalidURIPath:
		return kmsapi.ConnectionErrorCodeTypeXksProxyInvalidConfiguration
	case xks.ErrThrottling, xks.ErrDependencyTimeout:
		return kmsapi.ConnectionErrorCodeTypeXksProxyTimedOut
	case "":
	default:
		return kmsapi.ConnectionErrorCodeTypeXksProxyInvalidResponse
	}
	switch xks.FailureOf(err) {
	case xks.FailureTimeout:
		return kmsapi.ConnectionErrorCodeTypeXksProxyTimedOut
	case xks.FailureTLS:
		return kmsapi.ConnectionErrorCodeTypeXksProxyInvalidTlsConfiguration
	case xks.FailureInvalidResponse:
		return kmsapi.ConnectionErrorCodeTypeXksProxyInvalidResponse
	case xks.FailureUnreachable:
		return kmsapi.ConnectionErrorCodeTypeXksProxyNotReachable
	}
	return kmsapi.ConnectionErrorCodeTypeInternalError
}

// getStore returns a custom key store of the caller.
func (s *Service) getStore(ctx context.Context, c *Caller, id string) (*keyhold.CustomKeyStore, error) {
	cks, err := s.store.GetCustomKeyStore(ctx, c.Account, c.Region, id)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, errStoreNotFound(id)
	}
	if err != nil {
		return nil, internal(err)
	}
	return cks, nil
}

func invalidStoreState(cks *keyhold.CustomKeyStore, op string) error {
	return keyhold.Errorf(keyhold.ErrCodeCustomKeyStoreInvalidSt,
		"%s is not valid for custom key store %s in connection state %s.", op, cks.ID, cks.ConnectionState)
}

// lockStore serializes the calls that change a custom key store and
// returns the store, as getStore does, and the unlock to defer.
func (s *Service) lockStore(ctx context.Context, c *Caller, id string) (*keyhold.CustomKeyStore, func(), error) {
	unlock := s.locks.lock("custom-key-store:" + id)
	cks, err := s.getStore(ctx, c, id)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return cks, unlock, nil
}

// ConnectCustomKeyStore connects an external key store: a health check
// that succeeds makes it CONNECTED and its keys available again; one that
// fails makes it FAILED with a ConnectionErrorCode. Either way the call
// succeeds, as in AWS; keyhold finishes before answering, so the state is
// final when DescribeCustomKeyStores is called.
func (s *Service) ConnectCustomKeyStore(ctx context.Context, c *Caller, in *kmsapi.ConnectCustomKeyStoreInput) (*kmsapi.ConnectCustomKeyStoreOutput, error) {
	cks, unlock, err := s.lockStore(ctx, c, str(in.CustomKeyStoreId))
	if err != nil {
		return nil, err
	}
	defer unlock()
	switch cks.ConnectionState {
	case keyhold.ConnectionConnected, keyhold.ConnectionConnecting:
		return &kmsapi.ConnectCustomKeyStoreOutput{}, nil
	case keyhold.ConnectionFailed, keyhold.ConnectionDisconnecting:
		return nil, invalidStoreState(cks, "ConnectCustomKeyStore")
	}
	h, herr := s.health(ctx, cks, "ConnectCustomKeyStore")
	keys := keyhold.KeysAvailable
	if code := connectionErrorCode(h, herr); code != "" {
		cks.ConnectionState, cks.ConnectionErrorCode = keyhold.ConnectionFailed, string(code)
		keys = keyhold.KeysUnchanged
		s.log.WarnContext(ctx, "connecting external key store failed", "custom_key_store_id", cks.ID, "connection_error_code", code)
	} else {
		cks.ConnectionState, cks.ConnectionErrorCode = keyhold.ConnectionConnected, ""
	}
	if err := s.store.UpdateCustomKeyStore(ctx, cks, keys); err != nil {
		return nil, internal(err)
	}
	return &kmsapi.ConnectCustomKeyStoreOutput{}, nil
}

// DisconnectCustomKeyStore disconnects a store: its KMS keys become
// Unavailable (keys pending deletion stay so).
func (s *Service) DisconnectCustomKeyStore(ctx context.Context, c *Caller, in *kmsapi.DisconnectCustomKeyStoreInput) (*kmsapi.DisconnectCustomKeyStoreOutput, error) {
	cks, unlock, err := s.lockStore(ctx, c, str(in.CustomKeyStoreId))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if cks.ConnectionState == keyhold.ConnectionDisconnected || cks.ConnectionState == keyhold.ConnectionDisconnecting {
		return nil, invalidStoreState(cks, "DisconnectCustomKeyStore")
	}
	cks.ConnectionState, cks.ConnectionErrorCode = keyhold.ConnectionDisconnected, ""
	if err := s.store.UpdateCustomKeyStore(ctx, cks, keyhold.KeysUnavailable); err != nil {
		return nil, internal(err)
	}
	return &kmsapi.DisconnectCustomKeyStoreOutput{}, nil
}

// DeleteCustomKeyStore deletes a disconnected store that holds no KMS keys.
func (s *Service) DeleteCustomKeyStore(ctx context.Context, c *Caller, in *kmsapi.DeleteCustomKeyStoreInput) (*kmsapi.DeleteCustomKeyStoreOutput, error) {
	cks, unlock, err := s.lockStore(ctx, c, str(in.CustomKeyStoreId))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if cks.ConnectionState != keyhold.ConnectionDisconnected {
		return nil, invalidStoreState(cks, "DeleteCustomKeyStore")
	}
	err = s.store.DeleteCustomKeyStore(ctx, c.Account, c.Region, cks.ID)
	switch {
	case errors.Is(err, keyhold.ErrConflict):
		return nil, keyhold.NewError(keyhold.ErrCodeCustomKeyStoreHasCMKs,
			"The request was rejected because the custom key store contains KMS keys. After verifying that you do not need to use the KMS keys, use the ScheduleKeyDeletion operation to delete the KMS keys. After they are deleted, you can delete the custom key store.")
	case errors.Is(err, keyhold.ErrNotFound):
		return nil, errStoreNotFound(cks.ID)
	case err != nil:
		return nil, internal(err)
	}
	return &kmsapi.DeleteCustomKeyStoreOutput{}, nil
}
