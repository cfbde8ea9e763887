package iam

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// authorizeEntity authorizes action on a user or role.
func (s *Service) authorizeEntity(ctx context.Context, c *Caller, entity, action, name string, extra func(policy.Context)) (account, storedName string, err error) {
	if entity == keyhold.EntityRole {
		r, err := s.authorizeRole(ctx, c, action, name, extra)
		if err != nil {
			return "", "", err
		}
		return r.Account, r.Name, nil
	}
	u, err := s.authorizeUser(ctx, c, action, name, extra)
	if err != nil {
		return "", "", err
	}
	return u.Account, u.Name, nil
}

// Inline policies.

// PutEntityPolicy puts an inline policy into a user or role
// (PutUserPolicy, PutRolePolicy).
func (s *Service) PutEntityPolicy(ctx context.Context, c *Caller, in *iamapi.PutEntityPolicyInput) error {
	entity := entityType(in.Entity)
	account, name, err := s.authorizeEntity(ctx, c, entity, "iam:Put"+in.Entity+"Policy", in.EntityName, nil)
	if err != nil {
		return err
	}
	if _, err := policy.Parse(in.PolicyDocument, policy.KindIdentity); err != nil {
		return malformed(err)
	}
	// IAM's quota is on the aggregate size of an entity's inline policies.
	existing, err := s.store.ListInlinePolicies(ctx, account, entity, name)
	if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return internal(err)
	}
	size := policySize(in.PolicyDocument)
	for _, p := range existing {
		if p.Name != in.PolicyName {
			size += policySize(p.Document)
		}
	}
	limit := maxUserInlinePolicySize
	if entity == keyhold.EntityRole {
		limit = maxRoleInlinePolicySize
	}
	if size > limit {
		return errorf(iamapi.ErrCodeLimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", limit, entity, name)
	}
	err = s.store.PutInlinePolicy(ctx, &keyhold.InlinePolicy{
		Account: account, EntityType: entity, EntityName: name, Name: in.PolicyName, Document: in.PolicyDocument,
	})
	if errors.Is(err, keyhold.ErrNotFound) {
		return noSuchEntity(entity, in.EntityName)
	}
	if err != nil {
		return internal(err)
	}
	s.changed()
	return nil
}

func noSuchInlinePolicy(entity, name string) error {
	return errorf(iamapi.ErrCodeNoSuchEntity, "The %s policy with name %s cannot be found.", entity, name)
}

// GetEntityPolicy returns an inline policy (GetUserPolicy, GetRolePolicy).
func (s *Service) GetEntityPolicy(ctx context.Context, c *Caller, in *iamapi.GetEntityPolicyInput) (any, error) {
	entity := entityType(in.Entity)
	account, name, err := s.authorizeEntity(ctx, c, entity, "iam:Get"+in.Entity+"Policy", in.EntityName, nil)
	if err != nil {
		return nil, err
	}
	p, err := s.store.GetInlinePolicy(ctx, account, entity, name, in.PolicyName)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, noSuchInlinePolicy(entity, in.PolicyName)
	}
	if err != nil {
		return nil, internal(err)
	}
	if entity == keyhold.EntityRole {
		return &iamapi.GetRolePolicyOutput{RoleName: p.EntityName, PolicyName: p.Name, PolicyDocument: iamapi.PolicyDocument(p.Document)}, nil
	}
	return &iamapi.GetUserPolicyOutput{UserName: p.EntityName, PolicyName: p.Name, PolicyDocument: iamapi.PolicyDocument(p.Document)}, nil
}

// ListEntityPolicies lists the names of a user's or role's inline policies.
func (s *Service) ListEntityPolicies(ctx context.Context, c *Caller, in *iamapi.ListEntityPoliciesInput) (*iamapi.ListPolicyNamesOutput, error) {
	entity := entityType(in.Entity)
	account, name, err := s.authorizeEntity(ctx, c, entity, "iam:List"+in.Entity+"Policies", in.EntityName, nil)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ListInlinePolicies(ctx, account, entity, name)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, noSuchEntity(entity, in.EntityName)
	}
	if err != nil {
		return nil, internal(err)
	}
	after, err := decodeMarker(in.Paging)
	if err != nil {
		return nil, err
	}
	start, end, pg := page(len(ps), func(i int) string { return ps[i].Name }, after, maxItems(in.Paging))
	out := &iamapi.ListPolicyNamesOutput{PolicyNames: []string{}, Page: pg}
	for _, p := range ps[start:end] {
		out.PolicyNames = append(out.PolicyNames, p.Name)
	}
	return out, nil
}

