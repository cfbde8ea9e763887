package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func testCreateGetKey(t *testing.T, f Factory) {
	ctx := context.Background()
	tests := []struct {
		name string
		key  func() *keyhold.Key
		tags []keyhold.Tag
		bk   bool // store a first backing key
	}{
		{
			name: "every field set",
			key:  func() *keyhold.Key { return newKey(account1, region1, keyID(1)) },
			tags: []keyhold.Tag{{Key: "team", Value: "payments"}},
			bk:   true,
		},
		{
			name: "zero values",
			key: func() *keyhold.Key {
				k := newKey(account1, region1, keyID(2))
				k.Description, k.Policy, k.CurrentMaterialID = "", "", ""
				k.State = keyhold.KeyStateEnabled
				k.MultiRegion = false
				k.DeletionDate = time.Time{}
				k.PendingWindowInDays = 0
				return k
			},
		},
		{
			name: "multi-region key id",
			key: func() *keyhold.Key {
				return newKey(account2, region2, "mrk-1234abcd12ab34cd56ef1234567890ab")
			},
			bk: true,
		},
		{
			name: "UTC times with whole seconds",
			key: func() *keyhold.Key {
				k := newKey(account1, region1, keyID(3))
				k.CreationDate = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
				k.DeletionDate = time.Date(2030, 1, 9, 3, 4, 5, 0, time.UTC)
				return k
			},
		},
		{
			name: "microsecond times",
			key: func() *keyhold.Key {
				k := newKey(account1, region1, keyID(4))
				k.CreationDate = time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC)
				k.DeletionDate = k.CreationDate.Add(time.Microsecond)
				return k
			},
		},
		{
			name: "large policy",
			key: func() *keyhold.Key {
				k := newKey(account1, region1, keyID(5))
				k.Policy = `{"Statement":[]}` + strings.Repeat(" ", 32*1024)
				return k
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			k := tt.key()
			want := *k
			var bk *keyhold.BackingKey
			if tt.bk {
				bk = newBackingKey(k.ARN, 1, domainKeyID)
			}
			mustCreateKey(t, s, k, tt.tags, bk)
			if d := diff(&want, k); d != "" {
				t.Errorf("CreateKey modified its argument (-before +after):\n%s", d)
			}

			got, err := s.GetKey(ctx, k.ARN)
			if err != nil {
				t.Fatalf("GetKey: %v", err)
			}
			if d := diff(&want, got); d != "" {
				t.Errorf("GetKey mismatch (-want +got):\n%s", d)
			}
			if got == k {
				t.Errorf("GetKey returned the pointer given to CreateKey")
			}

			gotTags, err := s.ListTags(ctx, k.ARN)
			if err != nil {
				t.Fatalf("ListTags: %v", err)
			}
			if d := diff(tt.tags, gotTags); d != "" {
				t.Errorf("ListTags mismatch (-want +got):\n%s", d)
			}

			bks, err := s.ListBackingKeys(ctx, k.ARN)
			if err != nil {
				t.Fatalf("ListBackingKeys: %v", err)
			}
			var wantBKs []*keyhold.BackingKey
			if bk != nil {
				wantBKs = append(wantBKs, bk)
			}
			if d := diff(wantBKs, bks); d != "" {
				t.Errorf("ListBackingKeys mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func testGetKeyNotFound(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := newKey(account1, region1, keyID(1))
	mustCreateKey(t, s, k, nil, nil)
	tests := []struct {
		name string
		arn  string
	}{
		{"never created", keyhold.KeyARN(region1, account1, keyID(2))},
		{"same id in another region", keyhold.KeyARN(region2, account1, keyID(1))},
		{"same id in another account", keyhold.KeyARN(region1, account2, keyID(1))},
		{"ARN in upper case", "ARN:AWS:KMS:EU-CENTRAL-1:111122223333:KEY/00000001-1234-5678-9ABC-DEF012345678"},
		{"ARN prefix", k.ARN[:len(k.ARN)-1]},
		{"bare key id", keyID(1)},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetKey(ctx, tt.arn)
			if !errors.Is(err, keyhold.ErrNotFound) {
				t.Errorf("GetKey(%q) = %+v, %v; want ErrNotFound", tt.arn, got, err)
			}
		})
	}
}

func testCreateKeyConflict(t *testing.T, f Factory) {
	ctx := context.Background()
	tests := []struct {
		name   string
		second func(first *keyhold.Key) (*keyhold.Key, []keyhold.Tag, *keyhold.BackingKey)
		want   error
	}{
		{
			name: "same key",
			second: func(first *keyhold.Key) (*keyhold.Key, []keyhold.Tag, *keyhold.BackingKey) {
				return first, nil, nil
			},
			want: keyhold.ErrConflict,
		},
		{
			name: "same ARN, other fields and a backing key",
			second: func(first *keyhold.Key) (*keyhold.Key, []keyhold.Tag, *keyhold.BackingKey) {
				k := *first
				k.Description = "impostor"
				k.State = keyhold.KeyStateEnabled
				return &k, []keyhold.Tag{{Key: "x", Value: "y"}}, newBackingKey(k.ARN, 9, domainKeyID)
			},
			want: keyhold.ErrConflict,
		},
		{
			name: "same id in another region",
			second: func(first *keyhold.Key) (*keyhold.Key, []keyhold.Tag, *keyhold.BackingKey) {
				return newKey(first.Account, region2, first.ID), nil, nil
			},
		},
		{
			name: "same id in another account",
			second: func(first *keyhold.Key) (*keyhold.Key, []keyhold.Tag, *keyhold.BackingKey) {
				return newKey(account2, first.Region, first.ID), nil, nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			first := newKey(account1, region1, keyID(1))
			firstTags := []keyhold.Tag{{Key: "owner", Value: "alice"}}
			firstBK := newBackingKey(first.ARN, 1, domainKeyID)
			mustCreateKey(t, s, first, firstTags, firstBK)

			k, tags, bk := tt.second(first)
			err := s.CreateKey(ctx, k, tags, bk)
			checkErr(t, "second CreateKey", err, tt.want)

			// The first key is untouched either way.
			got, err := s.GetKey(ctx, first.ARN)
			if err != nil {
				t.Fatalf("GetKey: %v", err)
			}
			if d := diff(first, got); d != "" {
				t.Errorf("first key changed (-want +got):\n%s", d)
			}
			gotTags, err := s.ListTags(ctx, first.ARN)
			if err != nil {
				t.Fatalf("ListTags: %v", err)
			}
			if d := diff(firstTags, gotTags); d != "" {
				t.Errorf("first key's tags changed (-want +got):\n%s", d)
			}
			bks, err := s.ListBackingKeys(ctx, first.ARN)
			if err != nil {
				t.Fatalf("ListBackingKeys: %v", err)
			}
			if d := diff([]*keyhold.BackingKey{firstBK}, bks); d != "" {
				t.Errorf("first key's backing keys changed (-want +got):\n%s", d)
			}
		})
	}
}

// testCreateKeyAtomic makes the second or third insert of CreateKey fail and
// checks that the key insert before it was rolled back.
func testCreateKeyAtomic(t *testing.T, f Factory) {
	ctx := context.Background()
	other := newKey(account1, region1, keyID(99))
	tests := []struct {
		name string
		tags []keyhold.Tag
		bk   func(k *keyhold.Key) *keyhold.BackingKey
		want error
	}{
		{
			name: "backing key sealed under a domain key that is not stored",
			bk:   func(k *keyhold.Key) *keyhold.BackingKey { return newBackingKey(k.ARN, 1, "dk-missing") },
			want: keyhold.ErrNotFound,
		},
		{
			name: "duplicate tag keys",
			tags: []keyhold.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "a", Value: "3"}},
			bk:   func(k *keyhold.Key) *keyhold.BackingKey { return newBackingKey(k.ARN, 1, domainKeyID) },
			want: keyhold.ErrConflict,
		},
		{
			name: "backing key of another, existing key with a taken material id",
			tags: []keyhold.Tag{{Key: "a", Value: "1"}},
			bk:   func(*keyhold.Key) *keyhold.BackingKey { return newBackingKey(other.ARN, 1, domainKeyID) },
			want: errAny,
		},
		{
			name: "backing key of a key that does not exist",
			bk: func(*keyhold.Key) *keyhold.BackingKey {
				return newBackingKey(keyhold.KeyARN(region1, account1, keyID(98)), 1, domainKeyID)
			},
			want: errAny,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			otherBK := newBackingKey(other.ARN, 1, domainKeyID)
			mustCreateKey(t, s, other, nil, otherBK)

			k := newKey(account1, region1, keyID(1))
			err := s.CreateKey(ctx, k, tt.tags, tt.bk(k))
			checkErr(t, "CreateKey", err, tt.want)
			checkKeyAbsent(t, s, k.ARN)

			keys, err := s.ListKeys(ctx, account1, region1, "", 100)
			if err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			if len(keys) != 1 || keys[0].ARN != other.ARN {
				t.Errorf("ListKeys after failed CreateKey: got %d keys, want only %s", len(keys), other.ARN)
			}
			bks, err := s.ListBackingKeys(ctx, other.ARN)
			if err != nil {
				t.Fatalf("ListBackingKeys: %v", err)
			}
			if d := diff([]*keyhold.BackingKey{otherBK}, bks); d != "" {
				t.Errorf("other key's backing keys changed (-want +got):\n%s", d)
			}
			// The failed attempt leaves the identity free.
			mustCreateKey(t, s, k, nil, newBackingKey(k.ARN, 1, domainKeyID))
		})
	}
}

