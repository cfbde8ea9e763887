package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// Quotas (IAM's defaults).
const (
	maxTagsPerEntity        = 50
	maxAccessKeysPerUser    = 2
	maxAttachedPerEntity    = 10
	maxUserInlinePolicySize = 2048
	maxRoleInlinePolicySize = 10240
	maxManagedPolicySize    = 6144
	maxTrustPolicySize      = 2048
)

func pathOr(p *string) string {
	if p == nil {
		return "/"
	}
	return *p
}

func toWireTags(tags []keyhold.Tag) []iamapi.Tag {
	out := make([]iamapi.Tag, len(tags))
	for i, t := range tags {
		out[i] = iamapi.Tag(t)
	}
	return out
}

func fromWireTags(tags []iamapi.Tag) []keyhold.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]keyhold.Tag, len(tags))
	for i, t := range tags {
		out[i] = keyhold.Tag(t)
	}
	return out
}

func hasTagKey(tags []keyhold.Tag, key string) bool {
	for _, t := range tags {
		if strings.EqualFold(t.Key, key) {
			return true
		}
	}
	return false
}

// checkTags applies IAM's rules for tags sent with a request: no "aws:"
// prefix, no key twice (keys compare without case).
func checkTags(tags []iamapi.Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if strings.HasPrefix(k, "aws:") {
			return errorf(iamapi.ErrCodeInvalidInput, "Tag keys cannot start with the reserved prefix 'aws:': %s", t.Key)
		}
		if seen[k] {
			return keyhold.NewError(iamapi.ErrCodeInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

func wireUser(u *keyhold.User, withTags bool) iamapi.User {
	out := iamapi.User{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN, CreateDate: iamapi.Timestamp(u.CreationDate)}
	if withTags {
		out.Tags = toWireTags(u.Tags)
	}
	return out
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, c *Caller, in *iamapi.CreateUserInput) (*iamapi.CreateUserOutput, error) {
	account := c.Principal.Account
	path := pathOr(in.Path)
	arn := keyhold.UserARN(account, path, in.UserName)
	if err := s.authorize(ctx, c, "iam:CreateUser", arn, func(pc policy.Context) { setRequestTags(pc, in.Tags) }); err != nil {
		return nil, err
	}
	if in.PermissionsBoundary != nil {
		return nil, keyhold.NewError(iamapi.ErrCodeInvalidInput, "Permissions boundaries are not supported by keyhold.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	u := &keyhold.User{
		ARN: arn, ID: newID("AIDA", 17), Account: account, Name: in.UserName, Path: path,
		CreationDate: s.now().UTC(), Tags: fromWireTags(in.Tags),
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, keyhold.ErrConflict) {
			return nil, errorf(iamapi.ErrCodeEntityAlreadyExists, "User with name %s already exists.", in.UserName)
		}
		return nil, internal(err)
	}
	s.changed()
	return &iamapi.CreateUserOutput{User: wireUser(u, true)}, nil
}

// getUser reads a user; a missing user gives (nil, nil) so that callers
// can authorize before revealing whether it exists.
func (s *Service) getUser(ctx context.Context, account, name string) (*keyhold.User, error) {
	u, err := s.store.GetUser(ctx, account, name)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal(err)
	}
	return u, nil
}

// authorizeUser authorizes action on the user name of the caller's account
// and returns the user, or NoSuchEntity after a successful authorization.
// Authorization comes first, on the ARN the user would have, so a caller
// without permission learns nothing about which users exist.
func (s *Service) authorizeUser(ctx context.Context, c *Caller, action, name string, extra func(policy.Context)) (*keyhold.User, error) {
	account := c.Principal.Account
	u, err := s.getUser(ctx, account, name)
	if err != nil {
		return nil, err
	}
	arn := keyhold.UserARN(account, "/", name)
	if u != nil {
		arn = u.ARN
	}
	err = s.authorize(ctx, c, action, arn, func(pc policy.Context) {
		if u != nil {
			setResourceTags(pc, u.Tags)
		}
		if extra != nil {
			extra(pc)
		}
	})
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, noSuchUser(name)
	}
	return u, nil
}

// callerUserName is the user an operation without UserName acts on: the
// calling user.
func callerUserName(c *Caller, name *string) (string, error) {
	if name != nil {
		return *name, nil
	}
	if c.Principal.Type != keyhold.PrincipalUser {
		return "", errNotUser
	}
	return c.Principal.Name, nil
}

// GetUser returns a user, or the calling user (the root answers for
// itself).
func (s *Service) GetUser(ctx context.Context, c *Caller, in *iamapi.GetUserInput) (*iamapi.GetUserOutput, error) {
	if in.UserName == nil && c.Principal.Type == keyhold.PrincipalAccount {
		out := &iamapi.GetUserOutput{User: iamapi.User{UserID: c.Principal.Account, Arn: c.Principal.ARN}}
		if a, err := s.store.GetAccount(ctx, c.Principal.Account); err == nil {
			out.User.CreateDate = iamapi.Timestamp(a.CreationDate)
		}
		return out, nil
	}
	name, err := callerUserName(c, in.UserName)
	if err != nil {
		return nil, err
	}
	u, err := s.authorizeUser(ctx, c, "iam:GetUser", name, nil)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserOutput{User: wireUser(u, true)}, nil
}

// ListUsers lists the account's users in name order.
func (s *Service) ListUsers(ctx context.Context, c *Caller, in *iamapi.ListUsersInput) (*iamapi.ListUsersOutput, error) {
	account := c.Principal.Account
	if err := s.authorize(ctx, c, "iam:ListUsers", keyhold.UserARN(account, "/", ""), nil); err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Paging)
	if err != nil {
		return nil, err
	}
	limit := maxItems(in.Paging)
	us, err := s.store.ListUsers(ctx, account, pathOr(in.PathPrefix), after, limit+1)
	if err != nil {
		return nil, internal(err)
	}
	n, pg := cut(len(us), limit, func(i int) string { return foldName(us[i].Name) })
	out := &iamapi.ListUsersOutput{Users: make([]iamapi.User, 0, n), Page: pg}
	for _, u := range us[:n] {
		// Like IAM, lists leave tags out.
		out.Users = append(out.Users, wireUser(u, false))
	}
	return out, nil
}