// DeleteEntityPolicy deletes an inline policy.
func (s *Service) DeleteEntityPolicy(ctx context.Context, c *Caller, in *iamapi.DeleteEntityPolicyInput) error {
	entity := entityType(in.Entity)
	account, name, err := s.authorizeEntity(ctx, c, entity, "iam:Delete"+in.Entity+"Policy", in.EntityName, nil)
	if err != nil {
		return err
	}
	err = s.store.DeleteInlinePolicy(ctx, account, entity, name, in.PolicyName)
	if errors.Is(err, keyhold.ErrNotFound) {
		return noSuchInlinePolicy(entity, in.PolicyName)
	}
	if err != nil {
		return internal(err)
	}
	s.changed()
	return nil
}

// Managed policies.

func wirePolicy(p *keyhold.ManagedPolicy, withTags bool) iamapi.Policy {
	out := iamapi.Policy{
		PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersionID,
		AttachmentCount: p.AttachmentCount, IsAttachable: true, Description: p.Description,
		CreateDate: iamapi.Timestamp(p.CreationDate), UpdateDate: iamapi.TimePtr(p.UpdateDate),
	}
	if withTags {
		out.Tags = toWireTags(p.Tags)
	}
	return out
}

// parsePolicyARN checks that arn is a managed policy ARN the caller can
// see: one of its own account's or an AWS managed one.
func parsePolicyARN(c *Caller, arn string) error {
	a, err := keyhold.ParseARN(arn)
	if err != nil || a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "policy/") ||
		(a.Account != keyhold.AWSAccount && !keyhold.IsAccountID(a.Account)) {
		return errorf(iamapi.ErrCodeInvalidInput, "ARN %s is not valid.", arn)
	}
	return nil
}

// getPolicy reads a managed policy visible to the caller; others are as
// good as absent.
func (s *Service) getPolicy(ctx context.Context, c *Caller, arn string) (*keyhold.ManagedPolicy, error) {
	p, err := s.store.GetManagedPolicy(ctx, arn)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal(err)
	}
	if p.Account != keyhold.AWSAccount && p.Account != c.Principal.Account {
		return nil, nil
	}
	return p, nil
}

