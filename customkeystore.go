package keyhold

import "time"

// Custom key stores (AWS: external key stores). keyhold plays both sides of
// AWS's external key store (XKS) design:
//
//   - as an XKS client, a CustomKeyStore names an XKS proxy; KMS keys in it
//     (origin EXTERNAL_KEY_STORE) encrypt twice, with keyhold's own backing
//     key and then with an external key the proxy holds
//     (CustomKeyStoreKey links the two);
//   - as an XKS proxy, keyhold serves XKSKeys: AES-256 backing keys that
//     other KMS services (AWS KMS, another keyhold) use as external keys.

// Custom key store types (AWS enum CustomKeyStoreType) and the key origins
// that go with them.
const (
	CustomKeyStoreTypeExternal = "EXTERNAL_KEY_STORE"
	CustomKeyStoreTypeCloudHSM = "AWS_CLOUDHSM"
	OriginExternalKeyStore     = "EXTERNAL_KEY_STORE"
	OriginAWSCloudHSM          = "AWS_CLOUDHSM"
)

// Connection states of a custom key store (AWS enum ConnectionStateType).
const (
	ConnectionConnected     = "CONNECTED"
	ConnectionConnecting    = "CONNECTING"
	ConnectionDisconnected  = "DISCONNECTED"
	ConnectionDisconnecting = "DISCONNECTING"
	ConnectionFailed        = "FAILED"
)

// XKS proxy connectivity (AWS enum XksProxyConnectivityType).
const (
	XKSConnectivityPublicEndpoint     = "PUBLIC_ENDPOINT"
	XKSConnectivityVPCEndpointService = "VPC_ENDPOINT_SERVICE"
)

// Error codes of custom key stores and external keys. The value is the AWS
// error shape name.
const (
	ErrCodeCustomKeyStoreNameInUse      = "CustomKeyStoreNameInUseException"
	ErrCodeCustomKeyStoreHasCMKs        = "CustomKeyStoreHasCMKsException"
	ErrCodeCloudHSMClusterNotFound      = "CloudHsmClusterNotFoundException"
	ErrCodeXKSKeyAlreadyInUse           = "XksKeyAlreadyInUseException"
	ErrCodeXKSKeyInvalidConfiguration   = "XksKeyInvalidConfigurationException"
	ErrCodeXKSKeyNotFound               = "XksKeyNotFoundException"
	ErrCodeXKSProxyIncorrectCredential  = "XksProxyIncorrectAuthenticationCredentialException"
	ErrCodeXKSProxyInvalidConfiguration = "XksProxyInvalidConfigurationException"
	ErrCodeXKSProxyInvalidResponse      = "XksProxyInvalidResponseException"
	ErrCodeXKSProxyURIEndpointInUse     = "XksProxyUriEndpointInUseException"
	ErrCodeXKSProxyURIInUse             = "XksProxyUriInUseException"
	ErrCodeXKSProxyURIUnreachable       = "XksProxyUriUnreachableException"
	ErrCodeXKSProxyVPCServiceNotFound   = "XksProxyVpcEndpointServiceNotFoundException"
)

// CustomKeyStore is an external key store of one account and region: the
// XKS proxy that holds the external keys of its KMS keys, and how keyhold
// reaches it.
type CustomKeyStore struct {
	// ID is "cks-" and 17 lowercase hex digits.
	ID      string
	Account string
	Region  string
	Name    string
	// Type is CustomKeyStoreTypeExternal (the only type keyhold stores).
	Type string
	// ConnectionState is one of the Connection* constants;
	// ConnectionErrorCode is set while it is ConnectionFailed (AWS enum
	// ConnectionErrorCodeType).
	ConnectionState     string
	ConnectionErrorCode string
	CreationDate        time.Time

	// XKSProxyConnectivity is one of the XKSConnectivity* constants.
	XKSProxyConnectivity string
	// XKSProxyURIEndpoint is "https://" and a host name, without port or
	// path; XKSProxyURIPath is "[/<prefix>]/kms/xks/v1".
	XKSProxyURIEndpoint             string
	XKSProxyURIPath                 string
	XKSProxyVPCEndpointServiceName  string
	XKSProxyVPCEndpointServiceOwner string
	// XKSProxyAccessKeyID is the access key id of the proxy authentication
	// credential. Its secret is stored only sealed by the crypto boundary,
	// bound to XKSProxySecretLabel(ID, XKSProxyAccessKeyID).
	XKSProxyAccessKeyID  string
	XKSProxySealedSecret []byte
}

// XKSProxySecretLabel is the label the proxy authentication secret of a
// custom key store is sealed to, so a sealed secret cannot be moved to
// another store or access key id.
func XKSProxySecretLabel(customKeyStoreID, accessKeyID string) string {
	return "xks-proxy-credential:" + customKeyStoreID + ":" + accessKeyID
}

// CustomKeyStoreKey links a KMS key in an external key store to its store
// and to the external key (the XksKeyId) the proxy encrypts with.
type CustomKeyStoreKey struct {
	KeyARN           string
	CustomKeyStoreID string
	XKSKeyID         string
}

// KeyAvailability says what UpdateCustomKeyStore does with the KMS keys of
// the store, in the same transaction.
type KeyAvailability int

const (
	// KeysUnchanged leaves the keys as they are.
	KeysUnchanged KeyAvailability = iota
	// KeysUnavailable makes every Enabled or Disabled key of the store
	// Unavailable, remembering the state it had (a disconnect). Keys in
	// other states, PendingDeletion in particular, stay as they are.
	KeysUnavailable
	// KeysAvailable gives every Unavailable key of the store back the
	// state it had before (a connect).
	KeysAvailable
)

// XKS key operations: what an external key served by keyhold's XKS proxy
// may be used for.
const (
	XKSOperationEncrypt = "encrypt"
	XKSOperationDecrypt = "decrypt"
)

// XKSKey is an external key that keyhold serves as an XKS proxy: an AES-256
// backing key, sealed as an EKT like every backing key, in one logical key
// store of the proxy. Its material never leaves the crypto boundary.
type XKSKey struct {
	// KeyStore is the name of the logical key store (the proxy's
	// configuration maps it to a URI path prefix and credentials).
	KeyStore string
	// ID is the external key id: 1 to 128 characters of [A-Za-z0-9._-].
	ID string
	// AllowEncrypt and AllowDecrypt are the operations the key performs
	// (the XKS keyUsage ENCRYPT and DECRYPT).
	AllowEncrypt bool
	AllowDecrypt bool
	// Enabled is the XKS keyStatus: ENABLED or DISABLED.
	Enabled      bool
	CreationDate time.Time
	// BackingKey is the key material, bound to XKSKeyARN of the key.
	BackingKey *BackingKey
}

// XKSKeyARN is the identity an XKS key's backing key is bound to (EKT AAD):
// keyhold's own ARN form, never a KMS key ARN, in the region whose domain
// key seals it.
func XKSKeyARN(region, keyStore, id string) string {
	return "arn:keyhold:xks:" + region + "::key/" + keyStore + "/" + id
}
