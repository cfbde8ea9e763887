package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

func TestTimeEncoding(t *testing.T) {
	tests := []struct {
		name    string
		in      time.Time
		wantErr bool
	}{
		{name: "zero", in: time.Time{}},
		{name: "nanoseconds, non-UTC", in: time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", -7*3600))},
		{name: "Unix epoch", in: time.Unix(0, 0)},
		{name: "before 1970", in: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{name: "latest storable", in: maxTime},
		{name: "earliest storable", in: minTime},
		{name: "after 2262", in: maxTime.Add(time.Nanosecond), wantErr: true},
		{name: "before 1678", in: minTime.Add(-time.Nanosecond), wantErr: true},
		{name: "year 9999", in: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := encodeTime(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Errorf("encodeTime(%v) = %v, want an error", tt.in, n)
				}
				return
			}
			if err != nil {
				t.Fatalf("encodeTime(%v): %v", tt.in, err)
			}
			got := decodeTime(n)
			if !got.Equal(tt.in) {
				t.Errorf("round trip of %v gave %v", tt.in, got)
			}
			if !got.IsZero() && got.Location() != time.UTC {
				t.Errorf("decodeTime gave location %v, want UTC", got.Location())
			}
		})
	}
}

// TestUnstorableTimeWritesNothing checks that a time out of range fails the
// write rather than storing a wrapped-around value.
func TestUnstorableTimeWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	err := s.CreateAccount(ctx, &keyhold.Account{ID: "111122223333", CreationDate: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err == nil {
		t.Fatal("CreateAccount with a year-3000 date succeeded")
	}
	if _, err := s.GetAccount(ctx, "111122223333"); !errors.Is(err, keyhold.ErrNotFound) {
		t.Errorf("GetAccount after failed CreateAccount: %v, want ErrNotFound", err)
	}
}

// TestErrorsCarryNoBlobs checks that errors about records with sealed blobs
// name the records, never the blobs.
func TestErrorsCarryNoBlobs(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	const marker = "SEALED-BLOB-MARKER"
	now := time.Now()
	dk := &keyhold.DomainKey{ID: "dk-1", Region: "eu-central-1", Wrapped: []byte(marker), CreationDate: now}
	if err := s.CreateDomainKey(ctx, dk); err != nil {
		t.Fatal(err)
	}
	arn := keyhold.KeyARN("eu-central-1", "111122223333", "k1")
	k := &keyhold.Key{ARN: arn, ID: "k1", Account: "111122223333", Region: "eu-central-1", CreationDate: now}
	bk := &keyhold.BackingKey{KeyARN: arn, MaterialID: "m1", DomainKeyID: "dk-1", EKT: []byte(marker), CreationDate: now}
	if err := s.CreateKey(ctx, k, nil, bk); err != nil {
		t.Fatal(err)
	}
	ak := &keyhold.AccessKey{ID: "AKIA1", Account: "111122223333", SealedSecret: []byte(marker), CreationDate: now}
	if err := s.CreateAccessKey(ctx, ak); err != nil {
		t.Fatal(err)
	}
	errs := map[string]error{
		"CreateDomainKey": s.CreateDomainKey(ctx, dk),
		"AddBackingKey":   s.AddBackingKey(ctx, bk),
		"CreateKey":       s.CreateKey(ctx, k, nil, bk),
		"CreateAccessKey": s.CreateAccessKey(ctx, ak),
	}
	for op, err := range errs {
		if !errors.Is(err, keyhold.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", op, err)
			continue
		}
		if strings.Contains(err.Error(), marker) {
			t.Errorf("%s error contains the blob: %q", op, err)
		}
	}
}