// CreatePolicy creates a customer managed policy.
func (s *Service) CreatePolicy(ctx context.Context, c *Caller, in *iamapi.CreatePolicyInput) (*iamapi.CreatePolicyOutput, error) {
	account := c.Principal.Account
	path := pathOr(in.Path)
	arn := keyhold.ManagedPolicyARN(account, path, in.PolicyName)
	if err := s.authorize(ctx, c, "iam:CreatePolicy", arn, func(pc policy.Context) { setRequestTags(pc, in.Tags) }); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if policySize(in.PolicyDocument) > maxManagedPolicySize {
		return nil, errorf(iamapi.ErrCodeLimitExceeded, "Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	if _, err := policy.Parse(in.PolicyDocument, policy.KindIdentity); err != nil {
		return nil, malformed(err)
	}
	now := s.now().UTC()
	p := &keyhold.ManagedPolicy{
		ARN: arn, ID: newID("ANPA", 17), Account: account, Name: in.PolicyName, Path: path,
		Document: in.PolicyDocument, DefaultVersionID: "v1", CreationDate: now, UpdateDate: now,
		Tags: fromWireTags(in.Tags),
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if err := s.store.CreateManagedPolicy(ctx, p); err != nil {
		if errors.Is(err, keyhold.ErrConflict) {
			return nil, errorf(iamapi.ErrCodeEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
		}
		return nil, internal(err)
	}
	return &iamapi.CreatePolicyOutput{Policy: wirePolicy(p, true)}, nil
}

// GetPolicy returns a managed policy's metadata.
func (s *Service) GetPolicy(ctx context.Context, c *Caller, in *iamapi.GetPolicyInput) (*iamapi.GetPolicyOutput, error) {
	if err := parsePolicyARN(c, in.PolicyArn); err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "iam:GetPolicy", in.PolicyArn, nil); err != nil {
		return nil, err
	}
	p, err := s.getPolicy(ctx, c, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errorf(iamapi.ErrCodeNoSuchEntity, "Policy %s was not found.", in.PolicyArn)
	}
	return &iamapi.GetPolicyOutput{Policy: wirePolicy(p, true)}, nil
}

// GetPolicyVersion returns a managed policy's document. keyhold keeps one
// version, v1.
func (s *Service) GetPolicyVersion(ctx context.Context, c *Caller, in *iamapi.GetPolicyVersionInput) (*iamapi.GetPolicyVersionOutput, error) {
	if err := parsePolicyARN(c, in.PolicyArn); err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "iam:GetPolicyVersion", in.PolicyArn, nil); err != nil {
		return nil, err
	}
	p, err := s.getPolicy(ctx, c, in.PolicyArn)
	if err != nil {
		return nil, err
	}
	if p == nil || in.VersionID != p.DefaultVersionID {
		return nil, errorf(iamapi.ErrCodeNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", in.PolicyArn, in.VersionID)
	}
	return &iamapi.GetPolicyVersionOutput{PolicyVersion: iamapi.PolicyVersion{
		Document: iamapi.PolicyDocument(p.Document), VersionID: p.DefaultVersionID, IsDefaultVersion: true,
		CreateDate: iamapi.Timestamp(p.CreationDate),
	}}, nil
}

// ListPolicies lists managed policies: the account's, AWS's or both.
func (s *Service) ListPolicies(ctx context.Context, c *Caller, in *iamapi.ListPoliciesInput) (*iamapi.ListPoliciesOutput, error) {
	account := c.Principal.Account
	if err := s.authorize(ctx, c, "iam:ListPolicies", keyhold.ManagedPolicyARN(account, "/", ""), nil); err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Paging)
	if err != nil {
		return nil, err
	}
	f := keyhold.ManagedPolicyFilter{PathPrefix: pathOr(in.PathPrefix), OnlyAttached: in.OnlyAttached, After: after, Limit: maxItems(in.Paging) + 1}
	switch {
	case in.Scope == nil || *in.Scope == "All":
		f.Accounts = []string{account, keyhold.AWSAccount}
	case *in.Scope == "AWS":
		f.Accounts = []string{keyhold.AWSAccount}
	default:
		f.Accounts = []string{account}
	}
	out := &iamapi.ListPoliciesOutput{Policies: []iamapi.Policy{}}
	if in.PolicyUsageFilter != nil && *in.PolicyUsageFilter == "PermissionsBoundary" {
		return out, nil // keyhold has no permissions boundaries
	}
	ps, err := s.store.ListManagedPolicies(ctx, f)
	if err != nil {
		return nil, internal(err)
	}
	n, pg := cut(len(ps), f.Limit-1, func(i int) string { return ps[i].ARN })
	out.Page = pg
	for _, p := range ps[:n] {
		out.Policies = append(out.Policies, wirePolicy(p, false))
	}
	return out, nil
}

// DeletePolicy deletes a customer managed policy that is not attached.
func (s *Service) DeletePolicy(ctx context.Context, c *Caller, in *iamapi.DeletePolicyInput) error {
	if err := parsePolicyARN(c, in.PolicyArn); err != nil {
		return err
	}
	if err := s.authorize(ctx, c, "iam:DeletePolicy", in.PolicyArn, nil); err != nil {
		return err
	}
	p, err := s.getPolicy(ctx, c, in.PolicyArn)
	if err != nil {
		return err
	}
	if p == nil {
		return errorf(iamapi.ErrCodeNoSuchEntity, "Policy %s was not found.", in.PolicyArn)
	}
	if p.Account == keyhold.AWSAccount {
		return errorf(iamapi.ErrCodeInvalidInput, "Cannot delete the AWS managed policy %s.", in.PolicyArn)
	}
	err = s.store.DeleteManagedPolicy(ctx, p.ARN)
	switch {
	case errors.Is(err, keyhold.ErrConflict):
		return keyhold.NewError(iamapi.ErrCodeDeleteConflict, "Cannot delete a policy attached to entities.")
	case errors.Is(err, keyhold.ErrNotFound):
		return errorf(iamapi.ErrCodeNoSuchEntity, "Policy %s was not found.", in.PolicyArn)
	case err != nil:
		return internal(err)
	}
	s.changed()
	return nil
}

// AttachEntityPolicy attaches a managed policy to a user or role.
func (s *Service) AttachEntityPolicy(ctx context.Context, c *Caller, in *iamapi.AttachEntityPolicyInput) error {
	entity := entityType(in.Entity)
	if err := parsePolicyARN(c, in.PolicyArn); err != nil {
		return err
	}
	account, name, err := s.authorizeEntity(ctx, c, entity, "iam:Attach"+in.Entity+"Policy", in.EntityName,
		func(pc policy.Context) { pc.Set("iam:PolicyARN", in.PolicyArn) })
	if err != nil {
		return err
	}
	p, err := s.getPolicy(ctx, c, in.PolicyArn)
	if err != nil {
		return err
	}
	if p == nil {
		return errorf(iamapi.ErrCodeNoSuchEntity, "Policy %s does not exist or is not attachable.", in.PolicyArn)
	}
	attached, err := s.store.ListAttachedPolicies(ctx, account, entity, name)
	if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return internal(err)
	}
	already := false
	for _, a := range attached {
		already = already || a.ARN == p.ARN
	}
	if !already && len(attached) >= maxAttachedPerEntity {
		return errorf(iamapi.ErrCodeLimitExceeded, "Cannot exceed quota for PoliciesPer%s: %d", wireEntity(entity), maxAttachedPerEntity)
	}
	err = s.store.AttachPolicy(ctx, account, entity, name, p.ARN)
	if errors.Is(err, keyhold.ErrNotFound) {
		// The entity or the policy went away meanwhile.
		return errorf(iamapi.ErrCodeNoSuchEntity, "Policy %s does not exist or is not attachable.", in.PolicyArn)
	}
	if err != nil {
		return internal(err)
	}
	s.changed()
	return nil
}