// DeleteUser deletes a user that has no access keys or policies left.
func (s *Service) DeleteUser(ctx context.Context, c *Caller, in *iamapi.DeleteUserInput) error {
	u, err := s.authorizeUser(ctx, c, "iam:DeleteUser", in.UserName, nil)
	if err != nil {
		return err
	}
	if err := s.deleteConflicts(ctx, u.Account, keyhold.EntityUser, u.Name); err != nil {
		return err
	}
	err = s.store.DeleteUser(ctx, u.Account, u.Name)
	switch {
	case errors.Is(err, keyhold.ErrNotFound):
		return noSuchUser(in.UserName)
	case errors.Is(err, keyhold.ErrConflict):
		// Something was added since deleteConflicts looked.
		return keyhold.NewError(iamapi.ErrCodeDeleteConflict, "Cannot delete entity, must remove referenced objects first.")
	case err != nil:
		return internal(err)
	}
	s.changed()
	return nil
}

// deleteConflicts returns IAM's DeleteConflict for a user or role that still
// has what must go first.
func (s *Service) deleteConflicts(ctx context.Context, account, entity, name string) error {
	if entity == keyhold.EntityUser {
		keys, err := s.store.ListAccessKeys(ctx, account, name)
		if err != nil {
			return internal(err)
		}
		if len(keys) > 0 {
			return keyhold.NewError(iamapi.ErrCodeDeleteConflict, "Cannot delete entity, must delete access keys first.")
		}
	}
	inline, err := s.store.ListInlinePolicies(ctx, account, entity, name)
	if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return internal(err)
	}
	if len(inline) > 0 {
		return keyhold.NewError(iamapi.ErrCodeDeleteConflict, "Cannot delete entity, must delete policies first.")
	}
	attached, err := s.store.ListAttachedPolicies(ctx, account, entity, name)
	if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return internal(err)
	}
	if len(attached) > 0 {
		return keyhold.NewError(iamapi.ErrCodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
	}
	return nil
}

// Tags of users and roles.

// tagAction returns the IAM action of a tag operation on an entity:
// iam:TagUser, iam:UntagRole, iam:ListUserTags, ...
func tagAction(op, entity string) string {
	if op == "List" {
		return "iam:List" + wireEntity(entity) + "Tags"
	}
	return "iam:" + op + wireEntity(entity)
}

