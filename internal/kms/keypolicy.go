package kms

import (
	"context"
	"errors"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// MaxKeyPolicyBytes is AWS's quota on a key policy document (32 KB).
const MaxKeyPolicyBytes = 32 << 10

// defaultPolicyName is the only key policy name.
const defaultPolicyName = "default"

// DefaultKeyPolicy returns the key policy that CreateKey attaches when none
// is given, in exactly the text GetKeyPolicy returns for it (AWS's
// GetKeyPolicy example): it allows the account (its root) everything,
// which delegates access to the key to the account's IAM policies.
func DefaultKeyPolicy(account string) string {
	return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n" +
		"    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n" +
		"      \"AWS\" : \"" + keyhold.RootARN(account) + "\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}"
}

var (
	errLockout = keyhold.NewError(keyhold.ErrCodeMalformedPolicyDocument,
		"The new key policy will not allow you to update the key policy in the future.")
	errInvalidPrincipals = keyhold.NewError(keyhold.ErrCodeMalformedPolicyDocument,
		"Policy contains a statement with one or more invalid principals.")
)

// checkPolicyName accepts only "default" (or nothing).
func checkPolicyName(name *string) error {
	if name != nil && *name != defaultPolicyName {
		return keyhold.NewError(keyhold.ErrCodeNotFound, "Policy name does not exist: "+*name)
	}
	return nil
}

// checkKeyPolicy validates a new key policy for k (which may not be stored
// yet): size, syntax, principals that exist, and, unless bypass, the
// lockout safety check: the policy must let the caller call PutKeyPolicy
// afterwards.
func (s *Service) checkKeyPolicy(ctx context.Context, c *Caller, k *keyhold.Key, text string, bypass bool) error {
	if len(text) > MaxKeyPolicyBytes {
		return keyhold.Errorf(keyhold.ErrCodeLimitExceeded,
			"Policy exceeds the maximum size of %d bytes.", MaxKeyPolicyBytes)
	}
	for _, r := range text {
		if r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || r > 0xff) {
			return keyhold.NewError(keyhold.ErrCodeMalformedPolicyDocument,
				"Policy contains characters that are not allowed: only tab, newline, carriage return and U+0020 to U+00FF.")
		}
	}
	p, err := policy.Parse(text, policy.KindResource)
	if err != nil {
		var se *policy.SyntaxError
		if errors.As(err, &se) {
			return keyhold.NewError(keyhold.ErrCodeMalformedPolicyDocument, se.Msg)
		}
		return internal(err)
	}
	if err := s.checkPrincipals(ctx, p); err != nil {
		return err
	}
	if bypass {
		return nil
	}
	a := authzOf(ctx)
	if a == nil {
		// Authorization is off (keyhold dev): the caller acts as its
		// account's root.
		root := &keyhold.Principal{Type: keyhold.PrincipalAccount, Account: c.Account, ARN: keyhold.RootARN(c.Account),
			EntityARN: keyhold.RootARN(c.Account), UserID: c.Account}
		cc := *c
		cc.Principal = root
		cc.PrincipalARN = root.ARN
		a = &authzCall{c: &cc, op: "PutKeyPolicy", in: &kmsapi.PutKeyPolicyInput{}, action: "kms:PutKeyPolicy"}
	} else {
		a = &authzCall{c: a.c, op: "PutKeyPolicy", in: &kmsapi.PutKeyPolicyInput{}, action: "kms:PutKeyPolicy"}
	}
	if err := s.decide(ctx, a, k, "kms:PutKeyPolicy", p); err != nil {
		var ke *keyhold.Error
		if errors.As(err, &ke) && ke.Code == keyhold.ErrCodeAccessDenied {
			return errLockout
		}
		return err
	}
	return nil
}

// checkPrincipals refuses users and roles that do not exist. Accounts keyhold
// does not know are accepted as account principals (it cannot tell), but
// not their users or roles.
func (s *Service) checkPrincipals(ctx context.Context, p *policy.Policy) error {
	for _, v := range p.AWSPrincipals() {
		if v == "*" || keyhold.IsAccountID(v) {
			continue
		}
		a, err := keyhold.ParseARN(v)
		if err != nil || a.Service != "iam" && a.Service != "sts" {
			return errInvalidPrincipals
		}
		var kind, name string
		if i := strings.IndexByte(a.Resource, '/'); i >= 0 {
			kind, name = a.Resource[:i], a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		} else {
			kind = a.Resource
		}
		switch {
		case a.Service == "iam" && kind == "root":
			continue
		case a.Service == "iam" && kind == "user":
			_, err = s.store.GetUser(ctx, a.Account, name)
		case a.Service == "iam" && kind == "role":
			_, err = s.store.GetRole(ctx, a.Account, name)
		case a.Service == "sts" && kind == "assumed-role":
			continue
		default:
			return errInvalidPrincipals
		}
		if errors.Is(err, keyhold.ErrNotFound) {
			return errInvalidPrincipals
		}
		if err != nil {
			return internal(err)
		}
	}
	return nil
}

// GetKeyPolicy returns a key's policy: the one it was given, or the
// default policy.
func (s *Service) GetKeyPolicy(ctx context.Context, c *Caller, in *kmsapi.GetKeyPolicyInput) (*kmsapi.GetKeyPolicyOutput, error) {
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	text := k.Policy
	if text == "" {
		text = DefaultKeyPolicy(k.Account)
	}
	return &kmsapi.GetKeyPolicyOutput{Policy: ptr(text), PolicyName: ptr(defaultPolicyName)}, nil
}

// PutKeyPolicy replaces a key's policy.
func (s *Service) PutKeyPolicy(ctx context.Context, c *Caller, in *kmsapi.PutKeyPolicyInput) (*kmsapi.PutKeyPolicyOutput, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	text := str(in.Policy)
	_, err := s.mutateKey(ctx, c, str(in.KeyId), "PutKeyPolicy", func(k *keyhold.Key) (bool, error) {
		if err := s.checkKeyPolicy(ctx, c, k, text, val(in.BypassPolicyLockoutSafetyCheck)); err != nil {
			return false, err
		}
		k.Policy = text
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.PutKeyPolicyOutput{}, nil
}

// ListKeyPolicies lists the names of a key's policies: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, c *Caller, in *kmsapi.ListKeyPoliciesInput) (*kmsapi.ListKeyPoliciesOutput, error) {
	if _, err := s.resolveKeyID(ctx, c, str(in.KeyId)); err != nil {
		return nil, err
	}
	if _, err := listLimit(in.Limit, 1000, 100); err != nil {
		return nil, err
	}
	return &kmsapi.ListKeyPoliciesOutput{PolicyNames: []string{defaultPolicyName}, Truncated: ptr(false)}, nil
}

func init() {
	register("GetKeyPolicy", (*Service).GetKeyPolicy)
	register("PutKeyPolicy", (*Service).PutKeyPolicy)
	register("ListKeyPolicies", (*Service).ListKeyPolicies)
}
