// Package storetest is the conformance suite for keyhold.Store. Every store
// driver runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, storetest.Factory{New: ..., Reopen: ...})
//	}
//
// The suite pins down what the Store interface leaves to words:
//
//   - Identities are compared byte for byte (ARNs, IDs, tag keys), and
//     ListKeys and ListTags sort in byte order (PostgreSQL: COLLATE "C").
//   - Times come back equal to within a microsecond (PostgreSQL's
//     timestamptz precision), in any location; the zero time round-trips as
//     the zero time.
//   - nil and empty slices are interchangeable, in both directions: a nil
//     EKT comes back empty or nil, an empty list may be nil or empty.
//   - Missing records give an error wrapping keyhold.ErrNotFound, including
//     ListTags and ListBackingKeys of a missing key, AddBackingKey to a
//     missing key and a backing key whose domain key is not stored. A
//     duplicate identity gives keyhold.ErrConflict, including duplicate tag
//     keys in one CreateKey. Errors are tested with errors.Is only.
//   - CreateKey is all or nothing; its backing key must belong to the key.
//   - ListKeys with a limit below 1 is an error.
//   - Backing keys and domain keys list by CreationDate, equal dates in the
//     order they were stored.
//
// The suite runs its tests in parallel, each on stores of its own.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/keyhold/keyhold"
)

// Factory makes the stores the suite tests.
type Factory struct {
	// New returns a new, empty store and arranges (t.Cleanup) for it to be
	// closed and removed when the test ends.
	New func(t *testing.T) keyhold.Store
	// Reopen closes s and opens the same database again, as a restarted
	// server would, arranging for the new store to be closed at the end of
	// the test. It proves that what s acknowledged was durable.
	Reopen func(t *testing.T, s keyhold.Store) keyhold.Store
}

// Run runs the conformance suite against the stores f makes.
func Run(t *testing.T, f Factory) {
	if f.New == nil || f.Reopen == nil {
		t.Fatal("storetest: Factory needs New and Reopen")
	}
	tests := append([]struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"CreateGetKey", testCreateGetKey},
		{"GetKeyNotFound", testGetKeyNotFound},
		{"CreateKeyConflict", testCreateKeyConflict},
		{"CreateKeyAtomic", testCreateKeyAtomic},
		{"ListKeys", testListKeys},
		{"ListKeysPagination", testListKeysPagination},
		{"UpdateKey", testUpdateKey},
		{"Tags", testTags},
		{"BackingKeys", testBackingKeys},
		{"AddBackingKeyErrors", testAddBackingKeyErrors},
		{"GetBackingKeyNotFound", testGetBackingKeyNotFound},
		{"ListBackingKeys", testListBackingKeys},
		{"DomainKeys", testDomainKeys},
		{"Accounts", testAccounts},
		{"AccessKeys", testAccessKeys},
		{"Reopen", testReopen},
		{"ConcurrentCreateKey", testConcurrentCreateKey},
		{"ConcurrentAddBackingKey", testConcurrentAddBackingKey},
		{"ConcurrentConflict", testConcurrentConflict},
		{"CanceledContext", testCanceledContext},
	}, managementTests...)
	tests = append(tests, importTests...)
	tests = append(tests, customKeyStoreTests...)
	tests = append(tests, grantTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, f)
		})
	}
}

// cmpOpts compares records the way the suite's contract says: times to
// within a microsecond in any location, nil equal to empty.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool {
		if a.IsZero() || b.IsZero() {
			return a.IsZero() == b.IsZero()
		}
		d := a.Sub(b)
		return d > -time.Microsecond && d < time.Microsecond
	}),
	cmpopts.EquateEmpty(),
}

func diff(want, got any) string { return cmp.Diff(want, got, cmpOpts) }

// Fixture values. Times carry nanoseconds and a non-UTC location, so a store
// that truncates to seconds or mangles zones fails.
const (
	account1 = "111122223333"
	account2 = "444455556666"
	region1  = "eu-central-1"
	region2  = "us-east-1"
)

var (
	zone  = time.FixedZone("UTC+2", 2*60*60)
	epoch = time.Date(2024, time.May, 6, 7, 8, 9, 123456789, zone)
)