func testUpdateKey(t *testing.T, f Factory) {
	ctx := context.Background()
	tests := []struct {
		name   string
		update func(k keyhold.Key) keyhold.Key // applied to a copy of the stored key
		want   func(k keyhold.Key) keyhold.Key // what GetKey returns afterwards
	}{
		{
			name: "every mutable field",
			update: func(k keyhold.Key) keyhold.Key {
				k.Description = "rotated"
				k.KeyUsage = "SIGN_VERIFY"
				k.KeySpec = "ECC_NIST_P256"
				k.Origin = "EXTERNAL"
				k.State = keyhold.KeyStateEnabled
				k.MultiRegion = false
				k.Policy = `{"Version":"2012-10-17"}`
				k.DeletionDate = time.Time{}
				k.PendingWindowInDays = 0
				k.CurrentMaterialID = materialID(2)
				return k
			},
			want: func(k keyhold.Key) keyhold.Key {
				k.Description = "rotated"
				k.KeyUsage = "SIGN_VERIFY"
				k.KeySpec = "ECC_NIST_P256"
				k.Origin = "EXTERNAL"
				k.State = keyhold.KeyStateEnabled
				k.MultiRegion = false
				k.Policy = `{"Version":"2012-10-17"}`
				k.DeletionDate = time.Time{}
				k.PendingWindowInDays = 0
				k.CurrentMaterialID = materialID(2)
				return k
			},
		},
		{
			name: "set deletion date",
			update: func(k keyhold.Key) keyhold.Key {
				k.State = keyhold.KeyStatePendingDeletion
				k.DeletionDate = at(30 * 24 * 60).Add(time.Nanosecond * 1001)
				k.PendingWindowInDays = 30
				return k
			},
			want: func(k keyhold.Key) keyhold.Key {
				k.State = keyhold.KeyStatePendingDeletion
				k.DeletionDate = at(30 * 24 * 60).Add(time.Nanosecond * 1001)
				k.PendingWindowInDays = 30
				return k
			},
		},
		{
			name: "immutable fields are ignored",
			update: func(k keyhold.Key) keyhold.Key {
				k.ID = "changed-id"
				k.Account = account2
				k.Region = region2
				k.CreationDate = at(-1000)
				k.Description = "only this changes"
				return k
			},
			want: func(k keyhold.Key) keyhold.Key {
				k.Description = "only this changes"
				return k
			},
		},
		{
			name:   "no change",
			update: func(k keyhold.Key) keyhold.Key { return k },
			want:   func(k keyhold.Key) keyhold.Key { return k },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			k := newKey(account1, region1, keyID(1))
			tags := []keyhold.Tag{{Key: "a", Value: "1"}}
			bk := newBackingKey(k.ARN, 1, domainKeyID)
			mustCreateKey(t, s, k, tags, bk)
			neighbour := newKey(account1, region1, keyID(2))
			mustCreateKey(t, s, neighbour, nil, nil)

			u := tt.update(*k)
			if err := s.UpdateKey(ctx, &u); err != nil {
				t.Fatalf("UpdateKey: %v", err)
			}
			want := tt.want(*k)
			got, err := s.GetKey(ctx, k.ARN)
			if err != nil {
				t.Fatalf("GetKey: %v", err)
			}
			if d := diff(&want, got); d != "" {
				t.Errorf("after UpdateKey (-want +got):\n%s", d)
			}
			// Nothing else moved: not the tags, the backing keys, the
			// neighbour, nor a key at the "changed" identity.
			if gotTags, err := s.ListTags(ctx, k.ARN); err != nil || diff(tags, gotTags) != "" {
				t.Errorf("ListTags after UpdateKey = %v, %v; want %v", gotTags, err, tags)
			}
			if bks, err := s.ListBackingKeys(ctx, k.ARN); err != nil || diff([]*keyhold.BackingKey{bk}, bks) != "" {
				t.Errorf("ListBackingKeys after UpdateKey: %d backing keys, %v; want the one stored", len(bks), err)
			}
			if got, err := s.GetKey(ctx, neighbour.ARN); err != nil || diff(neighbour, got) != "" {
				t.Errorf("neighbour after UpdateKey = %+v, %v; want unchanged", got, err)
			}
			for _, p := range []struct{ account, region string }{{account2, region1}, {account1, region2}, {account2, region2}} {
				if keys, err := s.ListKeys(ctx, p.account, p.region, "", 10); err != nil || len(keys) != 0 {
					t.Errorf("ListKeys(%s, %s) after UpdateKey = %d keys, %v; want none", p.account, p.region, len(keys), err)
				}
			}
		})
	}

	t.Run("missing key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, f)
		k := newKey(account1, region1, keyID(1))
		err := s.UpdateKey(ctx, k)
		if !errors.Is(err, keyhold.ErrNotFound) {
			t.Errorf("UpdateKey of a missing key: %v, want ErrNotFound", err)
		}
		checkKeyAbsent(t, s, k.ARN)
	})
}

