package kms

import (
	"context"
	"errors"
	"strings"

	"github.com/keyhold/keyhold"
)

// resolveKey finds the key that keyID names for the caller. keyID is a key
// id, a key ARN, an alias name ("alias/...") or an alias ARN, as AWS accepts
// them. Every operation that takes a KeyId goes through here, so aliases
// join in one place.
func (s *Service) resolveKey(ctx context.Context, c *Caller, keyID string) (*keyhold.Key, error) {
	switch {
	case strings.HasPrefix(keyID, "arn:"):
		a, err := keyhold.ParseARN(keyID)
		if err != nil || a.Service != "kms" {
			return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Invalid arn %s", c.Region)
		}
		if a.Region != c.Region {
			return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Invalid arn %s", c.Region)
		}
		if strings.HasPrefix(a.Resource, "alias/") {
			return s.resolveAlias(ctx, c, a.Account, a.Resource)
		}
		id, ok := strings.CutPrefix(a.Resource, "key/")
		if !ok || !validKeyID(id) {
			return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Invalid keyId '%s'", keyID)
		}
		if a.Account != c.Account && authzOf(ctx) == nil {
			// Cross-account use needs a key policy that allows it, which
			// only an authorizing server evaluates.
			return nil, accessDenied(c, keyID)
		}
		return s.getKey(ctx, keyhold.KeyARN(c.Region, a.Account, id))
	case strings.HasPrefix(keyID, "alias/"):
		return s.resolveAlias(ctx, c, c.Account, keyID)
	default:
		if !validKeyID(keyID) {
			return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Invalid keyId '%s'", keyID)
		}
		return s.getKey(ctx, keyhold.KeyARN(c.Region, c.Account, keyID))
	}
}

func (s *Service) getKey(ctx context.Context, arn string) (*keyhold.Key, error) {
	k, err := s.store.GetKey(ctx, arn)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Key '%s' does not exist", arn)
	}
	if err != nil {
		return nil, internal(err)
	}
	// Every key a request reads passes the authorization check (authz.go).
	if err := s.authorizeKey(ctx, k); err != nil {
		return nil, err
	}
	return k, nil
}

// resolveAlias finds the key an alias points to. AWS names the alias ARN
// in the error even when the caller gave the alias name.
func (s *Service) resolveAlias(ctx context.Context, c *Caller, account, alias string) (*keyhold.Key, error) {
	notFound := keyhold.Errorf(keyhold.ErrCodeNotFound, "Alias %s is not found.", keyhold.AliasARN(c.Region, account, alias))
	if account != c.Account {
		return nil, notFound
	}
	a, err := s.store.GetAlias(ctx, c.Account, c.Region, alias)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, internal(err)
	}
	return s.getKey(ctx, a.TargetKeyARN)
}

// resolveKeyID finds the key that keyID names when only a key id or key ARN
// is accepted (management operations: aliases are not).
func (s *Service) resolveKeyID(ctx context.Context, c *Caller, keyID string) (*keyhold.Key, error) {
	if strings.HasPrefix(keyID, "alias/") || strings.Contains(keyID, ":alias/") {
		// AWS's answer for an alias where only keys are accepted.
		return nil, keyhold.NewError(keyhold.ErrCodeInvalidArn, "Key Aliases are not supported for this operation.")
	}
	return s.resolveKey(ctx, c, keyID)
}

func accessDenied(c *Caller, resource string) error {
	return keyhold.Errorf(keyhold.ErrCodeAccessDenied,
		"User: %s is not authorized to perform this operation on resource: %s because no resource-based policy allows it",
		c.PrincipalARN, resource)
}

// validKeyID reports whether s has the form of a KMS key id: a lowercase
// canonical UUID, or "mrk-" and 32 hex digits for multi-Region keys.
func validKeyID(s string) bool {
	if rest, ok := strings.CutPrefix(s, "mrk-"); ok {
		return len(rest) == 32 && isLowerHex(rest)
	}
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isLowerHex(s[i : i+1]) {
				return false
			}
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// checkUsable returns the error AWS gives when a key in its current state
// cannot be used for a cryptographic operation (the state table's row that
// all cryptographic operations share).
func checkUsable(k *keyhold.Key) error {
	return checkState("Encrypt", k)
}

// checkUsage returns InvalidKeyUsageException unless the key has usage.
func checkUsage(k *keyhold.Key, usage, op string) error {
	if k.KeyUsage != usage {
		return keyhold.Errorf(keyhold.ErrCodeInvalidKeyUsage,
			"%s key usage is %s which is not valid for %s.", k.ARN, k.KeyUsage, op)
	}
	return nil
}
