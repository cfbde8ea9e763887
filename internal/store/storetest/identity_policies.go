package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/keyhold/keyhold"
)

func testInlinePolicies(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	mustCreateUser(t, s, newUser(account1, "/", "Alice"))
	mustCreateRole(t, s, newRole(account1, "/", "alice")) // same name, other namespace
	doc := func(n int) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"s%d","Effect":"Allow","Action":"kms:*","Resource":"*"}]}`, n)
	}
	put := func(entityType, entity, name, document string) error {
		return s.PutInlinePolicy(ctx, &keyhold.InlinePolicy{Account: account1, EntityType: entityType, EntityName: entity, Name: name, Document: document})
	}
	for _, p := range []struct{ name, doc string }{{"b", doc(1)}, {"B", doc(2)}, {"a", doc(3)}} {
		if err := put(keyhold.EntityUser, "alice", p.name, p.doc); err != nil {
			t.Fatalf("PutInlinePolicy(%s): %v", p.name, err)
		}
	}
	if err := put(keyhold.EntityRole, "ALICE", "b", doc(4)); err != nil {
		t.Fatal(err)
	}
	// Replace.
	if err := put(keyhold.EntityUser, "ALICE", "a", doc(5)); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetInlinePolicy(ctx, account1, keyhold.EntityUser, "alice", "a")
	want := &keyhold.InlinePolicy{Account: account1, EntityType: keyhold.EntityUser, EntityName: "Alice", Name: "a", Document: doc(5)}
	if err != nil || diff(want, got) != "" {
		t.Errorf("GetInlinePolicy (-want +got):\n%s (%v)", diff(want, got), err)
	}
	list, err := s.ListInlinePolicies(ctx, account1, keyhold.EntityUser, "aLiCe")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list {
		names = append(names, p.Name+"="+p.Document[len(p.Document)-40:])
		if p.EntityName != "Alice" || p.EntityType != keyhold.EntityUser || p.Account != account1 {
			t.Errorf("ListInlinePolicies record %+v", p)
		}
	}
	wantNames := []string{"B=" + doc(2)[len(doc(2))-40:], "a=" + doc(5)[len(doc(5))-40:], "b=" + doc(1)[len(doc(1))-40:]}
	if d := diff(wantNames, names); d != "" {
		t.Errorf("ListInlinePolicies (-want +got):\n%s", d)
	}
	if list, err := s.ListInlinePolicies(ctx, account1, keyhold.EntityRole, "alice"); err != nil || len(list) != 1 || list[0].Document != doc(4) {
		t.Errorf("role's inline policies = %v, %v", list, err)
	}
	// Policy names are case-sensitive.
	if _, err := s.GetInlinePolicy(ctx, account1, keyhold.EntityUser, "alice", "A"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetInlinePolicy with the name in another case: %v", err)
	}

	notFound := map[string]error{
		"Put for a missing user":    put(keyhold.EntityUser, "bob", "p", doc(0)),
		"Put for a missing role":    put(keyhold.EntityRole, "bob", "p", doc(0)),
		"Put in another account":    s.PutInlinePolicy(ctx, &keyhold.InlinePolicy{Account: account2, EntityType: keyhold.EntityUser, EntityName: "alice", Name: "p", Document: "{}"}),
		"Delete of a missing":       s.DeleteInlinePolicy(ctx, account1, keyhold.EntityUser, "alice", "zz"),
		"Delete for a missing user": s.DeleteInlinePolicy(ctx, account1, keyhold.EntityUser, "bob", "a"),
	}
	_, notFound["Get of a missing"] = s.GetInlinePolicy(ctx, account1, keyhold.EntityRole, "alice", "a")
	_, notFound["List for a missing user"] = s.ListInlinePolicies(ctx, account1, keyhold.EntityUser, "bob")
	for name, err := range notFound {
		if !errors.Is(err, keyhold.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if err := s.DeleteInlinePolicy(ctx, account1, keyhold.EntityUser, "ALICE", "B"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListInlinePolicies(ctx, account1, keyhold.EntityUser, "alice"); len(list) != 2 {
		t.Errorf("after delete: %d policies, want 2", len(list))
	}
}

func testManagedPolicies(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	p := newManagedPolicy(account1, "/team/", "KMSUsers")
	mustCreateManagedPolicy(t, s, p)
	got, err := s.GetManagedPolicy(ctx, p.ARN)
	if err != nil || diff(p, got) != "" {
		t.Errorf("GetManagedPolicy (-want +got):\n%s (%v)", diff(p, got), err)
	}
	conflicts := map[string]*keyhold.ManagedPolicy{
		"same ARN":                    newManagedPolicy(account1, "/team/", "KMSUsers"),
		"same name in another path":   newManagedPolicy(account1, "/", "KMSUsers"),
		"name differing only in case": newManagedPolicy(account1, "/other/", "kmsusers"),
		"same id":                     func() *keyhold.ManagedPolicy { q := newManagedPolicy(account1, "/", "x"); q.ID = p.ID; return q }(),
	}
	for name, q := range conflicts {
		if err := s.CreateManagedPolicy(ctx, q); !errors.Is(err, keyhold.ErrConflict) {
			t.Errorf("CreateManagedPolicy (%s): %v, want ErrConflict", name, err)
		}
	}
	// The same name in another account, and an AWS managed policy.
	mustCreateManagedPolicy(t, s, newManagedPolicy(account2, "/team/", "KMSUsers"))
	aws := newManagedPolicy(keyhold.AWSAccount, "/", "KMSUsers")
	aws.Tags = nil
	mustCreateManagedPolicy(t, s, aws)
	if got, err := s.GetManagedPolicy(ctx, aws.ARN); err != nil || diff(aws, got) != "" {
		t.Errorf("GetManagedPolicy(aws) (-want +got):\n%s (%v)", diff(aws, got), err)
	}
	if _, err := s.GetManagedPolicy(ctx, keyhold.ManagedPolicyARN(account1, "/team/", "kmsusers")); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetManagedPolicy by an ARN in another case: %v, want ErrNotFound (ARNs are exact)", err)
	}
	if err := s.DeleteManagedPolicy(ctx, p.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetManagedPolicy(ctx, p.ARN); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetManagedPolicy after delete: %v", err)
	}
	if err := s.DeleteManagedPolicy(ctx, p.ARN); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("second DeleteManagedPolicy: %v", err)
	}
	mustCreateManagedPolicy(t, s, newManagedPolicy(account1, "/", "kmsusers"))
}

func testListManagedPolicies(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	for _, n := range []struct{ account, path, name string }{
		{account1, "/b/", "Zeta"}, {account1, "/", "alpha"}, {account1, "/a/", "Beta"},
		{account1, "/a_/", "under"}, {account2, "/", "other"},
		{keyhold.AWSAccount, "/", "AdministratorAccess"}, {keyhold.AWSAccount, "/service-role/", "Svc"},
	} {
		mustCreateManagedPolicy(t, s, newManagedPolicy(n.account, n.path, n.name))
	}
	mustCreateUser(t, s, newUser(account1, "/", "u"))
	if err := s.AttachPolicy(ctx, account1, keyhold.EntityUser, "u", keyhold.ManagedPolicyARN(account1, "/a/", "Beta")); err != nil {
		t.Fatal(err)
	}
	if err := s.AttachPolicy(ctx, account1, keyhold.EntityUser, "u", keyhold.ManagedPolicyARN(keyhold.AWSAccount, "/", "AdministratorAccess")); err != nil {
		t.Fatal(err)
	}
	arn := keyhold.ManagedPolicyARN
	tests := []struct {
		name string
		f    keyhold.ManagedPolicyFilter
		want []string
	}{
		{"local", keyhold.ManagedPolicyFilter{Accounts: []string{account1}, Limit: 100},
			// Byte order of the ARNs: "policy/a/..." sorts before "policy/alpha".
			[]string{arn(account1, "/a/", "Beta"), arn(account1, "/a_/", "under"), arn(account1, "/", "alpha"), arn(account1, "/b/", "Zeta")}},
		{"aws", keyhold.ManagedPolicyFilter{Accounts: []string{keyhold.AWSAccount}, Limit: 100},
			[]string{arn("aws", "/", "AdministratorAccess"), arn("aws", "/service-role/", "Svc")}},
		{"all", keyhold.ManagedPolicyFilter{Accounts: []string{keyhold.AWSAccount, account1}, Limit: 3},
			[]string{arn(account1, "/a/", "Beta"), arn(account1, "/a_/", "under"), arn(account1, "/", "alpha")}},
		{"after", keyhold.ManagedPolicyFilter{Accounts: []string{keyhold.AWSAccount, account1}, After: arn(account1, "/b/", "Zeta"), Limit: 100},
			[]string{arn("aws", "/", "AdministratorAccess"), arn("aws", "/service-role/", "Svc")}},
		{"path prefix", keyhold.ManagedPolicyFilter{Accounts: []string{account1}, PathPrefix: "/a", Limit: 100},
			[]string{arn(account1, "/a/", "Beta"), arn(account1, "/a_/", "under")}},
		{"underscore is no wildcard", keyhold.ManagedPolicyFilter{Accounts: []string{account1}, PathPrefix: "/a_", Limit: 100},
			[]string{arn(account1, "/a_/", "under")}},
		{"only attached", keyhold.ManagedPolicyFilter{Accounts: []string{keyhold.AWSAccount, account1}, OnlyAttached: true, Limit: 100},
			[]string{arn(account1, "/a/", "Beta"), arn("aws", "/", "AdministratorAccess")}},
		{"no accounts", keyhold.ManagedPolicyFilter{Limit: 100}, nil},
	}
	for _, tt := range tests {
		ps, err := s.ListManagedPolicies(ctx, tt.f)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.ARN)
			wantCount := 0
			if p.ARN == arn(account1, "/a/", "Beta") || p.ARN == arn("aws", "/", "AdministratorAccess") {
				wantCount = 1
			}
			if p.AttachmentCount != wantCount {
				t.Errorf("%s: %s AttachmentCount %d, want %d", tt.name, p.ARN, p.AttachmentCount, wantCount)
			}
		}
		if d := diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	if _, err := s.ListManagedPolicies(ctx, keyhold.ManagedPolicyFilter{Accounts: []string{account1}}); err == nil {
		t.Error("ListManagedPolicies with limit 0 succeeded")
	}
}

func testAttachments(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	mustCreateUser(t, s, newUser(account1, "/", "Alice"))
	mustCreateRole(t, s, newRole(account1, "/", "app"))
	p1 := newManagedPolicy(account1, "/", "p1")
	p2 := newManagedPolicy(keyhold.AWSAccount, "/", "p2")
	mustCreateManagedPolicy(t, s, p1)
	mustCreateManagedPolicy(t, s, p2)

	for _, a := range []struct{ typ, name, arn string }{
		{keyhold.EntityUser, "alice", p2.ARN},
		{keyhold.EntityUser, "ALICE", p1.ARN},
		{keyhold.EntityUser, "Alice", p1.ARN}, // again: not an error
		{keyhold.EntityRole, "App", p1.ARN},
	} {
		if err := s.AttachPolicy(ctx, account1, a.typ, a.name, a.arn); err != nil {
			t.Fatalf("AttachPolicy(%s %s, %s): %v", a.typ, a.name, a.arn, err)
		}
	}
	list, err := s.ListAttachedPolicies(ctx, account1, keyhold.EntityUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	w1, w2 := *p1, *p2
	w1.AttachmentCount, w2.AttachmentCount = 2, 1
	if d := diff([]*keyhold.ManagedPolicy{&w1, &w2}, list); d != "" {
		t.Errorf("ListAttachedPolicies (-want +got):\n%s", d)
	}
	if got, _ := s.GetManagedPolicy(ctx, p1.ARN); got == nil || got.AttachmentCount != 2 {
		t.Errorf("GetManagedPolicy AttachmentCount = %+v", got)
	}
	notFound := map[string]error{
		"attach a missing policy":        s.AttachPolicy(ctx, account1, keyhold.EntityUser, "alice", keyhold.ManagedPolicyARN(account1, "/", "nope")),
		"attach to a missing user":       s.AttachPolicy(ctx, account1, keyhold.EntityUser, "bob", p1.ARN),
		"attach to a missing role":       s.AttachPolicy(ctx, account1, keyhold.EntityRole, "alice", p1.ARN),
		"detach what is not attached":    s.DetachPolicy(ctx, account1, keyhold.EntityRole, "app", p2.ARN),
		"detach from another account":    s.DetachPolicy(ctx, account2, keyhold.EntityUser, "alice", p1.ARN),
		"detach with the wrong ARN case": s.DetachPolicy(ctx, account1, keyhold.EntityUser, "alice", keyhold.ManagedPolicyARN(account1, "/", "P1")),
	}
	_, notFound["list for a missing role"] = s.ListAttachedPolicies(ctx, account1, keyhold.EntityRole, "nope")
	for name, err := range notFound {
		if !errors.Is(err, keyhold.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if err := s.DeleteManagedPolicy(ctx, p1.ARN); !errors.Is(err, keyhold.ErrConflict) {
		t.Errorf("DeleteManagedPolicy while attached: %v, want ErrConflict", err)
	}
	if _, err := s.GetManagedPolicy(ctx, p1.ARN); err != nil {
		t.Errorf("a refused DeleteManagedPolicy removed it: %v", err)
	}
	if err := s.DetachPolicy(ctx, account1, keyhold.EntityUser, "alice", p1.ARN); err != nil {
		t.Fatal(err)
	}
	if err := s.DetachPolicy(ctx, account1, keyhold.EntityRole, "APP", p1.ARN); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteManagedPolicy(ctx, p1.ARN); err != nil {
		t.Errorf("DeleteManagedPolicy after detaching: %v", err)
	}
	if list, err := s.ListAttachedPolicies(ctx, account1, keyhold.EntityRole, "app"); err != nil || len(list) != 0 {
		t.Errorf("role's attachments after detach = %v, %v", list, err)
	}
}

// testIdentityReopen checks that identity records survive a restart.
func testIdentityReopen(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	u := newUser(account1, "/x/", "Alice")
	r := newRole(account1, "/", "app")
	p := newManagedPolicy(account1, "/", "pol")
	ak := newUserKey("AKIAAAAAAAAAAAAAAAA1", account1, "Alice")
	ss := newSession("ASIAAAAAAAAAAAAAAAA1", at(100))
	ip := &keyhold.InlinePolicy{Account: account1, EntityType: keyhold.EntityRole, EntityName: "app", Name: "i", Document: "{}"}
	mustCreateUser(t, s, u)
	mustCreateRole(t, s, r)
	mustCreateManagedPolicy(t, s, p)
	steps := []error{
		s.CreateAccessKey(ctx, ak),
		s.CreateSession(ctx, ss),
		s.PutInlinePolicy(ctx, ip),
		s.AttachPolicy(ctx, account1, keyhold.EntityUser, "alice", p.ARN),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	s = f.Reopen(t, s)
	p.AttachmentCount = 1
	checks := []struct {
		name string
		get  func() (any, error)
		want any
	}{
		{"GetUser", func() (any, error) { return s.GetUser(ctx, account1, "alice") }, u},
		{"GetRole", func() (any, error) { return s.GetRole(ctx, account1, "app") }, r},
		{"GetManagedPolicy", func() (any, error) { return s.GetManagedPolicy(ctx, p.ARN) }, p},
		{"GetAccessKey", func() (any, error) { return s.GetAccessKey(ctx, ak.ID) }, ak},
		{"GetSession", func() (any, error) { return s.GetSession(ctx, ss.AccessKeyID) }, ss},
		{"GetInlinePolicy", func() (any, error) { return s.GetInlinePolicy(ctx, account1, keyhold.EntityRole, "app", "i") }, ip},
		{"ListAttachedPolicies", func() (any, error) { return s.ListAttachedPolicies(ctx, account1, keyhold.EntityUser, "alice") }, []*keyhold.ManagedPolicy{p}},
	}
	for _, c := range checks {
		got, err := c.get()
		if err != nil {
			t.Errorf("%s after reopen: %v", c.name, err)
			continue
		}
		if d := diff(c.want, got); d != "" {
			t.Errorf("%s after reopen (-want +got):\n%s", c.name, d)
		}
	}
}

// testConcurrentCreateUser: writers race to create the same user name in
// different cases; exactly one wins, the others get ErrConflict.
func testConcurrentCreateUser(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	var (
		wg        sync.WaitGroup
		won, lost atomic.Int64
	)
	for w := range writers {
		wg.Go(func() {
			name := "racer"
			if w%2 == 1 {
				name = "RACER"
			}
			u := newUser(account1, "/", name)
			u.ID = fmt.Sprintf("AIDA%017d", w)
			err := s.CreateUser(ctx, u)
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, keyhold.ErrConflict):
				lost.Add(1)
			default:
				t.Errorf("writer %d: %v", w, err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || lost.Load() != writers-1 {
		t.Errorf("%d won, %d lost; want 1 and %d", won.Load(), lost.Load(), writers-1)
	}
}

// testConcurrentTagUpdates: writers each add one tag with read-modify-write
// retried on ErrConflict; no update may be lost.
func testConcurrentTagUpdates(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	u := newUser(account1, "/", "alice")
	u.Tags = nil
	mustCreateUser(t, s, u)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for attempt := 0; attempt < 1000; attempt++ {
				cur, err := s.GetUser(ctx, account1, "alice")
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				next := append(append([]keyhold.Tag(nil), cur.Tags...), keyhold.Tag{Key: fmt.Sprint("w", w), Value: "x"})
				err = s.UpdateUserTags(ctx, account1, "alice", cur.Tags, next)
				if err == nil {
					return
				}
				if !errors.Is(err, keyhold.ErrConflict) {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
			t.Errorf("writer %d: never got its update in", w)
		})
	}
	wg.Wait()
	got, err := s.GetUser(ctx, account1, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tags) != writers {
		t.Errorf("%d tags after %d concurrent updates: %v", len(got.Tags), writers, got.Tags)
	}
}
