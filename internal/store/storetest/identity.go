package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/keyhold/keyhold"
)

// RunIdentity runs the conformance tests of keyhold.IdentityStore beyond
// the accounts and access keys that Run covers: users, roles, access key
// ownership and use, sessions, inline and managed policies and their
// attachments.
//
// What it pins down beyond the interface's words:
//
//   - Names of users, roles and managed policies are case-insensitive for
//     uniqueness and lookup (ASCII), and keep their case when read back.
//   - Lists sort by the lower-cased name in byte order (policies by ARN);
//     a path prefix is a plain byte prefix: "%" and "_" are not wildcards.
//   - The referential rules hold inside one transaction: deleting a user
//     with access keys or policies, a role with policies, or an attached
//     managed policy is ErrConflict and changes nothing.
func RunIdentity(t *testing.T, f Factory) {
	if f.New == nil || f.Reopen == nil {
		t.Fatal("storetest: Factory needs New and Reopen")
	}
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"AccountNameAndList", testAccountNameAndList},
		{"Users", testUsers},
		{"ListUsers", testListUsers},
		{"EntityTags", testEntityTags},
		{"DeleteUserConflicts", testDeleteUserConflicts},
		{"Roles", testRoles},
		{"DeleteRoleConflicts", testDeleteRoleConflicts},
		{"AccessKeyOwnership", testAccessKeyOwnership},
		{"Sessions", testSessions},
		{"InlinePolicies", testInlinePolicies},
		{"ManagedPolicies", testManagedPolicies},
		{"ListManagedPolicies", testListManagedPolicies},
		{"Attachments", testAttachments},
		{"IdentityReopen", testIdentityReopen},
		{"ConcurrentCreateUser", testConcurrentCreateUser},
		{"ConcurrentTagUpdates", testConcurrentTagUpdates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, f)
		})
	}
}

func newUser(account, path, name string) *keyhold.User {
	return &keyhold.User{
		ARN:          keyhold.UserARN(account, path, name),
		ID:           "AIDA" + fmt.Sprintf("%017X", fnv(account+name)),
		Account:      account,
		Name:         name,
		Path:         path,
		CreationDate: at(1),
		Tags:         []keyhold.Tag{{Key: "team", Value: "pay—ments"}, {Key: "Cost Center", Value: ""}},
	}
}

func newRole(account, path, name string) *keyhold.Role {
	return &keyhold.Role{
		ARN:                keyhold.RoleARN(account, path, name),
		ID:                 "AROA" + fmt.Sprintf("%017X", fnv(account+name)),
		Account:            account,
		Name:               name,
		Path:               path,
		Description:        "role " + name + " — ünïcödé",
		AssumeRolePolicy:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + account + `"},"Action":"sts:AssumeRole"}]}`,
		MaxSessionDuration: 7200,
		CreationDate:       at(2),
		Tags:               []keyhold.Tag{{Key: "env", Value: "prod"}},
	}
}