// at returns epoch plus n minutes.
func at(n int) time.Time { return epoch.Add(time.Duration(n) * time.Minute) }

func materialID(n int) string { return fmt.Sprintf("%064x", n) }

func keyID(n int) string { return fmt.Sprintf("%08x-1234-5678-9abc-def012345678", n) }

// newKey returns a key with every field set to a distinct non-zero value.
func newKey(account, region, id string) *keyhold.Key {
	return &keyhold.Key{
		ARN:                 keyhold.KeyARN(region, account, id),
		ID:                  id,
		Account:             account,
		Region:              region,
		Description:         "key " + id + " — ünïcödé, 'quotes' and \"double\"",
		KeyUsage:            keyhold.KeyUsageEncryptDecrypt,
		KeySpec:             keyhold.KeySpecSymmetricDefault,
		Origin:              keyhold.OriginAWSKMS,
		State:               keyhold.KeyStatePendingDeletion,
		MultiRegion:         true,
		Policy:              `{"Version":"2012-10-17","Statement":[]}`,
		CreationDate:        at(0),
		DeletionDate:        at(7 * 24 * 60),
		PendingWindowInDays: 7,
		CurrentMaterialID:   materialID(1),
	}
}

func newDomainKey(id, region string, created time.Time) *keyhold.DomainKey {
	return &keyhold.DomainKey{
		ID:           id,
		Region:       region,
		Wrapped:      []byte("wrapped:" + id + "\x00\xff"),
		CreationDate: created,
	}
}

func newBackingKey(keyARN string, n int, domainKeyID string) *keyhold.BackingKey {
	// Every byte value, so a store that treats the EKT as text fails.
	ekt := make([]byte, 256)
	for i := range ekt {
		ekt[i] = byte(i + n)
	}
	return &keyhold.BackingKey{
		KeyARN:       keyARN,
		MaterialID:   materialID(n),
		DomainKeyID:  domainKeyID,
		EKT:          ekt,
		CreationDate: at(n),
	}
}

// domainKeyID is the domain key that setup stores in every new store.
const domainKeyID = "dk-0001"

// newStore returns f.New(t) with the domain key domainKeyID stored, which
// every backing key in the suite refers to.
func newStore(t *testing.T, f Factory) keyhold.Store {
	t.Helper()
	s := f.New(t)
	if err := s.CreateDomainKey(context.Background(), newDomainKey(domainKeyID, region1, at(-1))); err != nil {
		t.Fatalf("CreateDomainKey: %v", err)
	}
	return s
}

func mustCreateKey(t *testing.T, s keyhold.Store, k *keyhold.Key, tags []keyhold.Tag, bk *keyhold.BackingKey) {
	t.Helper()
	if err := s.CreateKey(context.Background(), k, tags, bk); err != nil {
		t.Fatalf("CreateKey(%s): %v", k.ARN, err)
	}
}

// checkErr reports whether err is what the case wants: nil, or an error
// wrapping want. A want of errAny accepts any non-nil error.
func checkErr(t *testing.T, op string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: unexpected error %v", op, err)
	case want == errAny && err == nil:
		t.Errorf("%s: succeeded, want an error", op)
	case want != nil && want != errAny && !errors.Is(err, want):
		t.Errorf("%s: error %v, want one wrapping %v", op, err, want)
	}
}

// errAny, as a case's wanted error, accepts any error.
var errAny = errors.New("any error")

// checkKeyAbsent fails the test unless no trace of the key arn is stored.
func checkKeyAbsent(t *testing.T, s keyhold.Store, arn string) {
	t.Helper()
	ctx := context.Background()
	if k, err := s.GetKey(ctx, arn); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetKey(%s) = %+v, %v; want ErrNotFound", arn, k, err)
	}
	if tags, err := s.ListTags(ctx, arn); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("ListTags(%s) = %v, %v; want ErrNotFound", arn, tags, err)
	}
	if bks, err := s.ListBackingKeys(ctx, arn); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("ListBackingKeys(%s) = %d backing keys, %v; want ErrNotFound", arn, len(bks), err)
	}
}