// entityTags authorizes action on a user or role and returns its tags.
func (s *Service) entityTags(ctx context.Context, c *Caller, entity, name, action string, extra func(policy.Context)) ([]keyhold.Tag, error) {
	if entity == keyhold.EntityUser {
		u, err := s.authorizeUser(ctx, c, action, name, extra)
		if err != nil {
			return nil, err
		}
		return u.Tags, nil
	}
	r, err := s.authorizeRole(ctx, c, action, name, extra)
	if err != nil {
		return nil, err
	}
	return r.Tags, nil
}

// updateTags applies change to the entity's tags with the store's
// compare-and-swap, retrying a few times when another update wins.
func (s *Service) updateTags(ctx context.Context, c *Caller, entity, name, action string, extra func(policy.Context), change func([]keyhold.Tag) ([]keyhold.Tag, error)) error {
	for attempt := 0; attempt < 5; attempt++ {
		old, err := s.entityTags(ctx, c, entity, name, action, extra)
		if err != nil {
			return err
		}
		next, err := change(old)
		if err != nil {
			return err
		}
		if entity == keyhold.EntityUser {
			err = s.store.UpdateUserTags(ctx, c.Principal.Account, name, old, next)
		} else {
			err = s.store.UpdateRoleTags(ctx, c.Principal.Account, name, old, next)
		}
		switch {
		case err == nil:
			s.changed()
			return nil
		case errors.Is(err, keyhold.ErrNotFound):
			return noSuchEntity(entity, name)
		case !errors.Is(err, keyhold.ErrConflict):
			return internal(err)
		}
	}
	return keyhold.NewError(iamapi.ErrCodeConcurrentModification, "The tags were changed by another request; retry.")
}

func (s *Service) tagEntity(ctx context.Context, c *Caller, entity, name string, tags []iamapi.Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	extra := func(pc policy.Context) { setRequestTags(pc, tags) }
	return s.updateTags(ctx, c, entity, name, tagAction("Tag", entity), extra, func(old []keyhold.Tag) ([]keyhold.Tag, error) {
		next := append([]keyhold.Tag(nil), old...)
		for _, t := range tags {
			replaced := false
			for i := range next {
				if strings.EqualFold(next[i].Key, t.Key) {
					next[i] = keyhold.Tag(t)
					replaced = true
					break
				}
			}
			if !replaced {
				next = append(next, keyhold.Tag(t))
			}
		}
		if len(next) > maxTagsPerEntity {
			return nil, errorf(iamapi.ErrCodeLimitExceeded, "Cannot exceed quota for TagsPer%s: %d", wireEntity(entity), maxTagsPerEntity)
		}
		return next, nil
	})
}

func (s *Service) untagEntity(ctx context.Context, c *Caller, entity, name string, keys []string) error {
	extra := func(pc policy.Context) {
		if len(keys) > 0 {
			pc.Set("aws:TagKeys", keys...)
		}
	}
	return s.updateTags(ctx, c, entity, name, tagAction("Untag", entity), extra, func(old []keyhold.Tag) ([]keyhold.Tag, error) {
		var next []keyhold.Tag
		for _, t := range old {
			drop := false
			for _, k := range keys {
				if strings.EqualFold(t.Key, k) {
					drop = true
					break
				}
			}
			if !drop {
				next = append(next, t)
			}
		}
		return next, nil
	})
}

func (s *Service) listEntityTags(ctx context.Context, c *Caller, entity, name string, p iamapi.Paging) (*iamapi.ListTagsOutput, error) {
	tags, err := s.entityTags(ctx, c, entity, name, tagAction("List", entity), nil)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(p)
	if err != nil {
		return nil, err
	}
	start, end, pg := page(len(tags), indexKey, after, maxItems(p))
	return &iamapi.ListTagsOutput{Tags: toWireTags(tags[start:end]), Page: pg}, nil
}

// indexKey is the sort key of the i-th item of a list kept in order: the
// index, fixed-width so keys sort like indexes.
func indexKey(i int) string {
	b := []byte("0000000000")
	for j := len(b) - 1; j >= 0 && i > 0; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}
