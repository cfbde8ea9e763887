package kms

import (
	"context"
	"errors"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

// UpdateCustomKeyStore changes a store's name (any state), proxy
// credential and URI path (any state), or connectivity and URI endpoint
// (DISCONNECTED only). New proxy settings are checked with a health call
// first, as AWS does.
func (s *Service) UpdateCustomKeyStore(ctx context.Context, c *Caller, in *kmsapi.UpdateCustomKeyStoreInput) (*kmsapi.UpdateCustomKeyStoreOutput, error) {
	cks, unlock, err := s.lockStore(ctx, c, str(in.CustomKeyStoreId))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if in.CloudHsmClusterId != nil || in.KeyStorePassword != nil {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"CloudHsmClusterId and KeyStorePassword are valid only for a custom key store of type AWS_CLOUDHSM.")
	}
	needsDisconnect := in.XksProxyConnectivity != nil || in.XksProxyUriEndpoint != nil ||
		in.XksProxyVpcEndpointServiceName != nil || in.XksProxyVpcEndpointServiceOwner != nil
	if needsDisconnect && cks.ConnectionState != keyhold.ConnectionDisconnected {
		return nil, keyhold.Errorf(keyhold.ErrCodeCustomKeyStoreInvalidSt,
			"To change XksProxyConnectivity, XksProxyUriEndpoint or the VPC endpoint service of custom key store %s, its connection state must be DISCONNECTED, not %s.", cks.ID, cks.ConnectionState)
	}
	conn := kmsapi.XksProxyConnectivityType(cks.XKSProxyConnectivity)
	if in.XksProxyConnectivity != nil {
		conn = *in.XksProxyConnectivity
	}
	if in.XksProxyConnectivity != nil || in.XksProxyVpcEndpointServiceName != nil {
		if err := checkConnectivity(conn, in.XksProxyVpcEndpointServiceName); err != nil {
			return nil, err
		}
	}
	u := *cks
	if in.NewCustomKeyStoreName != nil {
		u.Name = *in.NewCustomKeyStoreName
	}
	if in.XksProxyUriEndpoint != nil {
		u.XKSProxyURIEndpoint = *in.XksProxyUriEndpoint
	}
	if in.XksProxyUriPath != nil {
		u.XKSProxyURIPath = *in.XksProxyUriPath
	}
	u.XKSProxyConnectivity = string(conn)
	if cred := in.XksProxyAuthenticationCredential; cred != nil {
		u.XKSProxyAccessKeyID = string(val(cred.AccessKeyId))
		if err := s.sealCredential(ctx, &u, string(val(cred.RawSecretAccessKey))); err != nil {
			return nil, err
		}
	}
	existing, err := s.store.ListCustomKeyStores(ctx, c.Account, c.Region, "", maxCustomKeyStores+1)
	if err != nil {
		return nil, internal(err)
	}
	if err := checkUnique(existing, &u); err != nil {
		return nil, err
	}
	proxyChanged := in.XksProxyUriEndpoint != nil || in.XksProxyUriPath != nil ||
		in.XksProxyAuthenticationCredential != nil || in.XksProxyConnectivity != nil
	if proxyChanged {
		if err := s.checkProxy(ctx, &u, "UpdateCustomKeyStore"); err != nil {
			return nil, err
		}
	}
	err = s.store.UpdateCustomKeyStore(ctx, &u, keyhold.KeysUnchanged)
	switch {
	case errors.Is(err, keyhold.ErrConflict):
		return nil, errNameInUse
	case errors.Is(err, keyhold.ErrNotFound):
		return nil, errStoreNotFound(cks.ID)
	case err != nil:
		return nil, internal(err)
	}
	return &kmsapi.UpdateCustomKeyStoreOutput{}, nil
}

