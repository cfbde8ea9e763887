package kms

import (
	"context"
	"errors"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("CreateAlias", (*Service).CreateAlias)
	register("UpdateAlias", (*Service).UpdateAlias)
	register("DeleteAlias", (*Service).DeleteAlias)
	register("ListAliases", (*Service).ListAliases)
}

// maxAliasesPerKey is AWS's resource quota.
const maxAliasesPerKey = 50

// checkAliasName applies the alias rules that are not in the API model.
func checkAliasName(name string) error {
	if !strings.HasPrefix(name, "alias/") {
		return keyhold.NewError(keyhold.ErrCodeValidation,
			`Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`)
	}
	if name == "alias/" {
		return keyhold.NewError(keyhold.ErrCodeInvalidAliasName, "Alias name must not be empty after the prefix \"alias/\".")
	}
	if strings.HasPrefix(name, "alias/aws/") {
		return keyhold.NewError(keyhold.ErrCodeInvalidAliasName,
			"Alias names that begin with alias/aws/ are reserved for AWS managed keys.")
	}
	return nil
}

// CreateAlias creates an alias for a customer managed key.
func (s *Service) CreateAlias(ctx context.Context, c *Caller, in *kmsapi.CreateAliasInput) (*kmsapi.CreateAliasOutput, error) {
	name := str(in.AliasName)
	if err := checkAliasName(name); err != nil {
		return nil, err
	}
	k, err := s.resolveKeyID(ctx, c, str(in.TargetKeyId))
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(k.ARN)
	defer unlock()
	if k, err = s.getKey(ctx, k.ARN); err != nil {
		return nil, err
	}
	if err := checkState("CreateAlias", k); err != nil {
		return nil, err
	}
	n, err := s.store.CountAliases(ctx, k.ARN)
	if err != nil {
		return nil, internal(err)
	}
	if n >= maxAliasesPerKey {
		return nil, keyhold.Errorf(keyhold.ErrCodeLimitExceeded,
			"The KMS key %s already has %d aliases, the most a key can have.", k.ARN, maxAliasesPerKey)
	}
	now := s.now().UTC()
	a := &keyhold.Alias{Account: c.Account, Region: c.Region, Name: name, TargetKeyARN: k.ARN, CreationDate: now, LastUpdatedDate: now}
	err = s.store.CreateAlias(ctx, a)
	if errors.Is(err, keyhold.ErrConflict) {
		return nil, keyhold.Errorf(keyhold.ErrCodeAlreadyExists, "An alias with the name %s already exists", a.ARN())
	}
	if err != nil {
		return nil, internal(err)
	}
	return &kmsapi.CreateAliasOutput{}, nil
}

// keyKind is what UpdateAlias compares: the new target must be the same
// kind of key (symmetric, asymmetric or HMAC) with the same key usage.
func keyKind(k *keyhold.Key) string {
	switch {
	case k.KeySpec == keyhold.KeySpecSymmetricDefault:
		return "symmetric/" + k.KeyUsage
	case strings.HasPrefix(k.KeySpec, "HMAC_"):
		return "hmac/" + k.KeyUsage
	default:
		return "asymmetric/" + k.KeyUsage
	}
}

