package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// customKeyStoreTests cover external key stores both ways: custom key
// stores with their KMS keys (keyhold as an XKS client) and the external
// keys keyhold serves as an XKS proxy.
var customKeyStoreTests = []struct {
	name string
	fn   func(*testing.T, Factory)
}{
	{"CustomKeyStores", testCustomKeyStores},
	{"CustomKeyStoreUniqueness", testCustomKeyStoreUniqueness},
	{"ListCustomKeyStores", testListCustomKeyStores},
	{"CustomKeyStoreKeys", testCustomKeyStoreKeys},
	{"CustomKeyStoreKeyAvailability", testCustomKeyStoreKeyAvailability},
	{"DeleteCustomKeyStore", testDeleteCustomKeyStore},
	{"XKSKeys", testXKSKeys},
}

func cksID(n int) string { return fmt.Sprintf("cks-%017x", n) }

// newCustomKeyStore returns a store with every field set to a distinct
// non-zero value.
func newCustomKeyStore(account, region string, n int) *keyhold.CustomKeyStore {
	return &keyhold.CustomKeyStore{
		ID:                              cksID(n),
		Account:                         account,
		Region:                          region,
		Name:                            fmt.Sprintf("store %d — ünïcödé", n),
		Type:                            keyhold.CustomKeyStoreTypeExternal,
		ConnectionState:                 keyhold.ConnectionFailed,
		ConnectionErrorCode:             "XKS_PROXY_TIMED_OUT",
		CreationDate:                    at(n),
		XKSProxyConnectivity:            keyhold.XKSConnectivityPublicEndpoint,
		XKSProxyURIEndpoint:             fmt.Sprintf("https://xks%d.example.com", n),
		XKSProxyURIPath:                 fmt.Sprintf("/p%d/kms/xks/v1", n),
		XKSProxyVPCEndpointServiceName:  "com.amazonaws.vpce.us-east-1.vpce-svc-example",
		XKSProxyVPCEndpointServiceOwner: "999988887777",
		XKSProxyAccessKeyID:             "ABCDEFGHIJKLMNOPQRST",
		XKSProxySealedSecret:            []byte{0, 1, 2, 0xff, byte(n)},
	}
}

func mustCreateCustomKeyStore(t *testing.T, s keyhold.Store, c *keyhold.CustomKeyStore) {
	t.Helper()
	if err := s.CreateCustomKeyStore(context.Background(), c); err != nil {
		t.Fatalf("CreateCustomKeyStore(%s): %v", c.ID, err)
	}
}