// DescribeCustomKeyStores lists the caller's custom key stores, or the
// one CustomKeyStoreId or CustomKeyStoreName names. The proxy secret is
// never returned.
func (s *Service) DescribeCustomKeyStores(ctx context.Context, c *Caller, in *kmsapi.DescribeCustomKeyStoresInput) (*kmsapi.DescribeCustomKeyStoresOutput, error) {
	if in.CustomKeyStoreId != nil && in.CustomKeyStoreName != nil {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"Specify either CustomKeyStoreId or CustomKeyStoreName, not both.")
	}
	limit, err := listLimit(in.Limit, 1000, 100)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker, "cks")
	if err != nil {
		return nil, err
	}
	out := &kmsapi.DescribeCustomKeyStoresOutput{CustomKeyStores: []kmsapi.CustomKeyStoresListEntry{}, Truncated: ptr(false)}
	if in.CustomKeyStoreId != nil {
		cks, err := s.getStore(ctx, c, *in.CustomKeyStoreId)
		if err != nil {
			return nil, err
		}
		out.CustomKeyStores = append(out.CustomKeyStores, storeEntry(cks))
		return out, nil
	}
	var stores []*keyhold.CustomKeyStore
	if in.CustomKeyStoreName != nil {
		// Names are unique and there are at most a few stores: scan them.
		all, err := s.store.ListCustomKeyStores(ctx, c.Account, c.Region, "", 1000)
		if err != nil {
			return nil, internal(err)
		}
		for _, cks := range all {
			if cks.Name == *in.CustomKeyStoreName {
				stores = append(stores, cks)
			}
		}
		if len(stores) == 0 {
			return nil, keyhold.Errorf(keyhold.ErrCodeCustomKeyStoreNotFound,
				"Custom key store with name %s does not exist.", *in.CustomKeyStoreName)
		}
	} else {
		stores, err = s.store.ListCustomKeyStores(ctx, c.Account, c.Region, after, limit+1)
		if err != nil {
			return nil, internal(err)
		}
		if len(stores) > limit {
			stores = stores[:limit]
			out.Truncated = ptr(true)
			out.NextMarker = ptr(encodeMarker("cks", stores[len(stores)-1].ID))
		}
	}
	for _, cks := range stores {
		out.CustomKeyStores = append(out.CustomKeyStores, storeEntry(cks))
	}
	return out, nil
}

// storeEntry renders a store as AWS's CustomKeyStoresListEntry.
func storeEntry(cks *keyhold.CustomKeyStore) kmsapi.CustomKeyStoresListEntry {
	e := kmsapi.CustomKeyStoresListEntry{
		CustomKeyStoreId:   ptr(cks.ID),
		CustomKeyStoreName: ptr(cks.Name),
		ConnectionState:    ptr(kmsapi.ConnectionStateType(cks.ConnectionState)),
		CreationDate:       kmsapi.NewTimestamp(cks.CreationDate),
		CustomKeyStoreType: ptr(kmsapi.CustomKeyStoreType(cks.Type)),
		XksProxyConfiguration: &kmsapi.XksProxyConfigurationType{
			Connectivity: ptr(kmsapi.XksProxyConnectivityType(cks.XKSProxyConnectivity)),
			AccessKeyId:  ptr(kmsapi.SensitiveString(cks.XKSProxyAccessKeyID)),
			UriEndpoint:  ptr(cks.XKSProxyURIEndpoint),
			UriPath:      ptr(cks.XKSProxyURIPath),
		},
	}
	if cks.ConnectionState == keyhold.ConnectionFailed && cks.ConnectionErrorCode != "" {
		e.ConnectionErrorCode = ptr(kmsapi.ConnectionErrorCodeType(cks.ConnectionErrorCode))
	}
	if cks.XKSProxyVPCEndpointServiceName != "" {
		e.XksProxyConfiguration.VpcEndpointServiceName = ptr(cks.XKSProxyVPCEndpointServiceName)
	}
	if cks.XKSProxyVPCEndpointServiceOwner != "" {
		e.XksProxyConfiguration.VpcEndpointServiceOwner = ptr(cks.XKSProxyVPCEndpointServiceOwner)
	}
	return e
}