func newManagedPolicy(account, path, name string) *keyhold.ManagedPolicy {
	return &keyhold.ManagedPolicy{
		ARN:              keyhold.ManagedPolicyARN(account, path, name),
		ID:               "ANPA" + fmt.Sprintf("%017X", fnv(account+path+name)),
		Account:          account,
		Name:             name,
		Path:             path,
		Description:      "policy " + name,
		Document:         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`,
		DefaultVersionID: "v1",
		CreationDate:     at(3),
		UpdateDate:       at(4),
		Tags:             []keyhold.Tag{{Key: "k", Value: "v"}},
	}
}

// fnv is FNV-1a, to make distinct ids from names.
func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h & (1<<64 - 1)
}

func mustCreateUser(t *testing.T, s keyhold.Store, u *keyhold.User) {
	t.Helper()
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", u.Name, err)
	}
}

func mustCreateRole(t *testing.T, s keyhold.Store, r *keyhold.Role) {
	t.Helper()
	if err := s.CreateRole(context.Background(), r); err != nil {
		t.Fatalf("CreateRole(%s): %v", r.Name, err)
	}
}

func mustCreateManagedPolicy(t *testing.T, s keyhold.Store, p *keyhold.ManagedPolicy) {
	t.Helper()
	if err := s.CreateManagedPolicy(context.Background(), p); err != nil {
		t.Fatalf("CreateManagedPolicy(%s): %v", p.ARN, err)
	}
}

func testAccountNameAndList(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	if got, err := s.ListAccounts(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ListAccounts of an empty store = %v, %v", got, err)
	}
	accounts := []*keyhold.Account{
		{ID: account2, Name: "Second — ünïcödé", CreationDate: at(1)},
		{ID: account1, Name: "management", CreationDate: at(0)},
		{ID: "000000000001", CreationDate: at(2)},
	}
	for _, a := range accounts {
		if err := s.CreateAccount(ctx, a); err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
	}
	got, err := s.GetAccount(ctx, account2)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(accounts[0], got); d != "" {
		t.Errorf("GetAccount (-want +got):\n%s", d)
	}
	list, err := s.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []*keyhold.Account{accounts[2], accounts[1], accounts[0]}
	if d := diff(want, list); d != "" {
		t.Errorf("ListAccounts (-want +got):\n%s", d)
	}
}

func testUsers(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	alice := newUser(account1, "/division/team/", "Alice")
	mustCreateUser(t, s, alice)

	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got, err := s.GetUser(ctx, account1, name)
		if err != nil {
			t.Fatalf("GetUser(%s): %v", name, err)
		}
		if d := diff(alice, got); d != "" {
			t.Errorf("GetUser(%s) (-want +got):\n%s", name, d)
		}
	}
	missing := []struct{ account, name string }{
		{account1, "alic"}, {account1, "Alice "}, {account2, "Alice"}, {account1, "bob"},
	}
	for _, m := range missing {
		if u, err := s.GetUser(ctx, m.account, m.name); !errors.Is(err, keyhold.ErrNotFound) {
			t.Errorf("GetUser(%s, %q) = %+v, %v; want ErrNotFound", m.account, m.name, u, err)
		}
	}

	conflicts := []struct {
		name string
		u    *keyhold.User
	}{
		{"same name", newUser(account1, "/", "Alice")},
		{"name differing in case", newUser(account1, "/other/", "aLiCe")},
		{"same id", func() *keyhold.User { u := newUser(account1, "/", "carol"); u.ID = alice.ID; return u }()},
	}
	for _, c := range conflicts {
		if err := s.CreateUser(ctx, c.u); !errors.Is(err, keyhold.ErrConflict) {
			t.Errorf("CreateUser (%s): %v, want ErrConflict", c.name, err)
		}
	}
	if got, _ := s.GetUser(ctx, account1, "alice"); got == nil || got.Path != alice.Path {
		t.Errorf("a refused CreateUser changed the user: %+v", got)
	}
	// The same name in another account is another user; nil tags are fine.
	other := newUser(account2, "/", "alice")
	other.Tags = nil
	mustCreateUser(t, s, other)
	if got, err := s.GetUser(ctx, account2, "ALICE"); err != nil || diff(other, got) != "" {
		t.Errorf("GetUser in account2 = %+v, %v", got, err)
	}

	// Delete, then the name is free again.
	if err := s.DeleteUser(ctx, account1, "ALICE"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := s.GetUser(ctx, account1, "Alice"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetUser after DeleteUser: %v", err)
	}
	if err := s.DeleteUser(ctx, account1, "Alice"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("second DeleteUser: %v, want ErrNotFound", err)
	}
	if _, err := s.GetUser(ctx, account2, "alice"); err != nil {
		t.Errorf("deleting account1's alice removed account2's: %v", err)
	}
	mustCreateUser(t, s, newUser(account1, "/", "alice"))
}

// listNames are user and role names in the order the lists must give them:
// by lower-cased name, byte order.
var listNames = []string{"+plus", "0zero", "Alpha", "beta", "Gamma", "z_", "z__", "zz"}

func testListUsers(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	paths := map[string]string{
		"+plus": "/", "0zero": "/a%/", "Alpha": "/a/b/", "beta": "/a/", "Gamma": "/ab/", "z_": "/a_/", "z__": "/", "zz": "/a/b/c/",
	}
	for _, i := range []int{4, 1, 7, 0, 6, 2, 5, 3} {
		mustCreateUser(t, s, newUser(account1, paths[listNames[i]], listNames[i]))
	}
	mustCreateUser(t, s, newUser(account2, "/a/", "aardvark"))

	names := func(us []*keyhold.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Name)
		}
		return out
	}
	tests := []struct {
		name          string
		prefix, after string
		limit         int
		want          []string
	}{
		{"all", "/", "", 100, listNames},
		{"empty prefix is all", "", "", 100, listNames},
		{"limit", "/", "", 3, listNames[:3]},
		{"after", "/", "alpha", 100, listNames[3:]},
		{"after is case-insensitive", "/", "ALPHA", 100, listNames[3:]},
		{"after a name that is not stored", "/", "b", 2, []string{"beta", "Gamma"}},
		{"prefix /a/", "/a/", "", 100, []string{"Alpha", "beta", "zz"}},
		{"prefix /a is a byte prefix", "/a", "", 100, []string{"0zero", "Alpha", "beta", "Gamma", "z_", "zz"}},
		{"percent is no wildcard", "/a%", "", 100, []string{"0zero"}},
		{"underscore is no wildcard", "/a_", "", 100, []string{"z_"}},
		{"prefix and after", "/a/", "beta", 100, []string{"zz"}},
		{"no match", "/nope/", "", 100, nil},
	}
	for _, tt := range tests {
		got, err := s.ListUsers(ctx, account1, tt.prefix, tt.after, tt.limit)
		if err != nil {
			t.Errorf("%s: ListUsers: %v", tt.name, err)
			continue
		}
		if d := diff(tt.want, names(got)); d != "" {
			t.Errorf("%s: ListUsers (-want +got):\n%s", tt.name, d)
		}
	}
	if got, err := s.ListUsers(ctx, account1, "/", "", 100); err == nil {
		for _, u := range got {
			if d := diff(newUser(account1, paths[u.Name], u.Name), u); d != "" {
				t.Errorf("ListUsers record %s (-want +got):\n%s", u.Name, d)
			}
		}
	}
	if _, err := s.ListUsers(ctx, account1, "/", "", 0); err == nil {
		t.Error("ListUsers with limit 0 succeeded")
	}
	// Pages join up at every page size.
	for limit := 1; limit <= len(listNames)+1; limit++ {
		var got []string
		after := ""
		for pages := 0; pages <= len(listNames)+1; pages++ {
			us, err := s.ListUsers(ctx, account1, "/", after, limit)
			if err != nil {
				t.Fatalf("limit %d: %v", limit, err)
			}
			got = append(got, names(us)...)
			if len(us) < limit {
				break
			}
			after = us[len(us)-1].Name
		}
		if !slices.Equal(got, listNames) {
			t.Errorf("limit %d: pages joined = %q", limit, got)
		}
	}
	// Roles list the same way.
	for _, n := range listNames {
		mustCreateRole(t, s, newRole(account1, paths[n], n))
	}
	rs, err := s.ListRoles(ctx, account1, "/a/", "alpha", 100)
	if err != nil {
		t.Fatal(err)
	}
	var rn []string
	for _, r := range rs {
		rn = append(rn, r.Name)
	}
	if d := diff([]string{"beta", "zz"}, rn); d != "" {
		t.Errorf("ListRoles (-want +got):\n%s", d)
	}
	if _, err := s.ListRoles(ctx, account1, "/", "", -1); err == nil {
		t.Error("ListRoles with limit -1 succeeded")
	}
}

func testEntityTags(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	u := newUser(account1, "/", "alice")
	r := newRole(account1, "/", "app")
	mustCreateUser(t, s, u)
	mustCreateRole(t, s, r)
	type entity struct {
		name   string
		update func(name string, old, tags []keyhold.Tag) error
		get    func(name string) ([]keyhold.Tag, error)
		orig   []keyhold.Tag
		stored string
	}
	entities := []entity{
		{"user", func(n string, o, tg []keyhold.Tag) error { return s.UpdateUserTags(ctx, account1, n, o, tg) },
			func(n string) ([]keyhold.Tag, error) {
				u, err := s.GetUser(ctx, account1, n)
				if err != nil {
					return nil, err
				}
				return u.Tags, nil
			}, u.Tags, "alice"},
		{"role", func(n string, o, tg []keyhold.Tag) error { return s.UpdateRoleTags(ctx, account1, n, o, tg) },
			func(n string) ([]keyhold.Tag, error) {
				r, err := s.GetRole(ctx, account1, n)
				if err != nil {
					return nil, err
				}
				return r.Tags, nil
			}, r.Tags, "app"},
	}
	for _, e := range entities {
		t.Run(e.name, func(t *testing.T) {
			next := []keyhold.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "ünï"}}
			if err := e.update(e.stored, e.orig, next); err != nil {
				t.Fatalf("update: %v", err)
			}
			got, err := e.get(e.stored)
			if err != nil || diff(next, got) != "" {
				t.Fatalf("tags after update = %v, %v; want %v", got, err, next)
			}
			// A stale old set is a conflict and changes nothing.
			if err := e.update(e.stored, e.orig, nil); !errors.Is(err, keyhold.ErrConflict) {
				t.Errorf("update from stale tags: %v, want ErrConflict", err)
			}
			if got, _ := e.get(e.stored); diff(next, got) != "" {
				t.Errorf("a refused update changed the tags to %v", got)
			}
			// Removing every tag; the name matches without case.
			if err := e.update(upper(e.stored), next, nil); err != nil {
				t.Fatalf("update to no tags: %v", err)
			}
			if got, _ := e.get(e.stored); len(got) != 0 {
				t.Errorf("tags = %v, want none", got)
			}
			if err := e.update(e.stored, []keyhold.Tag{}, []keyhold.Tag{{Key: "x", Value: "y"}}); err != nil {
				t.Errorf("update from an empty (not nil) old: %v", err)
			}
			if err := e.update("nobody", nil, nil); !errors.Is(err, keyhold.ErrNotFound) {
				t.Errorf("update of a missing entity: %v, want ErrNotFound", err)
			}
		})
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func newUserKey(id, account, user string) *keyhold.AccessKey {
	ak := newAccessKey(id, account)
	ak.UserName = user
	ak.PrincipalARN = keyhold.UserARN(account, "/", user)
	return ak
}

func testDeleteUserConflicts(t *testing.T, f Factory) {
	ctx := context.Background()
	deps := []struct {
		name   string
		add    func(s keyhold.Store) error
		remove func(s keyhold.Store) error
	}{
		{"access key",
			func(s keyhold.Store) error {
				return s.CreateAccessKey(ctx, newUserKey("AKIAIOSFODNN7EXAMPLE", account1, "alice"))
			},
			func(s keyhold.Store) error { return s.DeleteAccessKey(ctx, "AKIAIOSFODNN7EXAMPLE") }},
		{"inline policy",
			func(s keyhold.Store) error {
				return s.PutInlinePolicy(ctx, &keyhold.InlinePolicy{Account: account1, EntityType: keyhold.EntityUser, EntityName: "ALICE", Name: "p", Document: "{}"})
			},
			func(s keyhold.Store) error {
				return s.DeleteInlinePolicy(ctx, account1, keyhold.EntityUser, "alice", "p")
			}},
		{"attached policy",
			func(s keyhold.Store) error {
				return s.AttachPolicy(ctx, account1, keyhold.EntityUser, "Alice", newManagedPolicy(account1, "/", "pol").ARN)
			},
			func(s keyhold.Store) error {
				return s.DetachPolicy(ctx, account1, keyhold.EntityUser, "alice", newManagedPolicy(account1, "/", "pol").ARN)
			}},
	}
	for _, d := range deps {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := f.New(t)
			mustCreateUser(t, s, newUser(account1, "/", "Alice"))
			mustCreateManagedPolicy(t, s, newManagedPolicy(account1, "/", "pol"))
			if err := d.add(s); err != nil {
				t.Fatalf("adding the %s: %v", d.name, err)
			}
			if err := s.DeleteUser(ctx, account1, "alice"); !errors.Is(err, keyhold.ErrConflict) {
				t.Fatalf("DeleteUser with an %s: %v, want ErrConflict", d.name, err)
			}
			if _, err := s.GetUser(ctx, account1, "alice"); err != nil {
				t.Fatalf("a refused DeleteUser removed the user: %v", err)
			}
			if err := d.remove(s); err != nil {
				t.Fatalf("removing the %s: %v", d.name, err)
			}
			if err := s.DeleteUser(ctx, account1, "alice"); err != nil {
				t.Fatalf("DeleteUser after removing the %s: %v", d.name, err)
			}
		})
	}
}

func testRoles(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	r := newRole(account1, "/service-role/", "App")
	mustCreateRole(t, s, r)
	got, err := s.GetRole(ctx, account1, "app")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(r, got); d != "" {
		t.Errorf("GetRole (-want +got):\n%s", d)
	}
	if err := s.CreateRole(ctx, newRole(account1, "/", "APP")); !errors.Is(err, keyhold.ErrConflict) {
		t.Errorf("CreateRole with a name differing in case: %v, want ErrConflict", err)
	}
	// A user and a role may share a name.
	mustCreateUser(t, s, newUser(account1, "/", "app"))
	if _, err := s.GetRole(ctx, account2, "App"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetRole in another account: %v", err)
	}

	const trust = `{"Version":"2012-10-17","Statement":[]}`
	if err := s.UpdateAssumeRolePolicy(ctx, account1, "APP", trust); err != nil {
		t.Fatalf("UpdateAssumeRolePolicy: %v", err)
	}
	got, _ = s.GetRole(ctx, account1, "App")
	want := *r
	want.AssumeRolePolicy = trust
	if d := diff(&want, got); d != "" {
		t.Errorf("after UpdateAssumeRolePolicy (-want +got):\n%s", d)
	}
	if err := s.UpdateAssumeRolePolicy(ctx, account1, "nope", trust); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("UpdateAssumeRolePolicy of a missing role: %v", err)
	}
	if err := s.DeleteRole(ctx, account1, "app"); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	if _, err := s.GetRole(ctx, account1, "App"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetRole after DeleteRole: %v", err)
	}
	if err := s.DeleteRole(ctx, account1, "app"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("second DeleteRole: %v", err)
	}
	if _, err := s.GetUser(ctx, account1, "app"); err != nil {
		t.Errorf("DeleteRole removed the user of the same name: %v", err)
	}
}

func testDeleteRoleConflicts(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	mustCreateRole(t, s, newRole(account1, "/", "app"))
	p := newManagedPolicy(account1, "/", "pol")
	mustCreateManagedPolicy(t, s, p)
	if err := s.PutInlinePolicy(ctx, &keyhold.InlinePolicy{Account: account1, EntityType: keyhold.EntityRole, EntityName: "app", Name: "inline", Document: "{}"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AttachPolicy(ctx, account1, keyhold.EntityRole, "app", p.ARN); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, account1, "app"); !errors.Is(err, keyhold.ErrConflict) {
		t.Fatalf("DeleteRole with policies: %v, want ErrConflict", err)
	}
	if err := s.DeleteInlinePolicy(ctx, account1, keyhold.EntityRole, "app", "inline"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, account1, "app"); !errors.Is(err, keyhold.ErrConflict) {
		t.Fatalf("DeleteRole with an attached policy: %v, want ErrConflict", err)
	}
	if err := s.DetachPolicy(ctx, account1, keyhold.EntityRole, "app", p.ARN); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, account1, "app"); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
}
