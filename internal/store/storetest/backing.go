package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func testBackingKeys(t *testing.T, f Factory) {
	ctx := context.Background()
	tests := []struct {
		name string
		bk   func(keyARN string) *keyhold.BackingKey
	}{
		{"every byte value", func(arn string) *keyhold.BackingKey { return newBackingKey(arn, 2, domainKeyID) }},
		{"nil EKT", func(arn string) *keyhold.BackingKey {
			bk := newBackingKey(arn, 3, domainKeyID)
			bk.EKT = nil
			return bk
		}},
		{"empty EKT", func(arn string) *keyhold.BackingKey {
			bk := newBackingKey(arn, 4, domainKeyID)
			bk.EKT = []byte{}
			return bk
		}},
		{"large EKT", func(arn string) *keyhold.BackingKey {
			bk := newBackingKey(arn, 5, domainKeyID)
			bk.EKT = make([]byte, 64*1024)
			for i := range bk.EKT {
				bk.EKT[i] = byte(i * 7)
			}
			return bk
		}},
		{"zero creation date", func(arn string) *keyhold.BackingKey {
			bk := newBackingKey(arn, 6, domainKeyID)
			bk.CreationDate = time.Time{}
			return bk
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			k := newKey(account1, region1, keyID(1))
			first := newBackingKey(k.ARN, 1, domainKeyID)
			mustCreateKey(t, s, k, nil, first)

			bk := tt.bk(k.ARN)
			want := *bk
			if err := s.AddBackingKey(ctx, bk); err != nil {
				t.Fatalf("AddBackingKey: %v", err)
			}
			got, err := s.GetBackingKey(ctx, k.ARN, bk.MaterialID)
			if err != nil {
				t.Fatalf("GetBackingKey: %v", err)
			}
			if d := diff(&want, got); d != "" {
				t.Errorf("GetBackingKey (-want +got):\n%s", d)
			}
			got, err = s.GetBackingKey(ctx, k.ARN, first.MaterialID)
			if err != nil {
				t.Fatalf("GetBackingKey(first): %v", err)
			}
			if d := diff(first, got); d != "" {
				t.Errorf("GetBackingKey(first) (-want +got):\n%s", d)
			}
			// Adding a backing key does not make it current: UpdateKey does.
			gotKey, err := s.GetKey(ctx, k.ARN)
			if err != nil {
				t.Fatalf("GetKey: %v", err)
			}
			if d := diff(k, gotKey); d != "" {
				t.Errorf("key changed by AddBackingKey (-want +got):\n%s", d)
			}
		})
	}
}

func testAddBackingKeyErrors(t *testing.T, f Factory) {
	ctx := context.Background()
	k := newKey(account1, region1, keyID(1))
	other := newKey(account1, region1, keyID(2))
	tests := []struct {
		name string
		bk   *keyhold.BackingKey
		want error
	}{
		{"same key and material id", newBackingKey(k.ARN, 1, domainKeyID), keyhold.ErrConflict},
		{"same material id, other EKT", func() *keyhold.BackingKey {
			bk := newBackingKey(k.ARN, 1, domainKeyID)
			bk.EKT = []byte("other")
			return bk
		}(), keyhold.ErrConflict},
		{"missing key", newBackingKey(keyhold.KeyARN(region1, account1, keyID(3)), 2, domainKeyID), keyhold.ErrNotFound},
		{"missing domain key", newBackingKey(k.ARN, 2, "dk-missing"), keyhold.ErrNotFound},
		{"same material id on another key", newBackingKey(other.ARN, 1, domainKeyID), nil},
		{"new material id", newBackingKey(k.ARN, 2, domainKeyID), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			first := newBackingKey(k.ARN, 1, domainKeyID)
			mustCreateKey(t, s, k, nil, first)
			mustCreateKey(t, s, other, nil, nil)

			err := s.AddBackingKey(ctx, tt.bk)
			checkErr(t, "AddBackingKey", err, tt.want)

			want := map[string][]*keyhold.BackingKey{k.ARN: {first}, other.ARN: nil}
			if tt.want == nil {
				want[tt.bk.KeyARN] = append(want[tt.bk.KeyARN], tt.bk)
			}
			for arn, wantBKs := range want {
				got, err := s.ListBackingKeys(ctx, arn)
				if err != nil {
					t.Fatalf("ListBackingKeys(%s): %v", arn, err)
				}
				if d := diff(wantBKs, got); d != "" {
					t.Errorf("ListBackingKeys(%s) (-want +got):\n%s", arn, d)
				}
			}
		})
	}
}

