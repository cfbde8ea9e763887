package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// AdminUserName is the user every account gets when it is created, with
// AdministratorAccess attached.
const AdminUserName = "keyhold-admin"

// AccountAdmin is a new account's admin user and its first access key. The
// secret exists only here: it is shown once.
type AccountAdmin struct {
	Account         *keyhold.Account
	User            *keyhold.User
	AccessKeyID     string
	SecretAccessKey string
}

// EnsureAccount creates the account if it does not exist yet and reports
// whether it did.
func (s *Service) EnsureAccount(ctx context.Context, id, name string) (bool, error) {
	if !keyhold.IsAccountID(id) {
		return false, fmt.Errorf("iam: %q is not a 12-digit account id", id)
	}
	_, err := s.store.GetAccount(ctx, id)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, keyhold.ErrNotFound) {
		return false, internal(err)
	}
	err = s.store.CreateAccount(ctx, &keyhold.Account{ID: id, Name: name, CreationDate: s.now().UTC()})
	if errors.Is(err, keyhold.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, internal(err)
	}
	return true, nil
}

// Bootstrap prepares the management account at server start. On first
// start it creates the account and its admin user (AdministratorAccess)
// with an access key, and returns them; later it returns nil. A data
// directory from before users existed has the admin's access key but no
// user record: Bootstrap creates the record, so that key keeps working.
func (s *Service) Bootstrap(ctx context.Context, account string) (*AccountAdmin, error) {
	created, err := s.EnsureAccount(ctx, account, "management")
	if err != nil {
		return nil, err
	}
	if created {
		return s.createAdmin(ctx, account)
	}
	u, err := s.ensureAdminUser(ctx, account)
	if err != nil {
		return nil, err
	}
	if u != nil {
		s.log.Info("created the user record of the first-start admin", "account", account, "user", u.ARN)
	}
	return nil, nil
}

// ensureAdminUser creates the admin user record (with AdministratorAccess)
// if access keys name it but it does not exist. It returns the user it
// created, or nil.
func (s *Service) ensureAdminUser(ctx context.Context, account string) (*keyhold.User, error) {
	if _, err := s.store.GetUser(ctx, account, AdminUserName); err == nil {
		return nil, nil
	} else if !errors.Is(err, keyhold.ErrNotFound) {
		return nil, internal(err)
	}
	keys, err := s.store.ListAccessKeys(ctx, account, AdminUserName)
	if err != nil {
		return nil, internal(err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	u, err := s.createAdminUser(ctx, account)
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) createAdminUser(ctx context.Context, account string) (*keyhold.User, error) {
	u := &keyhold.User{
		ARN: keyhold.UserARN(account, "/", AdminUserName), ID: newID("AIDA", 17), Account: account,
		Name: AdminUserName, Path: "/", CreationDate: s.now().UTC(),
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, internal(err)
	}
	if err := s.store.AttachPolicy(ctx, account, keyhold.EntityUser, AdminUserName, AdministratorAccess); err != nil {
		return nil, internal(err)
	}
	s.changed()
	return u, nil
}

func (s *Service) createAdmin(ctx context.Context, account string) (*AccountAdmin, error) {
	u, err := s.createAdminUser(ctx, account)
	if err != nil {
		return nil, err
	}
	ak, secret, err := s.newAccessKey(ctx, u)
	if err != nil {
		return nil, err
	}
	a, err := s.store.GetAccount(ctx, account)
	if err != nil {
		return nil, internal(err)
	}
	return &AccountAdmin{Account: a, User: u, AccessKeyID: ak.ID, SecretAccessKey: secret}, nil
}

// CreateAccount creates another account with its admin user and access
// key. Only principals of the management account may, with an identity
// policy allowing keyhold:CreateAccount (the first-start admin has one).
func (s *Service) CreateAccount(ctx context.Context, c *Caller, id, name string) (*AccountAdmin, error) {
	if err := s.authorizeManagement(ctx, c, "keyhold:CreateAccount", "arn:aws:keyhold::"+id+":account"); err != nil {
		return nil, err
	}
	if !keyhold.IsAccountID(id) {
		return nil, errorf(iamapi.ErrCodeValidationError, "The account id %q is not 12 digits.", id)
	}
	err := s.store.CreateAccount(ctx, &keyhold.Account{ID: id, Name: name, CreationDate: s.now().UTC()})
	if errors.Is(err, keyhold.ErrConflict) {
		return nil, errorf(iamapi.ErrCodeEntityAlreadyExists, "Account %s already exists.", id)
	}
	if err != nil {
		return nil, internal(err)
	}
	return s.createAdmin(ctx, id)
}

// ListAccounts lists every account, for principals of the management
// account allowed keyhold:ListAccounts.
func (s *Service) ListAccounts(ctx context.Context, c *Caller) ([]*keyhold.Account, error) {
	if err := s.authorizeManagement(ctx, c, "keyhold:ListAccounts", "arn:aws:keyhold::"+c.Principal.Account+":account"); err != nil {
		return nil, err
	}
	as, err := s.store.ListAccounts(ctx)
	if err != nil {
		return nil, internal(err)
	}
	return as, nil
}

func (s *Service) authorizeManagement(ctx context.Context, c *Caller, action, resource string) error {
	if s.management == "" || c.Principal.Account != s.management {
		return accessDenied(c.Principal, action, resource, "because only principals of the management account may manage accounts")
	}
	rc := RequestContext(c, s.now())
	// The root of the management account manages every account.
	if c.Principal.Type == keyhold.PrincipalAccount {
		return nil
	}
	d, err := s.EvaluateIdentity(ctx, c.Principal, &policy.Request{Action: action, Resource: resource, Context: rc})
	if err != nil {
		return err
	}
	if d.Decision != policy.Allowed {
		return accessDenied(c.Principal, action, resource, d.Reason)
	}
	return nil
}