func testTags(t *testing.T, f Factory) {
	ctx := context.Background()
	tests := []struct {
		name string
		tags []keyhold.Tag
		want []keyhold.Tag
	}{
		{name: "nil", tags: nil, want: nil},
		{name: "empty", tags: []keyhold.Tag{}, want: nil},
		{
			name: "sorted by key",
			tags: []keyhold.Tag{{Key: "zone", Value: "1"}, {Key: "app", Value: "2"}, {Key: "m", Value: "3"}},
			want: []keyhold.Tag{{Key: "app", Value: "2"}, {Key: "m", Value: "3"}, {Key: "zone", Value: "1"}},
		},
		{
			name: "byte order",
			tags: []keyhold.Tag{{Key: "b", Value: ""}, {Key: "B", Value: ""}, {Key: "a-b", Value: ""}, {Key: "ab", Value: ""}, {Key: "é", Value: ""}, {Key: "_", Value: ""}},
			want: []keyhold.Tag{{Key: "B", Value: ""}, {Key: "_", Value: ""}, {Key: "a-b", Value: ""}, {Key: "ab", Value: ""}, {Key: "b", Value: ""}, {Key: "é", Value: ""}},
		},
		{
			name: "empty value and same value",
			tags: []keyhold.Tag{{Key: "k2", Value: "v"}, {Key: "k1", Value: "v"}, {Key: "k0", Value: ""}},
			want: []keyhold.Tag{{Key: "k0", Value: ""}, {Key: "k1", Value: "v"}, {Key: "k2", Value: "v"}},
		},
		{
			name: "keys differing only in case",
			tags: []keyhold.Tag{{Key: "env", Value: "a"}, {Key: "Env", Value: "b"}, {Key: "ENV", Value: "c"}},
			want: []keyhold.Tag{{Key: "ENV", Value: "c"}, {Key: "Env", Value: "b"}, {Key: "env", Value: "a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			k := newKey(account1, region1, keyID(1))
			in := slices.Clone(tt.tags)
			mustCreateKey(t, s, k, in, nil)
			// Another key's tags stay out of this key's list.
			mustCreateKey(t, s, newKey(account1, region1, keyID(2)), []keyhold.Tag{{Key: "other", Value: "key"}}, nil)
			if d := diff(tt.tags, in); d != "" {
				t.Errorf("CreateKey modified the tags argument (-before +after):\n%s", d)
			}
			got, err := s.ListTags(ctx, k.ARN)
			if err != nil {
				t.Fatalf("ListTags: %v", err)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("ListTags (-want +got):\n%s", d)
			}
		})
	}

	t.Run("missing key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, f)
		arn := keyhold.KeyARN(region1, account1, keyID(1))
		if got, err := s.ListTags(ctx, arn); !errors.Is(err, keyhold.ErrNotFound) {
			t.Errorf("ListTags(missing key) = %v, %v; want ErrNotFound", got, err)
		}
	})
}