func testGetBackingKeyNotFound(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := newKey(account1, region1, keyID(1))
	other := newKey(account1, region1, keyID(2))
	mustCreateKey(t, s, k, nil, newBackingKey(k.ARN, 1, domainKeyID))
	mustCreateKey(t, s, other, nil, newBackingKey(other.ARN, 2, domainKeyID))
	tests := []struct {
		name               string
		keyARN, materialID string
	}{
		{"missing key", keyhold.KeyARN(region1, account1, keyID(3)), materialID(1)},
		{"missing material", k.ARN, materialID(3)},
		{"material of another key", k.ARN, materialID(2)},
		{"material id in upper case", k.ARN, "000000000000000000000000000000000000000000000000000000000000000A"},
		{"empty material id", k.ARN, ""},
		{"key without backing keys", func() string {
			bare := newKey(account1, region1, keyID(4))
			mustCreateKey(t, s, bare, nil, nil)
			return bare.ARN
		}(), materialID(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetBackingKey(ctx, tt.keyARN, tt.materialID)
			if !errors.Is(err, keyhold.ErrNotFound) {
				t.Errorf("GetBackingKey = %v, %v; want ErrNotFound", got != nil, err)
			}
		})
	}
}

func testListBackingKeys(t *testing.T, f Factory) {
	ctx := context.Background()
	tests := []struct {
		name  string
		first int   // material of CreateKey's backing key; 0: none
		add   []int // materials added, in this order; newBackingKey(n) is created at(n)
		ties  bool  // give every backing key the same creation date
		want  []int
	}{
		{name: "none", want: nil},
		{name: "first only", first: 1, want: []int{1}},
		{name: "added in order", first: 1, add: []int{2, 3, 4}, want: []int{1, 2, 3, 4}},
		{name: "added out of order", first: 5, add: []int{3, 9, 1, 7}, want: []int{1, 3, 5, 7, 9}},
		{name: "equal dates keep insertion order", first: 4, add: []int{2, 9, 1}, ties: true, want: []int{4, 2, 9, 1}},
		{name: "no first, then added", add: []int{2, 1}, want: []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, f)
			k := newKey(account1, region1, keyID(1))
			bks := map[int]*keyhold.BackingKey{}
			mk := func(n int) *keyhold.BackingKey {
				bk := newBackingKey(k.ARN, n, domainKeyID)
				if tt.ties {
					bk.CreationDate = at(0)
				}
				bks[n] = bk
				return bk
			}
			var first *keyhold.BackingKey
			if tt.first != 0 {
				first = mk(tt.first)
			}
			mustCreateKey(t, s, k, nil, first)
			// A neighbour with backing keys of its own, added in between.
			neighbour := newKey(account1, region1, keyID(2))
			mustCreateKey(t, s, neighbour, nil, newBackingKey(neighbour.ARN, 1, domainKeyID))
			for _, n := range tt.add {
				if err := s.AddBackingKey(ctx, mk(n)); err != nil {
					t.Fatalf("AddBackingKey(%d): %v", n, err)
				}
				if err := s.AddBackingKey(ctx, newBackingKey(neighbour.ARN, 100+n, domainKeyID)); err != nil {
					t.Fatalf("AddBackingKey(neighbour): %v", err)
				}
			}

			var want []*keyhold.BackingKey
			for _, n := range tt.want {
				want = append(want, bks[n])
			}
			got, err := s.ListBackingKeys(ctx, k.ARN)
			if err != nil {
				t.Fatalf("ListBackingKeys: %v", err)
			}
			if d := diff(want, got); d != "" {
				t.Errorf("ListBackingKeys (-want +got):\n%s", d)
			}
		})
	}

	t.Run("missing key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, f)
		got, err := s.ListBackingKeys(ctx, keyhold.KeyARN(region1, account1, keyID(1)))
		if !errors.Is(err, keyhold.ErrNotFound) {
			t.Errorf("ListBackingKeys(missing key) = %d backing keys, %v; want ErrNotFound", len(got), err)
		}
	})
}

