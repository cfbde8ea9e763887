package proxy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/keyhold/keyhold/internal/sigv4"
	"github.com/keyhold/keyhold/internal/xks"
)

// Reload replaces the logical key stores (credentials, prefixes, rules,
// quotas) without a restart; requests in flight finish with the old set.
// It is how credentials are rotated: add the new one, update the KMS,
// remove the old one.
func (s *Server) Reload(stores []KeyStore) error {
	m := make(map[string]*logicalStore, len(stores))
	names := map[string]bool{}
	for _, ks := range stores {
		if err := CheckKeyStore(ks); err != nil {
			return err
		}
		if names[ks.Name] {
			return fmt.Errorf("proxy: key store name %q is used twice", ks.Name)
		}
		names[ks.Name] = true
		if _, dup := m[ks.Prefix]; dup {
			return fmt.Errorf("proxy: key stores %q and another share the prefix %q", ks.Name, ks.Prefix)
		}
		ls := &logicalStore{KeyStore: ks, secrets: map[string][]byte{}}
		for _, c := range ks.Credentials {
			ls.secrets[c.AccessKeyID] = []byte(c.Secret)
		}
		var allow func(string) bool
		if len(ks.Regions) > 0 {
			regions := slices.Clone(ks.Regions)
			allow = func(r string) bool { return slices.Contains(regions, r) }
		}
		v, err := sigv4.NewVerifier(sigv4.Config{
			Service:     xks.Service,
			AllowRegion: allow,
			Lookup:      ls.lookup,
			Now:         s.cfg.Now,
		})
		if err != nil {
			return fmt.Errorf("proxy: key store %q: %w", ks.Name, err)
		}
		ls.verifier = v
		if ks.MaxRequestsPerSecond > 0 {
			ls.limiter = newLimiter(ks.MaxRequestsPerSecond, s.cfg.Now)
		}
		m[ks.Prefix] = ls
	}
	s.stores.Store(&m)
	s.ForgetKeys()
	return nil
}

// lookup is the SigV4 credential lookup of one logical key store. An
// unknown access key id is refused like a wrong signature.
func (ls *logicalStore) lookup(_ context.Context, id, token string) ([]byte, error) {
	secret, ok := ls.secrets[id]
	if !ok || token != "" {
		return nil, sigv4.UnknownAccessKey()
	}
	return secret, nil
}

// CheckKeyStore says what is wrong with a logical key store's settings.
func CheckKeyStore(ks KeyStore) error {
	var errs []error
	if !validName(ks.Name) {
		errs = append(errs, fmt.Errorf("key store name %q must be 1 to 64 characters of [A-Za-z0-9._-]", ks.Name))
	}
	if !xks.ValidPrefix(ks.Prefix) {
		errs = append(errs, fmt.Errorf("key store %q: prefix %q must be empty or /segment[/segment...] with segments of [A-Za-z0-9_-], at most 100 characters", ks.Name, ks.Prefix))
	}
	if len(ks.Credentials) == 0 {
		errs = append(errs, fmt.Errorf("key store %q: at least one credential is required", ks.Name))
	}
	seen := map[string]bool{}
	for _, c := range ks.Credentials {
		if !ValidAccessKeyID(c.AccessKeyID) {
			errs = append(errs, fmt.Errorf("key store %q: access key id %q must be 20 to 30 characters of [A-Z2-7]", ks.Name, c.AccessKeyID))
		}
		if seen[c.AccessKeyID] {
			errs = append(errs, fmt.Errorf("key store %q: access key id %q is listed twice", ks.Name, c.AccessKeyID))
		}
		seen[c.AccessKeyID] = true
		if !ValidSecret(c.Secret) {
			// Never echo a secret, not even a wrong one.
			errs = append(errs, fmt.Errorf("key store %q: the secret of access key id %q must be 43 to 64 characters of [A-Za-z0-9/+=]", ks.Name, c.AccessKeyID))
		}
	}
	if ks.MaxRequestsPerSecond < 0 {
		errs = append(errs, fmt.Errorf("key store %q: max requests per second must not be negative", ks.Name))
	}
	return errors.Join(errs...)
}

func validName(s string) bool {
	return len(s) <= 64 && xks.ValidKeyID(s)
}

// ValidAccessKeyID reports whether id has the form the XKS specification
// and KMS require: 20 to 30 characters of [A-Z2-7].
func ValidAccessKeyID(id string) bool {
	if len(id) < 20 || len(id) > 30 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// ValidSecret reports whether s has the form the XKS specification and KMS
// require: 43 to 64 characters of [A-Za-z0-9/+=].
func ValidSecret(s string) bool {
	if len(s) < 43 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '/' || c == '+' || c == '=') {
			return false
		}
	}
	return true
}
