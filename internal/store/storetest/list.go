package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/keyhold/keyhold"
)

// listIDs are the key IDs of (account1, region1) in the ListKeys tests, in
// byte order. They mix digits, upper and lower case, so a store sorting by
// a linguistic collation (where "alpha" < "Zeta") fails.
var listIDs = []string{
	keyID(1),
	keyID(2),
	"1234abcd-12ab-34cd-56ef-1234567890ab",
	"Zeta",
	"alpha",
	"mrk-1234abcd12ab34cd56ef1234567890ab",
	"mrk-9",
	"zz",
}

// setupListKeys stores listIDs in (account1, region1), in an order that is
// neither sorted nor reversed, plus decoys in the other partitions whose IDs
// interleave with them.
func setupListKeys(t *testing.T, f Factory) keyhold.Store {
	t.Helper()
	s := newStore(t, f)
	order := []int{5, 0, 7, 3, 1, 6, 2, 4}
	for _, i := range order {
		mustCreateKey(t, s, newKey(account1, region1, listIDs[i]), nil, nil)
	}
	for _, p := range []struct{ account, region string }{{account2, region1}, {account1, region2}, {account2, region2}} {
		for _, id := range []string{keyID(1), "Zeta", "b", "mrk-5", "zzz"} {
			mustCreateKey(t, s, newKey(p.account, p.region, id), nil, nil)
		}
	}
	return s
}

func testListKeys(t *testing.T, f Factory) {
	ctx := context.Background()
	s := setupListKeys(t, f)
	tests := []struct {
		name            string
		account, region string
		afterID         string
		limit           int
		want            []string // IDs; nil means an error is wanted
		wantErr         bool
	}{
		{name: "all", account: account1, region: region1, limit: 100, want: listIDs},
		{name: "limit equals count", account: account1, region: region1, limit: len(listIDs), want: listIDs},
		{name: "limit 1", account: account1, region: region1, limit: 1, want: listIDs[:1]},
		{name: "limit 3", account: account1, region: region1, limit: 3, want: listIDs[:3]},
		{name: "after first", account: account1, region: region1, afterID: listIDs[0], limit: 100, want: listIDs[1:]},
		{name: "after middle with limit", account: account1, region: region1, afterID: "Zeta", limit: 2, want: []string{"alpha", "mrk-1234abcd12ab34cd56ef1234567890ab"}},
		{name: "after an id that is not stored", account: account1, region: region1, afterID: "b", limit: 100, want: []string{"mrk-1234abcd12ab34cd56ef1234567890ab", "mrk-9", "zz"}},
		{name: "after a prefix of an id", account: account1, region: region1, afterID: "mrk-", limit: 100, want: []string{"mrk-1234abcd12ab34cd56ef1234567890ab", "mrk-9", "zz"}},
		{name: "after last", account: account1, region: region1, afterID: "zz", limit: 100, want: []string{}},
		{name: "after everything", account: account1, region: region1, afterID: "\U0010FFFF", limit: 100, want: []string{}},
		{name: "other account", account: account2, region: region1, limit: 100, want: []string{keyID(1), "Zeta", "b", "mrk-5", "zzz"}},
		{name: "other region", account: account1, region: region2, afterID: "b", limit: 2, want: []string{"mrk-5", "zzz"}},
		{name: "unknown account", account: "999999999999", region: region1, limit: 100, want: []string{}},
		{name: "unknown region", account: account1, region: "ap-south-2", limit: 100, want: []string{}},
		{name: "region is not a prefix match", account: account1, region: "eu-central", limit: 100, want: []string{}},
		{name: "limit 0 is an error", account: account1, region: region1, limit: 0, wantErr: true},
		{name: "negative limit is an error", account: account1, region: region1, limit: -1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := s.ListKeys(ctx, tt.account, tt.region, tt.afterID, tt.limit)
			if tt.wantErr {
				if err == nil {
					t.Errorf("ListKeys succeeded with %d keys, want an error", len(keys))
				}
				return
			}
			if err != nil {
				t.Fatalf("ListKeys: %v", err)
			}
			var got []string
			for _, k := range keys {
				got = append(got, k.ID)
				if k.Account != tt.account || k.Region != tt.region {
					t.Errorf("ListKeys(%s, %s) returned %s", tt.account, tt.region, k.ARN)
				}
				if want := newKey(tt.account, tt.region, k.ID); diff(want, k) != "" {
					t.Errorf("ListKeys record for %s (-want +got):\n%s", k.ID, diff(want, k))
				}
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("ListKeys IDs (-want +got):\n%s", d)
			}
		})
	}
}

// testListKeysPagination walks every page size and checks the pages join up
// to the whole list, in order, without repeats.
func testListKeysPagination(t *testing.T, f Factory) {
	ctx := context.Background()
	s := setupListKeys(t, f)
	for limit := 1; limit <= len(listIDs)+1; limit++ {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(listIDs)+1 {
				t.Fatalf("limit %d: pagination does not end", limit)
			}
			keys, err := s.ListKeys(ctx, account1, region1, after, limit)
			if err != nil {
				t.Fatalf("limit %d: ListKeys: %v", limit, err)
			}
			if len(keys) > limit {
				t.Fatalf("limit %d: ListKeys returned %d keys", limit, len(keys))
			}
			for _, k := range keys {
				got = append(got, k.ID)
			}
			if len(keys) < limit {
				break
			}
			after = keys[len(keys)-1].ID
		}
		if !slices.Equal(got, listIDs) {
			t.Errorf("limit %d: pages joined = %q, want %q", limit, got, listIDs)
		}
	}
}
