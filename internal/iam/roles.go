package iam

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
	"github.com/keyhold/keyhold/internal/policy"
)

const defaultMaxSessionDuration = 3600

func wireRole(r *keyhold.Role, withTags bool) iamapi.Role {
	doc := iamapi.PolicyDocument(r.AssumeRolePolicy)
	out := iamapi.Role{
		Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN, CreateDate: iamapi.Timestamp(r.CreationDate),
		AssumeRolePolicyDocument: &doc, Description: r.Description, MaxSessionDuration: r.MaxSessionDuration,
	}
	if withTags {
		out.Tags = toWireTags(r.Tags)
	}
	return out
}

// authorizeRole is authorizeUser for roles.
func (s *Service) authorizeRole(ctx context.Context, c *Caller, action, name string, extra func(policy.Context)) (*keyhold.Role, error) {
	account := c.Principal.Account
	r, err := s.store.GetRole(ctx, account, name)
	if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return nil, internal(err)
	}
	arn := keyhold.RoleARN(account, "/", name)
	if r != nil {
		arn = r.ARN
	}
	err = s.authorize(ctx, c, action, arn, func(pc policy.Context) {
		if r != nil {
			setResourceTags(pc, r.Tags)
		}
		if extra != nil {
			extra(pc)
		}
	})
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, noSuchRole(name)
	}
	return r, nil
}

// policySize is the size IAM counts against its quotas: characters other
// than white space.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func malformed(err error) error {
	var se *policy.SyntaxError
	if errors.As(err, &se) {
		return keyhold.NewError(iamapi.ErrCodeMalformedPolicyDocument, se.Msg)
	}
	return internal(err)
}

// checkTrustPolicy parses and validates a role trust policy: its syntax,
// its size, and that the IAM users and roles it names exist (IAM refuses
// a trust policy naming a principal that does not).
func (s *Service) checkTrustPolicy(ctx context.Context, doc string) error {
	if policySize(doc) > maxTrustPolicySize {
		return errorf(iamapi.ErrCodeLimitExceeded, "Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	p, err := policy.Parse(doc, policy.KindTrust)
	if err != nil {
		return malformed(err)
	}
	for _, v := range p.AWSPrincipals() {
		a, err := keyhold.ParseARN(v)
		if err != nil || a.Service != "iam" {
			continue // "*", account ids, session ARNs: nothing to look up
		}
		var found bool
		switch {
		case strings.HasPrefix(a.Resource, "user/"):
			name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
			u, err := s.store.GetUser(ctx, a.Account, name)
			if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
				return internal(err)
			}
			found = u != nil && u.ARN == v
		case strings.HasPrefix(a.Resource, "role/"):
			name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
			r, err := s.store.GetRole(ctx, a.Account, name)
			if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
				return internal(err)
			}
			found = r != nil && r.ARN == v
		default:
			found = true // the account root
		}
		if !found {
			return errorf(iamapi.ErrCodeMalformedPolicyDocument, "Invalid principal in policy: \"AWS\":\"%s\"", v)
		}
	}
	return nil
}

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, c *Caller, in *iamapi.CreateRoleInput) (*iamapi.CreateRoleOutput, error) {
	account := c.Principal.Account
	path := pathOr(in.Path)
	arn := keyhold.RoleARN(account, path, in.RoleName)
	if err := s.authorize(ctx, c, "iam:CreateRole", arn, func(pc policy.Context) { setRequestTags(pc, in.Tags) }); err != nil {
		return nil, err
	}
	if in.PermissionsBoundary != nil {
		return nil, keyhold.NewError(iamapi.ErrCodeInvalidInput, "Permissions boundaries are not supported by keyhold.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if err := s.checkTrustPolicy(ctx, in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	r := &keyhold.Role{
		ARN: arn, ID: newID("AROA", 17), Account: account, Name: in.RoleName, Path: path,
		AssumeRolePolicy: in.AssumeRolePolicyDocument, MaxSessionDuration: defaultMaxSessionDuration,
		CreationDate: s.now().UTC(), Tags: fromWireTags(in.Tags),
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	if in.MaxSessionDuration != nil {
		r.MaxSessionDuration = *in.MaxSessionDuration
	}
	if err := s.store.CreateRole(ctx, r); err != nil {
		if errors.Is(err, keyhold.ErrConflict) {
			return nil, errorf(iamapi.ErrCodeEntityAlreadyExists, "Role with name %s already exists.", in.RoleName)
		}
		return nil, internal(err)
	}
	s.changed()
	return &iamapi.CreateRoleOutput{Role: wireRole(r, true)}, nil
}

// GetRole returns a role with its trust policy.
func (s *Service) GetRole(ctx context.Context, c *Caller, in *iamapi.GetRoleInput) (*iamapi.GetRoleOutput, error) {
	r, err := s.authorizeRole(ctx, c, "iam:GetRole", in.RoleName, nil)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRoleOutput{Role: wireRole(r, true)}, nil
}

// ListRoles lists the account's roles in name order.
func (s *Service) ListRoles(ctx context.Context, c *Caller, in *iamapi.ListRolesInput) (*iamapi.ListRolesOutput, error) {
	account := c.Principal.Account
	if err := s.authorize(ctx, c, "iam:ListRoles", keyhold.RoleARN(account, "/", ""), nil); err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Paging)
	if err != nil {
		return nil, err
	}
	limit := maxItems(in.Paging)
	rs, err := s.store.ListRoles(ctx, account, pathOr(in.PathPrefix), after, limit+1)
	if err != nil {
		return nil, internal(err)
	}
	n, pg := cut(len(rs), limit, func(i int) string { return foldName(rs[i].Name) })
	out := &iamapi.ListRolesOutput{Roles: make([]iamapi.Role, 0, n), Page: pg}
	for _, r := range rs[:n] {
		out.Roles = append(out.Roles, wireRole(r, false))
	}
	return out, nil
}

// DeleteRole deletes a role that has no policies left. Its sessions stop
// working.
func (s *Service) DeleteRole(ctx context.Context, c *Caller, in *iamapi.DeleteRoleInput) error {
	r, err := s.authorizeRole(ctx, c, "iam:DeleteRole", in.RoleName, nil)
	if err != nil {
		return err
	}
	if err := s.deleteConflicts(ctx, r.Account, keyhold.EntityRole, r.Name); err != nil {
		return err
	}
	err = s.store.DeleteRole(ctx, r.Account, r.Name)
	switch {
	case errors.Is(err, keyhold.ErrNotFound):
		return noSuchRole(in.RoleName)
	case errors.Is(err, keyhold.ErrConflict):
		return keyhold.NewError(iamapi.ErrCodeDeleteConflict, "Cannot delete entity, must remove referenced objects first.")
	case err != nil:
		return internal(err)
	}
	s.changed()
	return nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, c *Caller, in *iamapi.UpdateAssumeRolePolicyInput) error {
	r, err := s.authorizeRole(ctx, c, "iam:UpdateAssumeRolePolicy", in.RoleName, nil)
	if err != nil {
		return err
	}
	if err := s.checkTrustPolicy(ctx, in.PolicyDocument); err != nil {
		return err
	}
	if err := s.store.UpdateAssumeRolePolicy(ctx, r.Account, r.Name, in.PolicyDocument); err != nil {
		if errors.Is(err, keyhold.ErrNotFound) {
			return noSuchRole(in.RoleName)
		}
		return internal(err)
	}
	s.changed()
	return nil
}
