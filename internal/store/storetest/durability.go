package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/keyhold/keyhold"
)

// testReopen stores one of every record, reopens the database and checks
// that everything is there, then that the reopened store takes writes.
func testReopen(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)

	k := newKey(account1, region1, keyID(1))
	tags := []keyhold.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}
	bk1 := newBackingKey(k.ARN, 1, domainKeyID)
	mustCreateKey(t, s, k, tags, bk1)
	bk2 := newBackingKey(k.ARN, 2, domainKeyID)
	if err := s.AddBackingKey(ctx, bk2); err != nil {
		t.Fatalf("AddBackingKey: %v", err)
	}
	updated := *k
	updated.State = keyhold.KeyStateEnabled
	updated.CurrentMaterialID = bk2.MaterialID
	if err := s.UpdateKey(ctx, &updated); err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	bare := newKey(account2, region2, keyID(2))
	mustCreateKey(t, s, bare, nil, nil)
	dk := newDomainKey("dk-0002", region2, at(3))
	if err := s.CreateDomainKey(ctx, dk); err != nil {
		t.Fatalf("CreateDomainKey: %v", err)
	}
	acct := &keyhold.Account{ID: account1, CreationDate: at(4)}
	if err := s.CreateAccount(ctx, acct); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	ak := newAccessKey("AKIAIOSFODNN7EXAMPLE", account1)
	if err := s.CreateAccessKey(ctx, ak); err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}

	s = f.Reopen(t, s)

	checks := []struct {
		name string
		get  func() (any, error)
		want any
	}{
		{"GetKey", func() (any, error) { return s.GetKey(ctx, k.ARN) }, &updated},
		{"GetKey without tags or backing keys", func() (any, error) { return s.GetKey(ctx, bare.ARN) }, bare},
		{"ListKeys", func() (any, error) { return s.ListKeys(ctx, account1, region1, "", 10) }, []*keyhold.Key{&updated}},
		{"ListTags", func() (any, error) { return s.ListTags(ctx, k.ARN) }, tags},
		{"GetBackingKey", func() (any, error) { return s.GetBackingKey(ctx, k.ARN, bk2.MaterialID) }, bk2},
		{"ListBackingKeys", func() (any, error) { return s.ListBackingKeys(ctx, k.ARN) }, []*keyhold.BackingKey{bk1, bk2}},
		{"ListDomainKeys", func() (any, error) { return s.ListDomainKeys(ctx) }, []*keyhold.DomainKey{newDomainKey(domainKeyID, region1, at(-1)), dk}},
		{"GetAccount", func() (any, error) { return s.GetAccount(ctx, account1) }, acct},
		{"GetAccessKey", func() (any, error) { return s.GetAccessKey(ctx, ak.ID) }, ak},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.get()
			if err != nil {
				t.Fatalf("%s after reopen: %v", c.name, err)
			}
			if d := diff(c.want, got); d != "" {
				t.Errorf("%s after reopen (-want +got):\n%s", c.name, d)
			}
		})
	}

	t.Run("writes after reopen", func(t *testing.T) {
		k3 := newKey(account1, region1, keyID(3))
		mustCreateKey(t, s, k3, nil, newBackingKey(k3.ARN, 1, domainKeyID))
		if err := s.CreateKey(ctx, k, nil, nil); !errors.Is(err, keyhold.ErrConflict) {
			t.Errorf("CreateKey(existing key) after reopen = %v, want ErrConflict", err)
		}
		s2 := f.Reopen(t, s)
		s = s2
		if _, err := s.GetKey(ctx, k3.ARN); err != nil {
			t.Errorf("GetKey after second reopen: %v", err)
		}
	})
}

// testCanceledContext checks that a canceled context stops a call with an
// error and that a write stopped that way stores nothing.
func testCanceledContext(t *testing.T, f Factory) {
	s := newStore(t, f)
	existing := newKey(account1, region1, keyID(2))
	mustCreateKey(t, s, existing, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	k := newKey(account1, region1, keyID(1))
	if err := s.CreateKey(ctx, k, []keyhold.Tag{{Key: "a", Value: "b"}}, newBackingKey(k.ARN, 1, domainKeyID)); err == nil {
		t.Errorf("CreateKey with a canceled context succeeded")
	}
	checkKeyAbsent(t, s, k.ARN)

	calls := []struct {
		name string
		call func() error
	}{
		{"GetKey", func() error { _, err := s.GetKey(ctx, existing.ARN); return err }},
		{"ListKeys", func() error { _, err := s.ListKeys(ctx, account1, region1, "", 10); return err }},
		{"UpdateKey", func() error { return s.UpdateKey(ctx, existing) }},
		{"CreateAccount", func() error { return s.CreateAccount(ctx, &keyhold.Account{ID: account1}) }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); err == nil {
				t.Errorf("%s with a canceled context succeeded", c.name)
			}
		})
	}
	if _, err := s.GetAccount(context.Background(), account1); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("CreateAccount with a canceled context stored the account (GetAccount: %v)", err)
	}
}
