package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// managementTests cover the management plane's methods: key deletion, due
// work, rotation, tag updates, aliases and last-usage records.
var managementTests = []struct {
	name string
	fn   func(*testing.T, Factory)
}{
	{"RotationFieldsRoundTrip", testRotationFields},
	{"DeleteKey", testDeleteKey},
	{"ListKeysDue", testListKeysDue},
	{"RotateKey", testRotateKey},
	{"UpdateTags", testUpdateTags},
	{"Aliases", testAliases},
	{"ListAliases", testListAliases},
	{"ConcurrentUpdateAlias", testConcurrentUpdateAlias},
	{"KeyUsage", testKeyUsage},
	{"KeyStats", testKeyStats},
}

// fixture stores a domain key and n enabled keys with one backing key each.
func fixture(t *testing.T, s keyhold.Store, n int) []*keyhold.Key {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateDomainKey(ctx, newDomainKey("dk-1", "us-east-1", at(0))); err != nil {
		t.Fatal(err)
	}
	var keys []*keyhold.Key
	for i := 1; i <= n; i++ {
		k := newKey("111122223333", "us-east-1", keyID(i))
		k.State = keyhold.KeyStateEnabled
		k.DeletionDate = time.Time{}
		k.PendingWindowInDays = 0
		k.CurrentMaterialID = materialID(100 * i)
		bk := newBackingKey(k.ARN, 100*i, "dk-1")
		mustCreateKey(t, s, k, []keyhold.Tag{{Key: "a", Value: "1"}}, bk)
		keys = append(keys, k)
	}
	return keys
}

