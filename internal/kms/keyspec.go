package kms

import (
	"fmt"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

// The enums whose values depend on the region, in the API model's order.
// AWS offers SM2 only in China regions and HMAC keys everywhere else; a
// value the region does not offer gets the enum-validation error with the
// region's value set (as a recorded AWS response shows: outside China the
// keySpec value set has no SM2).
var (
	keySpecEnum = []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
		"ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2",
		"ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519"}
	customerMasterKeySpecEnum = []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
		"ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2"}
	dataKeyPairSpecEnum = []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
		"ECC_SECG_P256K1", "SM2", "ECC_NIST_EDWARDS25519"}
)

// regionSpec returns the spec named name if the region offers it, and
// otherwise AWS's enum-validation error for the request member member
// ("keySpec", "customerMasterKeySpec", "keyPairSpec").
func regionSpec(region, name, member string, enum []string) (*hsm.Spec, error) {
	spec, ok := hsm.LookupSpec(name)
	if ok && spec.InRegion(region) {
		return spec, nil
	}
	offered := make([]string, 0, len(enum))
	for _, v := range enum {
		if s, ok := hsm.LookupSpec(v); ok && s.InRegion(region) {
			offered = append(offered, v)
		}
	}
	return nil, keyhold.Errorf(keyhold.ErrCodeValidation,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
		name, member, strings.Join(offered, ", "))
}

// specOf returns the spec of a stored key. Every stored key has a known
// spec; an unknown one is a corrupt record.
func specOf(k *keyhold.Key) (*hsm.Spec, error) {
	spec, ok := hsm.LookupSpec(k.KeySpec)
	if !ok {
		return nil, internal(fmt.Errorf("key %s has unknown key spec %q", k.ARN, k.KeySpec))
	}
	return spec, nil
}

// isCustomerMasterKeySpec reports whether spec is a value of the
// deprecated CustomerMasterKeySpec enum, which lacks the newer specs.
func isCustomerMasterKeySpec(spec string) bool {
	for _, v := range customerMasterKeySpecEnum {
		if v == spec {
			return true
		}
	}
	return false
}

// algorithmLists fills the algorithm members of KeyMetadata and
// GetPublicKey's response for a key: the list of the key's usage.
func algorithmLists(k *keyhold.Key) (enc []kmsapi.EncryptionAlgorithmSpec, sig []kmsapi.SigningAlgorithmSpec, mac []kmsapi.MacAlgorithmSpec, agree []kmsapi.KeyAgreementAlgorithmSpec) {
	spec, ok := hsm.LookupSpec(k.KeySpec)
	if !ok {
		return
	}
	for _, a := range spec.Algorithms(k.KeyUsage) {
		switch k.KeyUsage {
		case hsm.UsageEncryptDecrypt:
			enc = append(enc, kmsapi.EncryptionAlgorithmSpec(a))
		case hsm.UsageSignVerify:
			sig = append(sig, kmsapi.SigningAlgorithmSpec(a))
		case hsm.UsageGenerateVerifyMAC:
			mac = append(mac, kmsapi.MacAlgorithmSpec(a))
		case hsm.UsageKeyAgreement:
			agree = append(agree, kmsapi.KeyAgreementAlgorithmSpec(a))
		}
	}
	return
}