// DetachEntityPolicy detaches a managed policy from a user or role.
func (s *Service) DetachEntityPolicy(ctx context.Context, c *Caller, in *iamapi.DetachEntityPolicyInput) error {
	entity := entityType(in.Entity)
	if err := parsePolicyARN(c, in.PolicyArn); err != nil {
		return err
	}
	account, name, err := s.authorizeEntity(ctx, c, entity, "iam:Detach"+in.Entity+"Policy", in.EntityName,
		func(pc policy.Context) { pc.Set("iam:PolicyARN", in.PolicyArn) })
	if err != nil {
		return err
	}
	err = s.store.DetachPolicy(ctx, account, entity, name, in.PolicyArn)
	if errors.Is(err, keyhold.ErrNotFound) {
		return errorf(iamapi.ErrCodeNoSuchEntity, "Policy %s was not found.", in.PolicyArn)
	}
	if err != nil {
		return internal(err)
	}
	s.changed()
	return nil
}

// ListAttachedEntityPolicies lists the managed policies attached to a user
// or role.
func (s *Service) ListAttachedEntityPolicies(ctx context.Context, c *Caller, in *iamapi.ListAttachedEntityPoliciesInput) (*iamapi.ListAttachedPoliciesOutput, error) {
	entity := entityType(in.Entity)
	account, name, err := s.authorizeEntity(ctx, c, entity, "iam:ListAttached"+in.Entity+"Policies", in.EntityName, nil)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ListAttachedPolicies(ctx, account, entity, name)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, noSuchEntity(entity, in.EntityName)
	}
	if err != nil {
		return nil, internal(err)
	}
	prefix := pathOr(in.PathPrefix)
	var kept []*keyhold.ManagedPolicy
	for _, p := range ps {
		if strings.HasPrefix(p.Path, prefix) {
			kept = append(kept, p)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].ARN < kept[j].ARN })
	after, err := decodeMarker(in.Paging)
	if err != nil {
		return nil, err
	}
	start, end, pg := page(len(kept), func(i int) string { return kept[i].ARN }, after, maxItems(in.Paging))
	out := &iamapi.ListAttachedPoliciesOutput{AttachedPolicies: []iamapi.AttachedPolicy{}, Page: pg}
	for _, p := range kept[start:end] {
		out.AttachedPolicies = append(out.AttachedPolicies, iamapi.AttachedPolicy{PolicyName: p.Name, PolicyArn: p.ARN})
	}
	return out, nil
}