func testCustomKeyStores(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	c := newCustomKeyStore(account1, region1, 1)
	mustCreateCustomKeyStore(t, s, c)
	s = f.Reopen(t, s)
	got, err := s.GetCustomKeyStore(ctx, account1, region1, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(c, got); d != "" {
		t.Fatalf("GetCustomKeyStore (-want +got):\n%s", d)
	}
	for _, q := range []struct{ account, region, id string }{
		{account2, region1, c.ID}, {account1, region2, c.ID}, {account1, region1, cksID(2)},
	} {
		_, err := s.GetCustomKeyStore(ctx, q.account, q.region, q.id)
		checkErr(t, fmt.Sprintf("GetCustomKeyStore(%v)", q), err, keyhold.ErrNotFound)
	}

	// Every mutable field changes; the identity fields do not.
	u := *c
	u.Name, u.ConnectionState, u.ConnectionErrorCode = "renamed", keyhold.ConnectionConnected, ""
	u.XKSProxyURIEndpoint, u.XKSProxyURIPath = "https://other.example.com", "/kms/xks/v1"
	u.XKSProxyConnectivity = keyhold.XKSConnectivityVPCEndpointService
	u.XKSProxyVPCEndpointServiceName, u.XKSProxyVPCEndpointServiceOwner = "", ""
	u.XKSProxyAccessKeyID, u.XKSProxySealedSecret = "ZYXWVUTSRQPONMLKJIHG", []byte("sealed")
	changed := u
	u.Type, u.CreationDate = "ignored", at(99)
	if err := s.UpdateCustomKeyStore(ctx, &u, keyhold.KeysUnchanged); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetCustomKeyStore(ctx, account1, region1, c.ID)
	if d := diff(&changed, got); d != "" {
		t.Fatalf("after UpdateCustomKeyStore (-want +got):\n%s", d)
	}
	missing := newCustomKeyStore(account1, region1, 9)
	checkErr(t, "UpdateCustomKeyStore of a missing store", s.UpdateCustomKeyStore(ctx, missing, keyhold.KeysUnchanged), keyhold.ErrNotFound)
	other := *c
	other.Account = account2
	checkErr(t, "UpdateCustomKeyStore in another account", s.UpdateCustomKeyStore(ctx, &other, keyhold.KeysUnchanged), keyhold.ErrNotFound)
}

func testCustomKeyStoreUniqueness(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	c1 := newCustomKeyStore(account1, region1, 1)
	mustCreateCustomKeyStore(t, s, c1)
	checkErr(t, "CreateCustomKeyStore twice", s.CreateCustomKeyStore(ctx, c1), keyhold.ErrConflict)

	sameName := newCustomKeyStore(account1, region1, 2)
	sameName.Name = c1.Name
	checkErr(t, "same name", s.CreateCustomKeyStore(ctx, sameName), keyhold.ErrConflict)
	sameURI := newCustomKeyStore(account1, region1, 3)
	sameURI.XKSProxyURIEndpoint, sameURI.XKSProxyURIPath = c1.XKSProxyURIEndpoint, c1.XKSProxyURIPath
	checkErr(t, "same proxy URI", s.CreateCustomKeyStore(ctx, sameURI), keyhold.ErrConflict)

	// Same endpoint with another path, and the same name or URI in another
	// account or region, are fine.
	ok := []*keyhold.CustomKeyStore{newCustomKeyStore(account1, region1, 4), newCustomKeyStore(account2, region1, 5), newCustomKeyStore(account1, region2, 6)}
	ok[0].XKSProxyURIEndpoint = c1.XKSProxyURIEndpoint
	for _, c := range ok[1:] {
		c.Name, c.XKSProxyURIEndpoint, c.XKSProxyURIPath = c1.Name, c1.XKSProxyURIEndpoint, c1.XKSProxyURIPath
	}
	for _, c := range ok {
		mustCreateCustomKeyStore(t, s, c)
	}
	// An update may not take another store's name either.
	u := *ok[0]
	u.Name = c1.Name
	checkErr(t, "rename to a used name", s.UpdateCustomKeyStore(ctx, &u, keyhold.KeysUnchanged), keyhold.ErrConflict)
}

func testListCustomKeyStores(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	for _, n := range []int{3, 1, 2} {
		mustCreateCustomKeyStore(t, s, newCustomKeyStore(account1, region1, n))
	}
	mustCreateCustomKeyStore(t, s, newCustomKeyStore(account2, region1, 4))
	mustCreateCustomKeyStore(t, s, newCustomKeyStore(account1, region2, 5))
	ids := func(cs []*keyhold.CustomKeyStore) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	all, err := s.ListCustomKeyStores(ctx, account1, region1, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]string{cksID(1), cksID(2), cksID(3)}, ids(all)); d != "" {
		t.Fatalf("ListCustomKeyStores (-want +got):\n%s", d)
	}
	page, _ := s.ListCustomKeyStores(ctx, account1, region1, cksID(1), 1)
	if d := diff([]string{cksID(2)}, ids(page)); d != "" {
		t.Fatalf("second page (-want +got):\n%s", d)
	}
	none, err := s.ListCustomKeyStores(ctx, account2, region2, "", 10)
	if err != nil || len(none) != 0 {
		t.Fatalf("empty list: %v, %v", none, err)
	}
	if _, err := s.ListCustomKeyStores(ctx, account1, region1, "", 0); err == nil {
		t.Fatal("limit 0 accepted")
	}
}

// newStoreKey returns an Enabled key of the custom key store c with its
// backing key and link.
func newStoreKey(c *keyhold.CustomKeyStore, n int, xksKeyID string) (*keyhold.Key, *keyhold.BackingKey, *keyhold.CustomKeyStoreKey) {
	k := newKey(c.Account, c.Region, keyID(n))
	k.Origin = keyhold.OriginExternalKeyStore
	k.State = keyhold.KeyStateEnabled
	k.MultiRegion = false
	k.DeletionDate, k.PendingWindowInDays = time.Time{}, 0
	k.CurrentMaterialID = materialID(n)
	bk := newBackingKey(k.ARN, n, domainKeyID)
	return k, bk, &keyhold.CustomKeyStoreKey{KeyARN: k.ARN, CustomKeyStoreID: c.ID, XKSKeyID: xksKeyID}
}

