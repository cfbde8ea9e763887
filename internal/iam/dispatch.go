package iam

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
)

// Dispatch runs the operation of a decoded, validated input and returns its
// output (an iamapi output type, or nil for operations without one).
// Errors are *keyhold.Error with IAM's and STS's codes for anything the
// caller did wrong; anything else is internal.
func (s *Service) Dispatch(ctx context.Context, c *Caller, in iamapi.Input) (any, error) {
	switch in := in.(type) {
	case *iamapi.CreateUserInput:
		return s.CreateUser(ctx, c, in)
	case *iamapi.GetUserInput:
		return s.GetUser(ctx, c, in)
	case *iamapi.ListUsersInput:
		return s.ListUsers(ctx, c, in)
	case *iamapi.DeleteUserInput:
		return nil, s.DeleteUser(ctx, c, in)
	case *iamapi.TagUserInput:
		return nil, s.tagEntity(ctx, c, keyhold.EntityUser, in.UserName, in.Tags)
	case *iamapi.UntagUserInput:
		return nil, s.untagEntity(ctx, c, keyhold.EntityUser, in.UserName, in.TagKeys)
	case *iamapi.ListUserTagsInput:
		return s.listEntityTags(ctx, c, keyhold.EntityUser, in.UserName, in.Paging)
	case *iamapi.CreateAccessKeyInput:
		return s.CreateAccessKey(ctx, c, in)
	case *iamapi.ListAccessKeysInput:
		return s.ListAccessKeys(ctx, c, in)
	case *iamapi.UpdateAccessKeyInput:
		return nil, s.UpdateAccessKey(ctx, c, in)
	case *iamapi.DeleteAccessKeyInput:
		return nil, s.DeleteAccessKey(ctx, c, in)
	case *iamapi.GetAccessKeyLastUsedInput:
		return s.GetAccessKeyLastUsed(ctx, c, in)
	case *iamapi.PutEntityPolicyInput:
		return nil, s.PutEntityPolicy(ctx, c, in)
	case *iamapi.GetEntityPolicyInput:
		return s.GetEntityPolicy(ctx, c, in)
	case *iamapi.ListEntityPoliciesInput:
		return s.ListEntityPolicies(ctx, c, in)
	case *iamapi.DeleteEntityPolicyInput:
		return nil, s.DeleteEntityPolicy(ctx, c, in)
	case *iamapi.CreateRoleInput:
		return s.CreateRole(ctx, c, in)
	case *iamapi.GetRoleInput:
		return s.GetRole(ctx, c, in)
	case *iamapi.ListRolesInput:
		return s.ListRoles(ctx, c, in)
	case *iamapi.DeleteRoleInput:
		return nil, s.DeleteRole(ctx, c, in)
	case *iamapi.UpdateAssumeRolePolicyInput:
		return nil, s.UpdateAssumeRolePolicy(ctx, c, in)
	case *iamapi.TagRoleInput:
		return nil, s.tagEntity(ctx, c, keyhold.EntityRole, in.RoleName, in.Tags)
	case *iamapi.UntagRoleInput:
		return nil, s.untagEntity(ctx, c, keyhold.EntityRole, in.RoleName, in.TagKeys)
	case *iamapi.ListRoleTagsInput:
		return s.listEntityTags(ctx, c, keyhold.EntityRole, in.RoleName, in.Paging)
	case *iamapi.CreatePolicyInput:
		return s.CreatePolicy(ctx, c, in)
	case *iamapi.GetPolicyInput:
		return s.GetPolicy(ctx, c, in)
	case *iamapi.GetPolicyVersionInput:
		return s.GetPolicyVersion(ctx, c, in)
	case *iamapi.ListPoliciesInput:
		return s.ListPolicies(ctx, c, in)
	case *iamapi.DeletePolicyInput:
		return nil, s.DeletePolicy(ctx, c, in)
	case *iamapi.AttachEntityPolicyInput:
		return nil, s.AttachEntityPolicy(ctx, c, in)
	case *iamapi.DetachEntityPolicyInput:
		return nil, s.DetachEntityPolicy(ctx, c, in)
	case *iamapi.ListAttachedEntityPoliciesInput:
		return s.ListAttachedEntityPolicies(ctx, c, in)
	case *iamapi.GetCallerIdentityInput:
		return s.GetCallerIdentity(ctx, c)
	case *iamapi.AssumeRoleInput:
		return s.AssumeRole(ctx, c, in)
	case *iamapi.CreateAccountInput:
		name := ""
		if in.AccountName != nil {
			name = *in.AccountName
		}
		a, err := s.CreateAccount(ctx, c, in.AccountID, name)
		if err != nil {
			return nil, err
		}
		return &iamapi.CreateAccountOutput{
			Account: wireAccount(a.Account), User: wireUser(a.User, false),
			AccessKey: iamapi.AccessKey{UserName: a.User.Name, AccessKeyID: a.AccessKeyID, Status: keyhold.AccessKeyActive,
				SecretAccessKey: a.SecretAccessKey, CreateDate: iamapi.Timestamp(a.User.CreationDate)},
		}, nil
	case *iamapi.ListAccountsInput:
		as, err := s.ListAccounts(ctx, c)
		if err != nil {
			return nil, err
		}
		out := &iamapi.ListAccountsOutput{Accounts: []iamapi.AccountInfo{}}
		for _, a := range as {
			out.Accounts = append(out.Accounts, wireAccount(a))
		}
		return out, nil
	}
	return nil, keyhold.Errorf(iamapi.ErrCodeInvalidAction, "%s is not supported by keyhold.", in.OperationName())
}