// UpdateAlias points an existing alias at another key of the same kind.
func (s *Service) UpdateAlias(ctx context.Context, c *Caller, in *kmsapi.UpdateAliasInput) (*kmsapi.UpdateAliasOutput, error) {
	name := str(in.AliasName)
	if err := checkAliasName(name); err != nil {
		return nil, err
	}
	target, err := s.resolveKeyID(ctx, c, str(in.TargetKeyId))
	if err != nil {
		return nil, err
	}
	if err := checkState("UpdateAlias", target); err != nil {
		return nil, err
	}
	a, err := s.store.GetAlias(ctx, c.Account, c.Region, name)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Alias %s is not found.", keyhold.AliasARN(c.Region, c.Account, name))
	}
	if err != nil {
		return nil, internal(err)
	}
	current, err := s.getKey(ctx, a.TargetKeyARN)
	if err != nil {
		return nil, err
	}
	if keyKind(current) != keyKind(target) {
		return nil, keyhold.Errorf(keyhold.ErrCodeValidation,
			"Alias %s cannot be changed from a key of type %s to a key of type %s: the current and new KMS key must be the same type and have the same key usage.",
			a.ARN(), keyKind(current), keyKind(target))
	}
	if n, err := s.store.CountAliases(ctx, target.ARN); err != nil {
		return nil, internal(err)
	} else if n >= maxAliasesPerKey && target.ARN != current.ARN {
		return nil, keyhold.Errorf(keyhold.ErrCodeLimitExceeded,
			"The KMS key %s already has %d aliases, the most a key can have.", target.ARN, maxAliasesPerKey)
	}
	a.TargetKeyARN = target.ARN
	a.LastUpdatedDate = s.now().UTC()
	// One UPDATE statement: the alias moves atomically, and of two
	// concurrent updates one wins completely.
	if err := s.store.UpdateAlias(ctx, a); err != nil {
		if errors.Is(err, keyhold.ErrNotFound) {
			return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Alias %s is not found.", a.ARN())
		}
		return nil, internal(err)
	}
	return &kmsapi.UpdateAliasOutput{}, nil
}

// DeleteAlias deletes an alias; the key is not affected.
func (s *Service) DeleteAlias(ctx context.Context, c *Caller, in *kmsapi.DeleteAliasInput) (*kmsapi.DeleteAliasOutput, error) {
	name := str(in.AliasName)
	if !strings.HasPrefix(name, "alias/") {
		return nil, checkAliasName(name)
	}
	if az := authzOf(ctx); az != nil {
		// DeleteAlias needs permission on the alias's key too (authz.go);
		// an alias that does not exist is NotFound below.
		if a, err := s.store.GetAlias(ctx, c.Account, c.Region, name); err == nil {
			var ke *keyhold.Error
			if _, err := s.getKey(ctx, a.TargetKeyARN); err != nil && !(errors.As(err, &ke) && ke.Code == keyhold.ErrCodeNotFound) {
				return nil, err
			}
		}
		az.mu.Lock()
		az.decided = true
		az.mu.Unlock()
	}
	err := s.store.DeleteAlias(ctx, c.Account, c.Region, name)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, keyhold.Errorf(keyhold.ErrCodeNotFound, "Alias %s is not found.", keyhold.AliasARN(c.Region, c.Account, name))
	}
	if err != nil {
		return nil, internal(err)
	}
	return &kmsapi.DeleteAliasOutput{}, nil
}

// ListAliases lists the aliases of the account and region, optionally only
// those of one key. Limit is 1..100, default 50.
func (s *Service) ListAliases(ctx context.Context, c *Caller, in *kmsapi.ListAliasesInput) (*kmsapi.ListAliasesOutput, error) {
	limit, err := listLimit(in.Limit, 100, 50)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker, "alias")
	if err != nil {
		return nil, err
	}
	keyARN := ""
	if in.KeyId != nil {
		k, err := s.resolveKeyID(ctx, c, *in.KeyId)
		if err != nil {
			return nil, err
		}
		keyARN = k.ARN
	}
	as, err := s.store.ListAliases(ctx, c.Account, c.Region, keyARN, after, limit+1)
	if err != nil {
		return nil, internal(err)
	}
	out := &kmsapi.ListAliasesOutput{Aliases: []kmsapi.AliasListEntry{}, Truncated: ptr(false)}
	if len(as) > limit {
		as = as[:limit]
		out.Truncated = ptr(true)
		out.NextMarker = ptr(encodeMarker("alias", as[len(as)-1].Name))
	}
	for _, a := range as {
		id := a.TargetKeyARN[strings.LastIndex(a.TargetKeyARN, "/")+1:]
		out.Aliases = append(out.Aliases, kmsapi.AliasListEntry{
			AliasName:       ptr(a.Name),
			AliasArn:        ptr(a.ARN()),
			TargetKeyId:     ptr(id),
			CreationDate:    kmsapi.NewTimestamp(a.CreationDate),
			LastUpdatedDate: kmsapi.NewTimestamp(a.LastUpdatedDate),
		})
	}
	return out, nil
}