func testRotationFields(t *testing.T, f Factory) {
	s := newStore(t, f)
	k := fixture(t, s, 1)[0]
	k.RotationEnabled = true
	k.RotationPeriodInDays = 90
	k.NextRotationDate = at(90 * 24 * 60)
	k.OnDemandRotationStartDate = at(5)
	k.OnDemandRotations = 3
	if err := s.UpdateKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	got, err := s.GetKey(context.Background(), k.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(k, got); d != "" {
		t.Fatalf("rotation fields (-want +got):\n%s", d)
	}
}

func testDeleteKey(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	keys := fixture(t, s, 2)
	a := &keyhold.Alias{Account: "111122223333", Region: "us-east-1", Name: "alias/x", TargetKeyARN: keys[0].ARN, CreationDate: at(1), LastUpdatedDate: at(1)}
	if err := s.CreateAlias(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.PutKeyUsage(ctx, []keyhold.KeyUsage{{KeyARN: keys[0].ARN, Operation: "Encrypt", Timestamp: at(2), RequestID: "r"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteKey(ctx, keys[0].ARN); err != nil {
		t.Fatal(err)
	}
	checkKeyAbsent(t, s, keys[0].ARN)
	_, err := s.GetAlias(ctx, a.Account, a.Region, a.Name)
	checkErr(t, "GetAlias of a deleted key's alias", err, keyhold.ErrNotFound)
	_, err = s.GetBackingKey(ctx, keys[0].ARN, keys[0].CurrentMaterialID)
	checkErr(t, "GetBackingKey of a deleted key", err, keyhold.ErrNotFound)
	_, err = s.GetKeyUsage(ctx, keys[0].ARN)
	checkErr(t, "GetKeyUsage of a deleted key", err, keyhold.ErrNotFound)
	checkErr(t, "DeleteKey twice", s.DeleteKey(ctx, keys[0].ARN), keyhold.ErrNotFound)
	if _, err := s.GetKey(ctx, keys[1].ARN); err != nil {
		t.Fatalf("the other key: %v", err)
	}
	// A new key may reuse nothing of the old one, but the alias name is free.
	a.TargetKeyARN = keys[1].ARN
	if err := s.CreateAlias(ctx, a); err != nil {
		t.Fatalf("alias name after deletion: %v", err)
	}
}

func testListKeysDue(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	keys := fixture(t, s, 5)
	// 0: pending deletion, due at 10; 1: pending deletion due at 30;
	// 2: rotation due at 10; 3: rotation due at 10 but disabled;
	// 4: rotation off.
	keys[0].State, keys[0].DeletionDate = keyhold.KeyStatePendingDeletion, at(10)
	keys[1].State, keys[1].DeletionDate = keyhold.KeyStatePendingDeletion, at(30)
	keys[2].RotationEnabled, keys[2].NextRotationDate, keys[2].RotationPeriodInDays = true, at(10), 90
	keys[3].RotationEnabled, keys[3].NextRotationDate, keys[3].State = true, at(10), keyhold.KeyStateDisabled
	for _, k := range keys {
		if err := s.UpdateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	due, err := s.ListKeysDue(ctx, at(10))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, k := range due {
		got[k.ARN] = true
	}
	if len(due) != 2 || !got[keys[0].ARN] || !got[keys[2].ARN] {
		t.Fatalf("ListKeysDue(at 10) = %d keys %v, want keys 0 and 2", len(due), got)
	}
	due, _ = s.ListKeysDue(ctx, at(9))
	if len(due) != 0 {
		t.Fatalf("ListKeysDue(at 9) = %d keys, want none", len(due))
	}
}

func testRotateKey(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := fixture(t, s, 1)[0]
	bk := newBackingKey(k.ARN, 700, "dk-1") // created after the fixture's material
	bk.RotationType = keyhold.RotationOnDemand
	k.CurrentMaterialID = bk.MaterialID
	k.OnDemandRotations = 1
	if err := s.RotateKey(ctx, k, bk); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	got, _ := s.GetKey(ctx, k.ARN)
	if got.CurrentMaterialID != bk.MaterialID || got.OnDemandRotations != 1 {
		t.Fatalf("after RotateKey: %+v", got)
	}
	bks, err := s.ListBackingKeys(ctx, k.ARN)
	if err != nil || len(bks) != 2 || bks[1].RotationType != keyhold.RotationOnDemand || bks[0].RotationType != "" {
		t.Fatalf("backing keys after RotateKey: %v %+v", err, bks)
	}
	// Atomic: a duplicate material leaves the key unchanged.
	k2 := *k
	k2.OnDemandRotations = 2
	checkErr(t, "RotateKey with an existing material", s.RotateKey(ctx, &k2, bk), keyhold.ErrConflict)
	got, _ = s.GetKey(ctx, k.ARN)
	if got.OnDemandRotations != 1 {
		t.Fatal("a failed RotateKey changed the key")
	}
}

func testUpdateTags(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := fixture(t, s, 1)[0]
	if err := s.UpdateTags(ctx, k.ARN, []keyhold.Tag{{Key: "a", Value: "2"}, {Key: "b", Value: ""}}, []string{"absent"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateTags(ctx, k.ARN, nil, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	tags, _ := s.ListTags(ctx, k.ARN)
	if d := diff([]keyhold.Tag{{Key: "a", Value: "2"}}, tags); d != "" {
		t.Fatalf("tags (-want +got):\n%s", d)
	}
	checkErr(t, "UpdateTags of a missing key", s.UpdateTags(ctx, "arn:aws:kms:us-east-1:111122223333:key/none", nil, nil), keyhold.ErrNotFound)
}

func testAliases(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	keys := fixture(t, s, 2)
	a := &keyhold.Alias{Account: "111122223333", Region: "us-east-1", Name: "alias/app", TargetKeyARN: keys[0].ARN, CreationDate: at(1), LastUpdatedDate: at(1)}
	if err := s.CreateAlias(ctx, a); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "CreateAlias twice", s.CreateAlias(ctx, a), keyhold.ErrConflict)
	other := *a
	other.Region = "eu-west-1" // same name, other region: fine
	if err := s.CreateAlias(ctx, &other); err != nil {
		t.Fatal(err)
	}
	bad := *a
	bad.Name, bad.TargetKeyARN = "alias/bad", "arn:aws:kms:us-east-1:111122223333:key/none"
	checkErr(t, "CreateAlias to a missing key", s.CreateAlias(ctx, &bad), keyhold.ErrNotFound)
	got, err := s.GetAlias(ctx, a.Account, a.Region, a.Name)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(a, got); d != "" {
		t.Fatalf("alias (-want +got):\n%s", d)
	}
	a.TargetKeyARN, a.LastUpdatedDate = keys[1].ARN, at(5)
	if err := s.UpdateAlias(ctx, a); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	got, _ = s.GetAlias(ctx, a.Account, a.Region, a.Name)
	if d := diff(a, got); d != "" {
		t.Fatalf("alias after update (-want +got):\n%s", d)
	}
	if n, _ := s.CountAliases(ctx, keys[1].ARN); n != 1 {
		t.Fatalf("CountAliases = %d", n)
	}
	missing := *a
	missing.Name = "alias/none"
	checkErr(t, "UpdateAlias of a missing alias", s.UpdateAlias(ctx, &missing), keyhold.ErrNotFound)
	if err := s.DeleteAlias(ctx, a.Account, a.Region, a.Name); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "DeleteAlias twice", s.DeleteAlias(ctx, a.Account, a.Region, a.Name), keyhold.ErrNotFound)
	_, err = s.GetAlias(ctx, a.Account, a.Region, a.Name)
	checkErr(t, "GetAlias after delete", err, keyhold.ErrNotFound)
}

func testListAliases(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	keys := fixture(t, s, 2)
	for i, name := range []string{"alias/b", "alias/A", "alias/a", "alias/c"} {
		a := &keyhold.Alias{Account: "111122223333", Region: "us-east-1", Name: name, TargetKeyARN: keys[i%2].ARN, CreationDate: at(i), LastUpdatedDate: at(i)}
		if err := s.CreateAlias(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	names := func(as []*keyhold.Alias) (out []string) {
		for _, a := range as {
			out = append(out, a.Name)
		}
		return out
	}
	all, err := s.ListAliases(ctx, "111122223333", "us-east-1", "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]string{"alias/A", "alias/a", "alias/b", "alias/c"}, names(all)); d != "" {
		t.Fatalf("ListAliases order (byte order) (-want +got):\n%s", d)
	}
	page, _ := s.ListAliases(ctx, "111122223333", "us-east-1", "", "alias/a", 1)
	if d := diff([]string{"alias/b"}, names(page)); d != "" {
		t.Fatalf("ListAliases after alias/a limit 1 (-want +got):\n%s", d)
	}
	k0, _ := s.ListAliases(ctx, "111122223333", "us-east-1", keys[0].ARN, "", 10)
	if d := diff([]string{"alias/a", "alias/b"}, names(k0)); d != "" {
		t.Fatalf("ListAliases of key 0 (-want +got):\n%s", d)
	}
	none, _ := s.ListAliases(ctx, "444455556666", "us-east-1", "", "", 10)
	if len(none) != 0 {
		t.Fatal("another account's ListAliases sees aliases")
	}
}

func testConcurrentUpdateAlias(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	keys := fixture(t, s, 4)
	a := &keyhold.Alias{Account: "111122223333", Region: "us-east-1", Name: "alias/race", TargetKeyARN: keys[0].ARN, CreationDate: at(0), LastUpdatedDate: at(0)}
	if err := s.CreateAlias(ctx, a); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			b := *a
			b.TargetKeyARN, b.LastUpdatedDate = keys[i%4].ARN, at(i)
			errs <- s.UpdateAlias(ctx, &b)
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, k := range keys {
		n, _ := s.CountAliases(ctx, k.ARN)
		total += n
	}
	if total != 1 {
		t.Fatalf("the alias points at %d keys", total)
	}
}

func testKeyUsage(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := fixture(t, s, 1)[0]
	_, err := s.GetKeyUsage(ctx, k.ARN)
	checkErr(t, "GetKeyUsage of an unused key", err, keyhold.ErrNotFound)
	u := keyhold.KeyUsage{KeyARN: k.ARN, Operation: "Encrypt", Timestamp: at(5), RequestID: "r1"}
	gone := keyhold.KeyUsage{KeyARN: "arn:aws:kms:us-east-1:111122223333:key/gone", Operation: "Decrypt", Timestamp: at(5), RequestID: "r2"}
	if err := s.PutKeyUsage(ctx, []keyhold.KeyUsage{u, gone}); err != nil {
		t.Fatalf("PutKeyUsage with a record of a deleted key must drop it: %v", err)
	}
	older := keyhold.KeyUsage{KeyARN: k.ARN, Operation: "Decrypt", Timestamp: at(1), RequestID: "r0"}
	if err := s.PutKeyUsage(ctx, []keyhold.KeyUsage{older}); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	got, err := s.GetKeyUsage(ctx, k.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(&u, got); d != "" {
		t.Fatalf("last usage keeps the newest record (-want +got):\n%s", d)
	}
	_, err = s.GetKeyUsage(ctx, gone.KeyARN)
	if !errors.Is(err, keyhold.ErrNotFound) {
		t.Fatalf("usage of a deleted key was stored: %v", err)
	}
}

func testKeyStats(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	keys := fixture(t, s, 3)
	keys[0].State = keyhold.KeyStateDisabled
	keys[1].RotationEnabled, keys[1].NextRotationDate = true, at(50)
	keys[2].RotationEnabled, keys[2].NextRotationDate = true, at(40)
	for _, k := range keys {
		if err := s.UpdateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	stats, next, err := s.KeyStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []keyhold.KeyStat{
		{State: keyhold.KeyStateDisabled, KeySpec: keyhold.KeySpecSymmetricDefault, Count: 1},
		{State: keyhold.KeyStateEnabled, KeySpec: keyhold.KeySpecSymmetricDefault, Count: 2},
	}
	if d := diff(want, stats); d != "" {
		t.Fatalf("KeyStats (-want +got):\n%s", d)
	}
	if !next.Equal(at(40)) {
		t.Fatalf("next rotation %v, want %v", next, at(40))
	}
}