func wireAccount(a *keyhold.Account) iamapi.AccountInfo {
	return iamapi.AccountInfo{AccountID: a.ID, AccountName: a.Name, CreateDate: iamapi.Timestamp(a.CreationDate)}
}

// entityType maps the wire's "User"/"Role" to the store's entity types.
func entityType(wire string) string {
	if wire == iamapi.EntityRole {
		return keyhold.EntityRole
	}
	return keyhold.EntityUser
}

// wireEntity is the inverse of entityType: "User" or "Role".
func wireEntity(entity string) string {
	if entity == keyhold.EntityRole {
		return iamapi.EntityRole
	}
	return iamapi.EntityUser
}

// Pagination. Markers are opaque to clients: base64url of the sort key of
// the last item returned.

const defaultMaxItems = 100

func maxItems(p iamapi.Paging) int {
	if p.MaxItems == nil {
		return defaultMaxItems
	}
	return *p.MaxItems
}

var errBadMarker = keyhold.NewError(iamapi.ErrCodeValidationError,
	"The Marker is not valid: pass the Marker of an earlier response unchanged.")

func decodeMarker(p iamapi.Paging) (string, error) {
	if p.Marker == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*p.Marker)
	if err != nil || len(b) == 0 {
		return "", errBadMarker
	}
	return string(b), nil
}

func encodeMarker(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// page cuts a sorted list of n items after the item whose key is after,
// to at most limit items, and returns the bounds and the response Page.
func page(n int, key func(i int) string, after string, limit int) (start, end int, pg iamapi.Page) {
	for start < n && after != "" && key(start) <= after {
		start++
	}
	end = start + limit
	if end >= n {
		return start, n, iamapi.Page{}
	}
	return start, end, iamapi.Page{IsTruncated: true, Marker: encodeMarker(key(end - 1))}
}

// cut pages a list the store returned with one item more than limit (so
// the answer knows whether more follow): the number of items to answer,
// and the response Page, whose Marker is the key of the last one.
func cut(n, limit int, key func(i int) string) (int, iamapi.Page) {
	if n <= limit {
		return n, iamapi.Page{}
	}
	return limit, iamapi.Page{IsTruncated: true, Marker: encodeMarker(key(limit - 1))}
}

// foldName folds ASCII case, as IAM compares names.
func foldName(s string) string { return strings.ToLower(s) }
