package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func testAccounts(t *testing.T, f Factory) {
	ctx := context.Background()
	tests := []struct {
		name    string
		create  []*keyhold.Account
		get     string
		want    *keyhold.Account // nil: ErrNotFound
		wantErr []error          // per create
	}{
		{
			name:   "round trip",
			create: []*keyhold.Account{{ID: account1, CreationDate: at(0)}},
			get:    account1,
			want:   &keyhold.Account{ID: account1, CreationDate: at(0)},
		},
		{
			name:   "zero creation date",
			create: []*keyhold.Account{{ID: account1}},
			get:    account1,
			want:   &keyhold.Account{ID: account1},
		},
		{
			name:   "missing",
			create: []*keyhold.Account{{ID: account1, CreationDate: at(0)}},
			get:    account2,
		},
		{
			name: "missing in an empty store",
			get:  account1,
		},
		{
			name: "duplicate keeps the first",
			create: []*keyhold.Account{
				{ID: account1, CreationDate: at(0)},
				{ID: account1, CreationDate: at(5)},
			},
			wantErr: []error{nil, keyhold.ErrConflict},
			get:     account1,
			want:    &keyhold.Account{ID: account1, CreationDate: at(0)},
		},
		{
			name: "two accounts",
			create: []*keyhold.Account{
				{ID: account1, CreationDate: at(0)},
				{ID: account2, CreationDate: at(1)},
			},
			get:  account2,
			want: &keyhold.Account{ID: account2, CreationDate: at(1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := f.New(t)
			for i, a := range tt.create {
				var want error
				if i < len(tt.wantErr) {
					want = tt.wantErr[i]
				}
				checkErr(t, "CreateAccount("+a.ID+")", s.CreateAccount(ctx, a), want)
			}
			got, err := s.GetAccount(ctx, tt.get)
			if tt.want == nil {
				if !errors.Is(err, keyhold.ErrNotFound) {
					t.Errorf("GetAccount(%s) = %+v, %v; want ErrNotFound", tt.get, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetAccount: %v", err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("GetAccount (-want +got):\n%s", d)
			}
		})
	}
}

func newAccessKey(id, account string) *keyhold.AccessKey {
	return &keyhold.AccessKey{
		ID:           id,
		Account:      account,
		PrincipalARN: "arn:aws:iam::" + account + ":user/alice",
		SealedSecret: []byte("sealed\x00secret\xff" + id),
		Status:       keyhold.AccessKeyActive,
		CreationDate: at(0),
	}
}

func testAccessKeys(t *testing.T, f Factory) {
	ctx := context.Background()
	const id1, id2 = "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE"
	tests := []struct {
		name    string
		create  []*keyhold.AccessKey
		wantErr []error // per create
		get     string
		want    *keyhold.AccessKey // nil: ErrNotFound
	}{
		{
			name:   "round trip",
			create: []*keyhold.AccessKey{newAccessKey(id1, account1)},
			get:    id1,
			want:   newAccessKey(id1, account1),
		},
		{
			name: "inactive, nil secret, zero date",
			create: []*keyhold.AccessKey{func() *keyhold.AccessKey {
				ak := newAccessKey(id1, account1)
				ak.Status = keyhold.AccessKeyInactive
				ak.SealedSecret = nil
				ak.CreationDate = time.Time{}
				return ak
			}()},
			get: id1,
			want: func() *keyhold.AccessKey {
				ak := newAccessKey(id1, account1)
				ak.Status = keyhold.AccessKeyInactive
				ak.SealedSecret = nil
				ak.CreationDate = time.Time{}
				return ak
			}(),
		},
		{
			name:   "missing",
			create: []*keyhold.AccessKey{newAccessKey(id1, account1)},
			get:    id2,
		},
		{
			name:   "id is case-sensitive",
			create: []*keyhold.AccessKey{newAccessKey(id1, account1)},
			get:    "akiaiosfodnn7example",
		},
		{
			name:    "duplicate id keeps the first",
			create:  []*keyhold.AccessKey{newAccessKey(id1, account1), newAccessKey(id1, account2)},
			wantErr: []error{nil, keyhold.ErrConflict},
			get:     id1,
			want:    newAccessKey(id1, account1),
		},
		{
			name:   "two keys of one account",
			create: []*keyhold.AccessKey{newAccessKey(id1, account1), newAccessKey(id2, account1)},
			get:    id2,
			want:   newAccessKey(id2, account1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := f.New(t)
			// The accounts exist, as they would in a real server; whether a
			// store requires that is left open.
			for _, a := range []string{account1, account2} {
				if err := s.CreateAccount(ctx, &keyhold.Account{ID: a, CreationDate: at(-1)}); err != nil {
					t.Fatalf("CreateAccount: %v", err)
				}
			}
			for i, ak := range tt.create {
				var want error
				if i < len(tt.wantErr) {
					want = tt.wantErr[i]
				}
				checkErr(t, "CreateAccessKey("+ak.ID+")", s.CreateAccessKey(ctx, ak), want)
			}
			got, err := s.GetAccessKey(ctx, tt.get)
			if tt.want == nil {
				if !errors.Is(err, keyhold.ErrNotFound) {
					t.Errorf("GetAccessKey(%s): %v; want ErrNotFound", tt.get, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetAccessKey: %v", err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("GetAccessKey (-want +got):\n%s", d)
			}
		})
	}
}
