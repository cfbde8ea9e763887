package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func testAccessKeyOwnership(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	mustCreateUser(t, s, newUser(account1, "/", "Alice"))
	mustCreateUser(t, s, newUser(account1, "/", "bob"))

	if err := s.CreateAccessKey(ctx, newUserKey("AKIAAAAAAAAAAAAAAAA1", account1, "nobody")); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("CreateAccessKey for a missing user: %v, want ErrNotFound", err)
	}
	if _, err := s.GetAccessKey(ctx, "AKIAAAAAAAAAAAAAAAA1"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("a refused CreateAccessKey stored the key: %v", err)
	}

	k2 := newUserKey("AKIAAAAAAAAAAAAAAAA2", account1, "Alice")
	k2.CreationDate = at(2)
	k1 := newUserKey("AKIAAAAAAAAAAAAAAAA3", account1, "Alice")
	k1.CreationDate = at(1)
	k1.LastUsedDate = at(5)
	k1.LastUsedService = "kms"
	k1.LastUsedRegion = "eu-central-1"
	k3 := newUserKey("AKIAAAAAAAAAAAAAAAA0", account1, "Alice")
	k3.CreationDate = at(2) // same time as k2: id breaks the tie
	kb := newUserKey("AKIAAAAAAAAAAAAAAAA4", account1, "bob")
	for _, k := range []*keyhold.AccessKey{k2, k1, k3, kb} {
		if err := s.CreateAccessKey(ctx, k); err != nil {
			t.Fatalf("CreateAccessKey(%s): %v", k.ID, err)
		}
	}
	got, err := s.GetAccessKey(ctx, k1.ID)
	if err != nil || diff(k1, got) != "" {
		t.Errorf("GetAccessKey (-want +got):\n%s (%v)", diff(k1, got), err)
	}
	list, err := s.ListAccessKeys(ctx, account1, "ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]*keyhold.AccessKey{k1, k3, k2}, list); d != "" {
		t.Errorf("ListAccessKeys (-want +got):\n%s", d)
	}
	if list, err := s.ListAccessKeys(ctx, account2, "alice"); err != nil || len(list) != 0 {
		t.Errorf("ListAccessKeys in another account = %v, %v", list, err)
	}
	if list, err := s.ListAccessKeys(ctx, account1, "carol"); err != nil || len(list) != 0 {
		t.Errorf("ListAccessKeys of a user without keys = %v, %v", list, err)
	}

	// Status and last use.
	if err := s.UpdateAccessKeyStatus(ctx, k2.ID, keyhold.AccessKeyInactive); err != nil {
		t.Fatal(err)
	}
	used := at(9)
	if err := s.RecordAccessKeyUse(ctx, k2.ID, used, "iam", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	want := *k2
	want.Status = keyhold.AccessKeyInactive
	want.LastUsedDate, want.LastUsedService, want.LastUsedRegion = used, "iam", "us-east-1"
	if got, err := s.GetAccessKey(ctx, k2.ID); err != nil || diff(&want, got) != "" {
		t.Errorf("after update (-want +got):\n%s (%v)", diff(&want, got), err)
	}
	for name, err := range map[string]error{
		"UpdateAccessKeyStatus": s.UpdateAccessKeyStatus(ctx, "AKIANOPE", keyhold.AccessKeyActive),
		"RecordAccessKeyUse":    s.RecordAccessKeyUse(ctx, "AKIANOPE", used, "kms", "us-east-1"),
		"DeleteAccessKey":       s.DeleteAccessKey(ctx, "AKIANOPE"),
	} {
		if !errors.Is(err, keyhold.ErrNotFound) {
			t.Errorf("%s of a missing key: %v, want ErrNotFound", name, err)
		}
	}
	if err := s.DeleteAccessKey(ctx, k2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAccessKey(ctx, k2.ID); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetAccessKey after delete: %v", err)
	}
	if list, _ := s.ListAccessKeys(ctx, account1, "alice"); len(list) != 2 {
		t.Errorf("ListAccessKeys after delete: %d keys, want 2", len(list))
	}
}

func newSession(id string, expires time.Time) *keyhold.Session {
	return &keyhold.Session{
		AccessKeyID:       id,
		Account:           account1,
		SealedSecret:      []byte("sealed\x00\xff" + id),
		TokenHash:         []byte{0, 1, 2, 0xfe, 0xff},
		RoleARN:           keyhold.RoleARN(account1, "/", "app"),
		RoleID:            "AROAEXAMPLEEXAMPLE123",
		RoleName:          "app",
		SessionName:       "session@example.com",
		SourceIdentity:    "alice",
		SourceARN:         keyhold.UserARN(account1, "/", "alice"),
		Tags:              []keyhold.Tag{{Key: "project", Value: "x"}, {Key: "cost", Value: "ü"}},
		TransitiveTagKeys: []string{"project"},
		Policy:            `{"Version":"2012-10-17","Statement":[]}`,
		PolicyARNs:        []string{"arn:aws:iam::aws:policy/IAMReadOnlyAccess"},
		CreationDate:      at(0),
		Expiration:        expires,
	}
}

func testSessions(t *testing.T, f Factory) {
	ctx := context.Background()
	s := f.New(t)
	a := newSession("ASIAAAAAAAAAAAAAAAA1", at(60))
	b := newSession("ASIAAAAAAAAAAAAAAAA2", at(120))
	b.Tags, b.TransitiveTagKeys, b.PolicyARNs, b.Policy = nil, nil, nil, ""
	c := newSession("ASIAAAAAAAAAAAAAAAA3", at(61))
	for _, ss := range []*keyhold.Session{a, b, c} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	if err := s.CreateSession(ctx, newSession(a.AccessKeyID, at(5))); !errors.Is(err, keyhold.ErrConflict) {
		t.Errorf("CreateSession with a used id: %v, want ErrConflict", err)
	}
	for _, want := range []*keyhold.Session{a, b} {
		got, err := s.GetSession(ctx, want.AccessKeyID)
		if err != nil || diff(want, got) != "" {
			t.Errorf("GetSession(%s) (-want +got):\n%s (%v)", want.AccessKeyID, diff(want, got), err)
		}
	}
	if _, err := s.GetSession(ctx, "ASIANOPE"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetSession of a missing id: %v", err)
	}
	// Expired before at(61): only a. Exactly at its expiry, c stays.
	n, err := s.DeleteExpiredSessions(ctx, at(61))
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 1", n, err)
	}
	if _, err := s.GetSession(ctx, a.AccessKeyID); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("expired session still there: %v", err)
	}
	for _, id := range []string{b.AccessKeyID, c.AccessKeyID} {
		if _, err := s.GetSession(ctx, id); err != nil {
			t.Errorf("unexpired session %s removed: %v", id, err)
		}
	}
	if n, err := s.DeleteExpiredSessions(ctx, at(1000)); err != nil || n != 2 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 2", n, err)
	}
}