func testCustomKeyStoreKeys(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	c := newCustomKeyStore(account1, region1, 1)
	mustCreateCustomKeyStore(t, s, c)
	k, bk, link := newStoreKey(c, 1, "external-1")
	tags := []keyhold.Tag{{Key: "t", Value: "v"}}
	if err := s.CreateCustomKeyStoreKey(ctx, k, tags, bk, link); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	gotKey, err := s.GetKey(ctx, k.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(k, gotKey); d != "" {
		t.Fatalf("GetKey (-want +got):\n%s", d)
	}
	gotTags, _ := s.ListTags(ctx, k.ARN)
	if d := diff(tags, gotTags); d != "" {
		t.Fatalf("tags (-want +got):\n%s", d)
	}
	if _, err := s.GetBackingKey(ctx, k.ARN, bk.MaterialID); err != nil {
		t.Fatalf("GetBackingKey: %v", err)
	}
	gotLink, err := s.GetCustomKeyStoreKey(ctx, k.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(link, gotLink); d != "" {
		t.Fatalf("GetCustomKeyStoreKey (-want +got):\n%s", d)
	}
	byXKS, err := s.GetCustomKeyStoreKeyByXKSKeyID(ctx, c.ID, "external-1")
	if err != nil || byXKS.KeyARN != k.ARN {
		t.Fatalf("GetCustomKeyStoreKeyByXKSKeyID = %+v, %v", byXKS, err)
	}
	_, err = s.GetCustomKeyStoreKeyByXKSKeyID(ctx, c.ID, "external-2")
	checkErr(t, "GetCustomKeyStoreKeyByXKSKeyID of an unused id", err, keyhold.ErrNotFound)

	// A key outside custom key stores has no link.
	plain := fixture(t, s, 1)[0]
	_, err = s.GetCustomKeyStoreKey(ctx, plain.ARN)
	checkErr(t, "GetCustomKeyStoreKey of another key", err, keyhold.ErrNotFound)

	// The external key is in use: all or nothing, the second key is absent.
	k2, bk2, link2 := newStoreKey(c, 2, "external-1")
	checkErr(t, "second key on one external key", s.CreateCustomKeyStoreKey(ctx, k2, nil, bk2, link2), keyhold.ErrConflict)
	checkKeyAbsent(t, s, k2.ARN)
	// A missing store: ErrNotFound, nothing stored.
	k3, bk3, link3 := newStoreKey(c, 3, "external-3")
	link3.CustomKeyStoreID = cksID(99)
	checkErr(t, "key in a missing store", s.CreateCustomKeyStoreKey(ctx, k3, nil, bk3, link3), keyhold.ErrNotFound)
	checkKeyAbsent(t, s, k3.ARN)
	// A store of another account is missing too.
	other := newCustomKeyStore(account2, region1, 4)
	mustCreateCustomKeyStore(t, s, other)
	k4, bk4, link4 := newStoreKey(c, 4, "external-4")
	link4.CustomKeyStoreID = other.ID
	checkErr(t, "key in another account's store", s.CreateCustomKeyStoreKey(ctx, k4, nil, bk4, link4), keyhold.ErrNotFound)

	// Deleting the key frees its external key.
	if err := s.DeleteKey(ctx, k.ARN); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetCustomKeyStoreKey(ctx, k.ARN)
	checkErr(t, "link of a deleted key", err, keyhold.ErrNotFound)
	if err := s.CreateCustomKeyStoreKey(ctx, k2, nil, bk2, link2); err != nil {
		t.Fatalf("external key after its KMS key was deleted: %v", err)
	}
}

func testCustomKeyStoreKeyAvailability(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	c := newCustomKeyStore(account1, region1, 1)
	mustCreateCustomKeyStore(t, s, c)
	other := newCustomKeyStore(account1, region1, 2)
	mustCreateCustomKeyStore(t, s, other)
	states := []keyhold.KeyState{keyhold.KeyStateEnabled, keyhold.KeyStateDisabled, keyhold.KeyStatePendingDeletion}
	var keys []*keyhold.Key
	for i, st := range states {
		k, bk, link := newStoreKey(c, i+1, fmt.Sprint("x", i))
		k.State = st
		if err := s.CreateCustomKeyStoreKey(ctx, k, nil, bk, link); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	ok, okBK, okLink := newStoreKey(other, 10, "x0")
	if err := s.CreateCustomKeyStoreKey(ctx, ok, nil, okBK, okLink); err != nil {
		t.Fatal(err)
	}
	check := func(when string, want ...keyhold.KeyState) {
		t.Helper()
		for i, k := range keys {
			got, err := s.GetKey(ctx, k.ARN)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != want[i] {
				t.Errorf("%s: key %d is %s, want %s", when, i, got.State, want[i])
			}
		}
		if got, _ := s.GetKey(ctx, ok.ARN); got.State != keyhold.KeyStateEnabled {
			t.Errorf("%s: the other store's key is %s", when, got.State)
		}
	}
	c.ConnectionState = keyhold.ConnectionDisconnected
	if err := s.UpdateCustomKeyStore(ctx, c, keyhold.KeysUnavailable); err != nil {
		t.Fatal(err)
	}
	u := keyhold.KeyStateUnavailable
	check("disconnected", u, u, keyhold.KeyStatePendingDeletion)
	// Twice is harmless: the remembered states stay.
	if err := s.UpdateCustomKeyStore(ctx, c, keyhold.KeysUnavailable); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	c.ConnectionState = keyhold.ConnectionConnected
	if err := s.UpdateCustomKeyStore(ctx, c, keyhold.KeysAvailable); err != nil {
		t.Fatal(err)
	}
	check("connected", states...)
	if err := s.UpdateCustomKeyStore(ctx, c, keyhold.KeysAvailable); err != nil {
		t.Fatal(err)
	}
	check("connected twice", states...)
}

func testDeleteCustomKeyStore(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	c := newCustomKeyStore(account1, region1, 1)
	mustCreateCustomKeyStore(t, s, c)
	k, bk, link := newStoreKey(c, 1, "external-1")
	if err := s.CreateCustomKeyStoreKey(ctx, k, nil, bk, link); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "delete a store with keys", s.DeleteCustomKeyStore(ctx, account1, region1, c.ID), keyhold.ErrConflict)
	if _, err := s.GetCustomKeyStore(ctx, account1, region1, c.ID); err != nil {
		t.Fatalf("store after refused delete: %v", err)
	}
	checkErr(t, "delete in another account", s.DeleteCustomKeyStore(ctx, account2, region1, c.ID), keyhold.ErrNotFound)
	if err := s.DeleteKey(ctx, k.ARN); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCustomKeyStore(ctx, account1, region1, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetCustomKeyStore(ctx, account1, region1, c.ID)
	checkErr(t, "GetCustomKeyStore after delete", err, keyhold.ErrNotFound)
	checkErr(t, "delete twice", s.DeleteCustomKeyStore(ctx, account1, region1, c.ID), keyhold.ErrNotFound)
	// Name and URI are free again.
	mustCreateCustomKeyStore(t, s, newCustomKeyStore(account1, region1, 1))
}

func newXKSKey(store, id string, n int) *keyhold.XKSKey {
	arn := keyhold.XKSKeyARN(region1, store, id)
	bk := newBackingKey(arn, n, domainKeyID)
	bk.CreationDate = at(n)
	return &keyhold.XKSKey{
		KeyStore:     store,
		ID:           id,
		AllowEncrypt: true,
		AllowDecrypt: n%2 == 0,
		Enabled:      true,
		CreationDate: at(n),
		BackingKey:   bk,
	}
}

func testXKSKeys(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	a := newXKSKey("store-a", "foo", 1)
	for _, k := range []*keyhold.XKSKey{newXKSKey("store-b", "foo", 2), a, newXKSKey("store-a", "bar.key_1-x", 3)} {
		if err := s.CreateXKSKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	checkErr(t, "CreateXKSKey twice", s.CreateXKSKey(ctx, a), keyhold.ErrConflict)
	noDK := newXKSKey("store-a", "nodk", 4)
	noDK.BackingKey.DomainKeyID = "dk-missing"
	checkErr(t, "CreateXKSKey without its domain key", s.CreateXKSKey(ctx, noDK), keyhold.ErrNotFound)

	s = f.Reopen(t, s)
	got, err := s.GetXKSKey(ctx, "store-a", "foo")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(a, got); d != "" {
		t.Fatalf("GetXKSKey (-want +got):\n%s", d)
	}
	_, err = s.GetXKSKey(ctx, "store-c", "foo")
	checkErr(t, "GetXKSKey in another key store", err, keyhold.ErrNotFound)

	list, err := s.ListXKSKeys(ctx, "store-a")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range list {
		names = append(names, k.KeyStore+"/"+k.ID)
	}
	if d := diff([]string{"store-a/bar.key_1-x", "store-a/foo"}, names); d != "" {
		t.Fatalf("ListXKSKeys(store-a) (-want +got):\n%s", d)
	}
	all, _ := s.ListXKSKeys(ctx, "")
	if len(all) != 3 || all[2].KeyStore != "store-b" {
		t.Fatalf("ListXKSKeys(all) = %d keys", len(all))
	}

	a.AllowEncrypt, a.AllowDecrypt, a.Enabled = false, true, false
	a.CreationDate = at(50) // not mutable: ignored
	if err := s.UpdateXKSKey(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetXKSKey(ctx, "store-a", "foo")
	if got.AllowEncrypt || !got.AllowDecrypt || got.Enabled || !got.CreationDate.Equal(at(1)) {
		t.Fatalf("after UpdateXKSKey: %+v", got)
	}
	checkErr(t, "UpdateXKSKey of a missing key", s.UpdateXKSKey(ctx, newXKSKey("store-a", "none", 9)), keyhold.ErrNotFound)
}
