package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// importTests cover keyhold.ImportStore: import parameters, the import
// records of EXTERNAL keys and the transactions that change them together
// with the key.
var importTests = []struct {
	name string
	fn   func(*testing.T, Factory)
}{
	{"ImportParameters", testImportParameters},
	{"DeleteExpiredImportParameters", testDeleteExpiredImportParameters},
	{"ImportKeyMaterial", testImportKeyMaterial},
	{"ImportKeyMaterialAtomic", testImportKeyMaterialAtomic},
	{"EraseKeyMaterial", testEraseKeyMaterial},
	{"ForgetKeyMaterial", testForgetKeyMaterial},
	{"RotateToKeyMaterial", testRotateToKeyMaterial},
	{"ListExpiredKeyMaterials", testListExpiredKeyMaterials},
	{"KeyMaterialExpiryStats", testKeyMaterialExpiryStats},
	{"DeleteKeyWithImports", testDeleteKeyWithImports},
}

// externalKey stores an EXTERNAL key without key material, as CreateKey
// with Origin EXTERNAL does.
func externalKey(t *testing.T, s keyhold.Store, n int) *keyhold.Key {
	t.Helper()
	k := newKey(account1, region1, keyID(n))
	k.Origin = keyhold.OriginExternal
	k.State = keyhold.KeyStatePendingImport
	k.DeletionDate = time.Time{}
	k.PendingWindowInDays = 0
	k.CurrentMaterialID = ""
	mustCreateKey(t, s, k, nil, nil)
	return k
}

func newImportParameters(keyARN, tokenID string, validTo time.Time) *keyhold.ImportParameters {
	return &keyhold.ImportParameters{
		KeyARN:            keyARN,
		TokenID:           tokenID,
		DomainKeyID:       domainKeyID,
		SealedWrappingKey: []byte("sealed:" + tokenID + "\x00\xff"),
		CreationDate:      validTo.Add(-24 * time.Hour),
		ValidTo:           validTo,
	}
}

func newKeyMaterial(keyARN string, n int, validTo time.Time) *keyhold.KeyMaterial {
	m := &keyhold.KeyMaterial{
		KeyARN:          keyARN,
		MaterialID:      materialID(n),
		Description:     "material " + materialID(n)[60:],
		ImportState:     keyhold.ImportStateImported,
		ExpirationModel: keyhold.ExpirationModelDoesNotExpire,
		ImportDate:      at(n),
	}
	if !validTo.IsZero() {
		m.ExpirationModel = keyhold.ExpirationModelExpires
		m.ValidTo = validTo
	}
	return m
}

// importMaterial stores parameters for tokenID and imports m with them.
func importMaterial(t *testing.T, s keyhold.Store, k *keyhold.Key, tokenID string, bk *keyhold.BackingKey, m *keyhold.KeyMaterial) {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateImportParameters(ctx, newImportParameters(k.ARN, tokenID, at(24*60))); err != nil {
		t.Fatalf("CreateImportParameters: %v", err)
	}
	if err := s.ImportKeyMaterial(ctx, k, tokenID, bk, m); err != nil {
		t.Fatalf("ImportKeyMaterial: %v", err)
	}
}

func checkMaterials(t *testing.T, s keyhold.Store, keyARN string, want []*keyhold.KeyMaterial) {
	t.Helper()
	got, err := s.ListKeyMaterials(context.Background(), keyARN)
	if err != nil {
		t.Fatalf("ListKeyMaterials: %v", err)
	}
	if d := diff(want, got); d != "" {
		t.Fatalf("ListKeyMaterials (-want +got):\n%s", d)
	}
}

func checkKey(t *testing.T, s keyhold.Store, want *keyhold.Key) {
	t.Helper()
	got, err := s.GetKey(context.Background(), want.ARN)
	if err != nil {
		t.Fatalf("GetKey: %v", err)
	}
	if d := diff(want, got); d != "" {
		t.Fatalf("GetKey (-want +got):\n%s", d)
	}
}

