package iam

import (
	"context"
	"errors"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
)

// newAccessKey creates an access key for u and returns it with its secret,
// which exists in plaintext only in the returned value: the store gets it
// sealed by the crypto boundary, bound to the key id.
func (s *Service) newAccessKey(ctx context.Context, u *keyhold.User) (*keyhold.AccessKey, string, error) {
	id := newID("AKIA", 16)
	secret := newSecret()
	sealed, err := s.sealer.SealSecret(ctx, secretLabel(id), []byte(secret))
	if err != nil {
		return nil, "", internal(err)
	}
	ak := &keyhold.AccessKey{
		ID: id, Account: u.Account, UserName: u.Name, PrincipalARN: u.ARN,
		SealedSecret: sealed, Status: keyhold.AccessKeyActive, CreationDate: s.now().UTC(),
	}
	if err := s.store.CreateAccessKey(ctx, ak); err != nil {
		if errors.Is(err, keyhold.ErrNotFound) {
			return nil, "", noSuchUser(u.Name)
		}
		return nil, "", internal(err)
	}
	s.changed()
	return ak, secret, nil
}

// CreateAccessKey creates an access key for a user (the caller when
// UserName is absent). The secret is in the response and nowhere else.
func (s *Service) CreateAccessKey(ctx context.Context, c *Caller, in *iamapi.CreateAccessKeyInput) (*iamapi.CreateAccessKeyOutput, error) {
	name, err := callerUserName(c, in.UserName)
	if err != nil {
		return nil, err
	}
	u, err := s.authorizeUser(ctx, c, "iam:CreateAccessKey", name, nil)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.ListAccessKeys(ctx, u.Account, u.Name)
	if err != nil {
		return nil, internal(err)
	}
	if len(keys) >= maxAccessKeysPerUser {
		return nil, errorf(iamapi.ErrCodeLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeysPerUser)
	}
	ak, secret, err := s.newAccessKey(ctx, u)
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateAccessKeyOutput{AccessKey: iamapi.AccessKey{
		UserName: u.Name, AccessKeyID: ak.ID, Status: ak.Status, SecretAccessKey: secret,
		CreateDate: iamapi.Timestamp(ak.CreationDate),
	}}, nil
}

// ListAccessKeys lists a user's access keys (the caller's when UserName is
// absent), without secrets.
func (s *Service) ListAccessKeys(ctx context.Context, c *Caller, in *iamapi.ListAccessKeysInput) (*iamapi.ListAccessKeysOutput, error) {
	name, err := callerUserName(c, in.UserName)
	if err != nil {
		return nil, err
	}
	u, err := s.authorizeUser(ctx, c, "iam:ListAccessKeys", name, nil)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.ListAccessKeys(ctx, u.Account, u.Name)
	if err != nil {
		return nil, internal(err)
	}
	after, err := decodeMarker(in.Paging)
	if err != nil {
		return nil, err
	}
	start, end, pg := page(len(keys), indexKey, after, maxItems(in.Paging))
	out := &iamapi.ListAccessKeysOutput{AccessKeyMetadata: []iamapi.AccessKeyMetadata{}, Page: pg}
	for _, k := range keys[start:end] {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamapi.AccessKeyMetadata{
			UserName: u.Name, AccessKeyID: k.ID, Status: k.Status, CreateDate: iamapi.Timestamp(k.CreationDate),
		})
	}
	return out, nil
}

// userAccessKey authorizes action on the user (the caller when name is nil)
// and returns the user's access key id.
func (s *Service) userAccessKey(ctx context.Context, c *Caller, action string, name *string, id string) (*keyhold.User, *keyhold.AccessKey, error) {
	userName, err := callerUserName(c, name)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.authorizeUser(ctx, c, action, userName, nil)
	if err != nil {
		return nil, nil, err
	}
	ak, err := s.store.GetAccessKey(ctx, id)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, nil, noSuchAccessKey(id)
	}
	if err != nil {
		return nil, nil, internal(err)
	}
	if ak.Account != u.Account || foldName(ak.UserName) != foldName(u.Name) {
		// Another user's key: as good as absent.
		return nil, nil, noSuchAccessKey(id)
	}
	return u, ak, nil
}

// UpdateAccessKey activates or deactivates an access key. Deactivation
// takes effect at once on this server.
func (s *Service) UpdateAccessKey(ctx context.Context, c *Caller, in *iamapi.UpdateAccessKeyInput) error {
	if in.Status != keyhold.AccessKeyActive && in.Status != keyhold.AccessKeyInactive {
		return errorf(iamapi.ErrCodeInvalidInput, "Status %s cannot be set; use Active or Inactive.", in.Status)
	}
	_, ak, err := s.userAccessKey(ctx, c, "iam:UpdateAccessKey", in.UserName, in.AccessKeyID)
	if err != nil {
		return err
	}
	if err := s.store.UpdateAccessKeyStatus(ctx, ak.ID, in.Status); err != nil {
		if errors.Is(err, keyhold.ErrNotFound) {
			return noSuchAccessKey(in.AccessKeyID)
		}
		return internal(err)
	}
	s.changed()
	return nil
}

// DeleteAccessKey deletes an access key; it stops working at once on this
// server.
func (s *Service) DeleteAccessKey(ctx context.Context, c *Caller, in *iamapi.DeleteAccessKeyInput) error {
	_, ak, err := s.userAccessKey(ctx, c, "iam:DeleteAccessKey", in.UserName, in.AccessKeyID)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAccessKey(ctx, ak.ID); err != nil {
		if errors.Is(err, keyhold.ErrNotFound) {
			return noSuchAccessKey(in.AccessKeyID)
		}
		return internal(err)
	}
	s.changed()
	return nil
}

// GetAccessKeyLastUsed reports when and where an access key was last used.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, c *Caller, in *iamapi.GetAccessKeyLastUsedInput) (*iamapi.GetAccessKeyLastUsedOutput, error) {
	account := c.Principal.Account
	ak, err := s.store.GetAccessKey(ctx, in.AccessKeyID)
	if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return nil, internal(err)
	}
	if ak == nil || ak.Account != account {
		// Authorize on the account's users before saying the key is not
		// there, so the answer tells an unauthorized caller nothing.
		if err := s.authorize(ctx, c, "iam:GetAccessKeyLastUsed", keyhold.UserARN(account, "/", "*"), nil); err != nil {
			return nil, err
		}
		return nil, noSuchAccessKey(in.AccessKeyID)
	}
	if _, err := s.authorizeUser(ctx, c, "iam:GetAccessKeyLastUsed", ak.UserName, nil); err != nil {
		return nil, err
	}
	out := &iamapi.GetAccessKeyLastUsedOutput{
		UserName:          ak.UserName,
		AccessKeyLastUsed: iamapi.AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"},
	}
	if !ak.LastUsedDate.IsZero() {
		out.AccessKeyLastUsed = iamapi.AccessKeyLastUsed{
			LastUsedDate: iamapi.TimePtr(ak.LastUsedDate), ServiceName: ak.LastUsedService, Region: ak.LastUsedRegion,
		}
	}
	return out, nil
}