func testDomainKeys(t *testing.T, f Factory) {
	ctx := context.Background()
	t.Run("empty store", func(t *testing.T) {
		t.Parallel()
		s := f.New(t)
		got, err := s.ListDomainKeys(ctx)
		if err != nil {
			t.Fatalf("ListDomainKeys: %v", err)
		}
		if len(got) != 0 {
			t.Errorf("ListDomainKeys of a new store: %d domain keys, want none", len(got))
		}
	})

	tests := []struct {
		name string
		add  []*keyhold.DomainKey
		want []int // indexes into add
	}{
		{
			name: "one",
			add:  []*keyhold.DomainKey{newDomainKey("dk-1", region1, at(0))},
			want: []int{0},
		},
		{
			name: "oldest first across regions",
			add: []*keyhold.DomainKey{
				newDomainKey("dk-c", region1, at(30)),
				newDomainKey("dk-a", region2, at(10)),
				newDomainKey("dk-b", region1, at(20)),
				newDomainKey("dk-0", region2, at(40)),
			},
			want: []int{1, 2, 0, 3},
		},
		{
			name: "a microsecond apart",
			add: []*keyhold.DomainKey{
				newDomainKey("dk-2", region1, at(0).Add(2*time.Microsecond)),
				newDomainKey("dk-1", region1, at(0).Add(time.Microsecond)),
			},
			want: []int{1, 0},
		},
		{
			name: "equal dates keep insertion order",
			add: []*keyhold.DomainKey{
				newDomainKey("dk-z", region1, at(0)),
				newDomainKey("dk-a", region1, at(0)),
				newDomainKey("dk-m", region2, at(0)),
			},
			want: []int{0, 1, 2},
		},
		{
			name: "nil wrapped key",
			add: []*keyhold.DomainKey{func() *keyhold.DomainKey {
				dk := newDomainKey("dk-1", region1, at(0))
				dk.Wrapped = nil
				return dk
			}()},
			want: []int{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := f.New(t)
			for _, dk := range tt.add {
				if err := s.CreateDomainKey(ctx, dk); err != nil {
					t.Fatalf("CreateDomainKey(%s): %v", dk.ID, err)
				}
			}
			var want []*keyhold.DomainKey
			for _, i := range tt.want {
				want = append(want, tt.add[i])
			}
			got, err := s.ListDomainKeys(ctx)
			if err != nil {
				t.Fatalf("ListDomainKeys: %v", err)
			}
			if d := diff(want, got); d != "" {
				t.Errorf("ListDomainKeys (-want +got):\n%s", d)
			}
		})
	}

	t.Run("duplicate id", func(t *testing.T) {
		t.Parallel()
		s := f.New(t)
		dk := newDomainKey("dk-1", region1, at(0))
		if err := s.CreateDomainKey(ctx, dk); err != nil {
			t.Fatalf("CreateDomainKey: %v", err)
		}
		dup := newDomainKey("dk-1", region2, at(1))
		dup.Wrapped = []byte("impostor")
		if err := s.CreateDomainKey(ctx, dup); !errors.Is(err, keyhold.ErrConflict) {
			t.Errorf("CreateDomainKey(duplicate id) = %v, want ErrConflict", err)
		}
		got, err := s.ListDomainKeys(ctx)
		if err != nil {
			t.Fatalf("ListDomainKeys: %v", err)
		}
		if d := diff([]*keyhold.DomainKey{dk}, got); d != "" {
			t.Errorf("ListDomainKeys after duplicate (-want +got):\n%s", d)
		}
	})
}