func testImportParameters(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := externalKey(t, s, 1)
	p := newImportParameters(k.ARN, "0123456789abcdef0123456789abcdef", at(24*60))
	checkErr(t, "CreateImportParameters", s.CreateImportParameters(ctx, p), nil)
	checkErr(t, "CreateImportParameters again", s.CreateImportParameters(ctx, p), keyhold.ErrConflict)

	missingKey := newImportParameters(keyhold.KeyARN(region1, account1, keyID(99)), "aa", at(1))
	checkErr(t, "CreateImportParameters for a missing key", s.CreateImportParameters(ctx, missingKey), keyhold.ErrNotFound)
	missingDK := newImportParameters(k.ARN, "bb", at(1))
	missingDK.DomainKeyID = "dk-missing"
	checkErr(t, "CreateImportParameters with a missing domain key", s.CreateImportParameters(ctx, missingDK), keyhold.ErrNotFound)

	s = f.Reopen(t, s)
	got, err := s.GetImportParameters(ctx, k.ARN, p.TokenID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(p, got); d != "" {
		t.Fatalf("GetImportParameters (-want +got):\n%s", d)
	}
	_, err = s.GetImportParameters(ctx, k.ARN, "bb")
	checkErr(t, "GetImportParameters of a token that was never stored", err, keyhold.ErrNotFound)
	other := externalKey(t, s, 2)
	_, err = s.GetImportParameters(ctx, other.ARN, p.TokenID)
	checkErr(t, "GetImportParameters under another key", err, keyhold.ErrNotFound)
}

func testDeleteExpiredImportParameters(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := externalKey(t, s, 1)
	for i, validTo := range []time.Time{at(10), at(20), at(30)} {
		if err := s.CreateImportParameters(ctx, newImportParameters(k.ARN, materialID(i)[32:], validTo)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpiredImportParameters(ctx, at(5))
	if err != nil || n != 0 {
		t.Fatalf("DeleteExpiredImportParameters(before all) = %d, %v", n, err)
	}
	n, err = s.DeleteExpiredImportParameters(ctx, at(20)) // at ValidTo counts as expired
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredImportParameters(at(20)) = %d, %v; want 2", n, err)
	}
	for i, want := range []error{keyhold.ErrNotFound, keyhold.ErrNotFound, nil} {
		_, err := s.GetImportParameters(ctx, k.ARN, materialID(i)[32:])
		checkErr(t, "GetImportParameters after expiry", err, want)
	}
}

func testImportKeyMaterial(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := externalKey(t, s, 1)
	bk := newBackingKey(k.ARN, 7, domainKeyID)
	m := newKeyMaterial(k.ARN, 7, at(365*24*60))
	k.State = keyhold.KeyStateEnabled
	k.CurrentMaterialID = bk.MaterialID
	importMaterial(t, s, k, "token-1", bk, m)

	s = f.Reopen(t, s)
	checkKey(t, s, k)
	checkMaterials(t, s, k.ARN, []*keyhold.KeyMaterial{m})
	gotBK, err := s.GetBackingKey(ctx, k.ARN, bk.MaterialID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(bk, gotBK); d != "" {
		t.Fatalf("backing key (-want +got):\n%s", d)
	}
	// The token is used up.
	_, err = s.GetImportParameters(ctx, k.ARN, "token-1")
	checkErr(t, "GetImportParameters of a used token", err, keyhold.ErrNotFound)
	checkErr(t, "ImportKeyMaterial with a used token", s.ImportKeyMaterial(ctx, k, "token-1", bk, m), keyhold.ErrNotFound)

	// Importing the same material again replaces its EKT, domain key and
	// record, keeping the backing key's creation date and rotation type.
	if err := s.CreateDomainKey(ctx, newDomainKey("dk-0002", region1, at(1))); err != nil {
		t.Fatal(err)
	}
	again := newBackingKey(k.ARN, 7, "dk-0002")
	again.EKT = []byte("new ekt \x00\xff")
	again.CreationDate = at(500)
	again.RotationType = keyhold.RotationOnDemand
	m2 := newKeyMaterial(k.ARN, 7, time.Time{})
	m2.Description = ""
	m2.ImportDate = at(500)
	k.Description = "changed with the import"
	importMaterial(t, s, k, "token-2", again, m2)
	checkKey(t, s, k)
	checkMaterials(t, s, k.ARN, []*keyhold.KeyMaterial{m2})
	gotBK, err = s.GetBackingKey(ctx, k.ARN, bk.MaterialID)
	if err != nil {
		t.Fatal(err)
	}
	want := *bk
	want.EKT, want.DomainKeyID = again.EKT, again.DomainKeyID
	if d := diff(&want, gotBK); d != "" {
		t.Fatalf("re-imported backing key (-want +got):\n%s", d)
	}

	// A second material is listed after the first.
	bk2 := newBackingKey(k.ARN, 8, domainKeyID)
	m3 := newKeyMaterial(k.ARN, 8, time.Time{})
	m3.PendingRotation = true
	importMaterial(t, s, k, "token-3", bk2, m3)
	checkMaterials(t, s, k.ARN, []*keyhold.KeyMaterial{m2, m3})
	bks, err := s.ListBackingKeys(ctx, k.ARN)
	if err != nil || len(bks) != 2 {
		t.Fatalf("ListBackingKeys = %d, %v", len(bks), err)
	}

	_, err = s.ListKeyMaterials(ctx, keyhold.KeyARN(region1, account1, keyID(99)))
	checkErr(t, "ListKeyMaterials of a missing key", err, keyhold.ErrNotFound)
	plain := fixture(t, s, 1)[0] // a key without import records
	checkMaterials(t, s, plain.ARN, nil)
}

// testImportKeyMaterialAtomic makes the last step of ImportKeyMaterial
// (the key update) fail: nothing of the import may remain, the token
// included.
func testImportKeyMaterialAtomic(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := externalKey(t, s, 1)
	if err := s.CreateImportParameters(ctx, newImportParameters(k.ARN, "token-1", at(60))); err != nil {
		t.Fatal(err)
	}
	want := *k
	bk := newBackingKey(k.ARN, 7, domainKeyID)
	m := newKeyMaterial(k.ARN, 7, time.Time{})
	k.State, k.CurrentMaterialID = keyhold.KeyStateEnabled, bk.MaterialID
	ghost := *k
	ghost.ARN = keyhold.KeyARN(region1, account1, keyID(99))
	bk.KeyARN, m.KeyARN = ghost.ARN, ghost.ARN
	checkErr(t, "ImportKeyMaterial into a missing key", s.ImportKeyMaterial(ctx, &ghost, "token-1", bk, m), errAny)

	bk.KeyARN, m.KeyARN = k.ARN, k.ARN
	bad := newBackingKey(k.ARN, 7, "dk-missing") // fails on the domain key
	checkErr(t, "ImportKeyMaterial with a missing domain key", s.ImportKeyMaterial(ctx, k, "token-1", bad, m), errAny)
	if _, err := s.GetImportParameters(ctx, k.ARN, "token-1"); err != nil {
		t.Fatalf("a failed import used up the token: %v", err)
	}
	checkMaterials(t, s, k.ARN, nil)
	if bks, err := s.ListBackingKeys(ctx, k.ARN); err != nil || len(bks) != 0 {
		t.Fatalf("a failed import left %d backing keys (%v)", len(bks), err)
	}
	checkKey(t, s, &want)
}

func testEraseKeyMaterial(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := externalKey(t, s, 1)
	bk := newBackingKey(k.ARN, 7, domainKeyID)
	bk.RotationType = keyhold.RotationOnDemand
	m := newKeyMaterial(k.ARN, 7, at(60))
	k.State, k.CurrentMaterialID = keyhold.KeyStateEnabled, bk.MaterialID
	importMaterial(t, s, k, "token-1", bk, m)

	k.State = keyhold.KeyStatePendingImport
	if err := s.EraseKeyMaterial(ctx, k, bk.MaterialID); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	checkKey(t, s, k)
	m.ImportState, m.ExpirationModel, m.ValidTo = keyhold.ImportStatePendingImport, "", time.Time{}
	checkMaterials(t, s, k.ARN, []*keyhold.KeyMaterial{m})
	got, err := s.GetBackingKey(ctx, k.ARN, bk.MaterialID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.EKT) != 0 {
		t.Fatalf("erased material still has a %d-byte EKT", len(got.EKT))
	}
	want := *bk
	want.EKT = nil
	if d := diff(&want, got); d != "" {
		t.Fatalf("erased backing key (-want +got):\n%s", d)
	}
	if ms, err := s.ListExpiredKeyMaterials(ctx, at(1000)); err != nil || len(ms) != 0 {
		t.Fatalf("erased material listed as expired: %d, %v", len(ms), err)
	}
	checkErr(t, "EraseKeyMaterial of a missing record", s.EraseKeyMaterial(ctx, k, materialID(99)), keyhold.ErrNotFound)
}

func testForgetKeyMaterial(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := externalKey(t, s, 1)
	bk1, m1 := newBackingKey(k.ARN, 1, domainKeyID), newKeyMaterial(k.ARN, 1, time.Time{})
	k.State, k.CurrentMaterialID = keyhold.KeyStateEnabled, bk1.MaterialID
	importMaterial(t, s, k, "token-1", bk1, m1)
	bk2, m2 := newBackingKey(k.ARN, 2, domainKeyID), newKeyMaterial(k.ARN, 2, time.Time{})
	m2.PendingRotation = true
	importMaterial(t, s, k, "token-2", bk2, m2)

	k.Description = "forgot one"
	if err := s.ForgetKeyMaterial(ctx, k, bk2.MaterialID); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	checkKey(t, s, k)
	checkMaterials(t, s, k.ARN, []*keyhold.KeyMaterial{m1})
	_, err := s.GetBackingKey(ctx, k.ARN, bk2.MaterialID)
	checkErr(t, "GetBackingKey of forgotten material", err, keyhold.ErrNotFound)
	checkErr(t, "ForgetKeyMaterial again", s.ForgetKeyMaterial(ctx, k, bk2.MaterialID), keyhold.ErrNotFound)
	// The same id can be imported again afterwards.
	importMaterial(t, s, k, "token-3", bk2, m2)
	checkMaterials(t, s, k.ARN, []*keyhold.KeyMaterial{m1, m2})
}

func testRotateToKeyMaterial(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := externalKey(t, s, 1)
	bk1, m1 := newBackingKey(k.ARN, 1, domainKeyID), newKeyMaterial(k.ARN, 1, time.Time{})
	k.State, k.CurrentMaterialID = keyhold.KeyStateEnabled, bk1.MaterialID
	importMaterial(t, s, k, "token-1", bk1, m1)
	bk2, m2 := newBackingKey(k.ARN, 2, domainKeyID), newKeyMaterial(k.ARN, 2, time.Time{})
	m2.PendingRotation = true
	importMaterial(t, s, k, "token-2", bk2, m2)

	k.CurrentMaterialID = materialID(1)
	checkErr(t, "RotateToKeyMaterial with another current material",
		s.RotateToKeyMaterial(ctx, k, bk2.MaterialID, keyhold.RotationOnDemand, at(100)), errAny)
	k.CurrentMaterialID = bk2.MaterialID
	k.OnDemandRotations = 1
	if err := s.RotateToKeyMaterial(ctx, k, bk2.MaterialID, keyhold.RotationOnDemand, at(100)); err != nil {
		t.Fatal(err)
	}
	s = f.Reopen(t, s)
	checkKey(t, s, k)
	m2.PendingRotation = false
	checkMaterials(t, s, k.ARN, []*keyhold.KeyMaterial{m1, m2})
	got, err := s.GetBackingKey(ctx, k.ARN, bk2.MaterialID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RotationType != keyhold.RotationOnDemand || diff(at(100), got.CreationDate) != "" {
		t.Fatalf("rotated backing key: type %q date %v", got.RotationType, got.CreationDate)
	}
	k.CurrentMaterialID = materialID(99)
	checkErr(t, "RotateToKeyMaterial of a missing record",
		s.RotateToKeyMaterial(ctx, k, materialID(99), keyhold.RotationOnDemand, at(100)), keyhold.ErrNotFound)
}

func testListExpiredKeyMaterials(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k1, k2 := externalKey(t, s, 1), externalKey(t, s, 2)
	k1.State, k1.CurrentMaterialID = keyhold.KeyStateEnabled, materialID(1)
	k2.State, k2.CurrentMaterialID = keyhold.KeyStateEnabled, materialID(2)
	m1 := newKeyMaterial(k1.ARN, 1, at(30))
	m2 := newKeyMaterial(k2.ARN, 2, at(20))
	m3 := newKeyMaterial(k2.ARN, 3, time.Time{}) // does not expire
	importMaterial(t, s, k1, "t1", newBackingKey(k1.ARN, 1, domainKeyID), m1)
	importMaterial(t, s, k2, "t2", newBackingKey(k2.ARN, 2, domainKeyID), m2)
	importMaterial(t, s, k2, "t3", newBackingKey(k2.ARN, 3, domainKeyID), m3)

	for _, tc := range []struct {
		now  time.Time
		want []*keyhold.KeyMaterial
	}{
		{at(19), nil},
		{at(20), []*keyhold.KeyMaterial{m2}},
		{at(1000), []*keyhold.KeyMaterial{m2, m1}},
	} {
		got, err := s.ListExpiredKeyMaterials(ctx, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(tc.want, got); d != "" {
			t.Errorf("ListExpiredKeyMaterials(%v) (-want +got):\n%s", tc.now, d)
		}
	}
}

func testKeyMaterialExpiryStats(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	check := func(what string, by, wantSoonest time.Time, wantN int) {
		t.Helper()
		soonest, n, err := s.KeyMaterialExpiryStats(ctx, by)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if d := diff(wantSoonest, soonest); d != "" || n != wantN {
			t.Errorf("%s: KeyMaterialExpiryStats(%v) = %v, %d; want %v, %d", what, by, soonest, n, wantSoonest, wantN)
		}
	}
	check("empty store", at(1000), time.Time{}, 0)

	k1, k2, k3 := externalKey(t, s, 1), externalKey(t, s, 2), externalKey(t, s, 3)
	k1.State, k1.CurrentMaterialID = keyhold.KeyStateEnabled, materialID(1)
	k2.State, k2.CurrentMaterialID = keyhold.KeyStateEnabled, materialID(2)
	k3.State, k3.CurrentMaterialID = keyhold.KeyStateEnabled, materialID(4)
	importMaterial(t, s, k2, "t3", newBackingKey(k2.ARN, 3, domainKeyID), newKeyMaterial(k2.ARN, 3, time.Time{})) // does not expire
	check("material that does not expire", at(1000), time.Time{}, 0)

	importMaterial(t, s, k1, "t1", newBackingKey(k1.ARN, 1, domainKeyID), newKeyMaterial(k1.ARN, 1, at(30)))
	importMaterial(t, s, k2, "t2", newBackingKey(k2.ARN, 2, domainKeyID), newKeyMaterial(k2.ARN, 2, at(20)))
	importMaterial(t, s, k3, "t4", newBackingKey(k3.ARN, 4, domainKeyID), newKeyMaterial(k3.ARN, 4, at(10)))
	// Erased material (deleted or expired) no longer expires.
	k3.State = keyhold.KeyStatePendingImport
	if err := s.EraseKeyMaterial(ctx, k3, materialID(4)); err != nil {
		t.Fatal(err)
	}
	check("before any expiry", at(19), at(20), 0)
	check("at the first expiry", at(20), at(20), 1)
	check("after both", at(1000), at(20), 2)
	check("zero by", time.Time{}, at(20), 0)

	if err := s.DeleteKey(ctx, k2.ARN); err != nil {
		t.Fatal(err)
	}
	check("after DeleteKey", at(1000), at(30), 1)
}

func testDeleteKeyWithImports(t *testing.T, f Factory) {
	ctx := context.Background()
	s := newStore(t, f)
	k := externalKey(t, s, 1)
	k.State, k.CurrentMaterialID = keyhold.KeyStateEnabled, materialID(1)
	importMaterial(t, s, k, "t1", newBackingKey(k.ARN, 1, domainKeyID), newKeyMaterial(k.ARN, 1, at(30)))
	if err := s.CreateImportParameters(ctx, newImportParameters(k.ARN, "t2", at(60))); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteKey(ctx, k.ARN); err != nil {
		t.Fatalf("DeleteKey of a key with imported material: %v", err)
	}
	checkKeyAbsent(t, s, k.ARN)
	if _, err := s.ListKeyMaterials(ctx, k.ARN); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("ListKeyMaterials after DeleteKey: %v", err)
	}
	_, err := s.GetImportParameters(ctx, k.ARN, "t2")
	checkErr(t, "GetImportParameters after DeleteKey", err, keyhold.ErrNotFound)
	if ms, err := s.ListExpiredKeyMaterials(ctx, at(1000)); err != nil || len(ms) != 0 {
		t.Errorf("ListExpiredKeyMaterials after DeleteKey: %d, %v", len(ms), err)
	}
}
