package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/keyhold/keyhold"
)

// grantTests cover the grant methods.
var grantTests = []struct {
	name string
	fn   func(*testing.T, Factory)
}{
	{"Grants", testGrants},
	{"RetirableGrants", testRetirableGrants},
	{"ServicePrincipalGrants", testServicePrincipalGrants},
}

func newGrant(keyARN string, n int, retiring string) *keyhold.Grant {
	return &keyhold.Grant{
		KeyARN: keyARN, GrantID: fmt.Sprintf("%064x", n), Name: fmt.Sprintf("g%d", n),
		GranteePrincipal: "arn:aws:iam::111122223333:user/alice", RetiringPrincipal: retiring,
		IssuingAccount: "arn:aws:iam::111122223333:root", Operations: []string{"Encrypt", "Decrypt"},
		EncryptionContextSubset: map[string]string{"app": "x"}, CreationDate: at(n),
	}
}

func testGrants(t *testing.T, f Factory) {
	s := newStore(t, f)
	ctx := context.Background()
	keys := fixture(t, s, 2)
	for i := 1; i <= 3; i++ {
		if err := s.CreateGrant(ctx, newGrant(keys[0].ARN, i, "")); err != nil {
			t.Fatal(err)
		}
	}
	checkErr(t, "CreateGrant duplicate", s.CreateGrant(ctx, newGrant(keys[0].ARN, 1, "")), keyhold.ErrConflict)
	checkErr(t, "CreateGrant unknown key", s.CreateGrant(ctx, newGrant(keys[0].ARN+"x", 1, "")), keyhold.ErrNotFound)
	g, err := s.GetGrant(ctx, keys[0].ARN, newGrant("", 2, "").GrantID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(newGrant(keys[0].ARN, 2, ""), g); d != "" {
		t.Errorf("GetGrant (-want +got):\n%s", d)
	}
	eq := newGrant(keys[1].ARN, 9, "")
	eq.EncryptionContextSubset, eq.EncryptionContextEquals = nil, map[string]string{}
	if err := s.CreateGrant(ctx, eq); err != nil {
		t.Fatal(err)
	}
	if g, err := s.GetGrant(ctx, eq.KeyARN, eq.GrantID); err != nil || g.EncryptionContextSubset != nil || g.EncryptionContextEquals == nil {
		t.Errorf("constraints round trip: %+v, %v", g, err)
	}
	_, err = s.GetGrant(ctx, keys[1].ARN, newGrant("", 1, "").GrantID)
	checkErr(t, "GetGrant of another key", err, keyhold.ErrNotFound)
	page, err := s.ListGrants(ctx, keys[0].ARN, newGrant("", 1, "").GrantID, 1)
	if err != nil || len(page) != 1 || page[0].GrantID != newGrant("", 2, "").GrantID {
		t.Errorf("ListGrants page = %v, %v", page, err)
	}
	if n, err := s.CountGrants(ctx, keys[0].ARN); err != nil || n != 3 {
		t.Errorf("CountGrants = %d, %v", n, err)
	}
	if err := s.DeleteGrant(ctx, keys[0].ARN, newGrant("", 1, "").GrantID); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "DeleteGrant twice", s.DeleteGrant(ctx, keys[0].ARN, newGrant("", 1, "").GrantID), keyhold.ErrNotFound)
	// Deleting the key deletes its grants.
	if err := s.DeleteKey(ctx, keys[0].ARN); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountGrants(ctx, keys[0].ARN); err != nil || n != 0 {
		t.Errorf("CountGrants after DeleteKey = %d, %v", n, err)
	}
}

func testRetirableGrants(t *testing.T, f Factory) {
	s := newStore(t, f)
	ctx := context.Background()
	keys := fixture(t, s, 2)
	bob := "arn:aws:iam::111122223333:user/bob"
	for i, k := range []*keyhold.Key{keys[1], keys[0], keys[1]} {
		if err := s.CreateGrant(ctx, newGrant(k.ARN, i+1, bob)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateGrant(ctx, newGrant(keys[0].ARN, 7, "")); err != nil {
		t.Fatal(err)
	}
	var got []string
	ak, ag := "", ""
	for {
		page, err := s.ListRetirableGrants(ctx, bob, ak, ag, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page {
			got = append(got, g.KeyARN+"/"+g.GrantID[62:])
			ak, ag = g.KeyARN, g.GrantID
		}
		if len(page) < 2 {
			break
		}
	}
	want := []string{keys[0].ARN + "/02", keys[1].ARN + "/01", keys[1].ARN + "/03"}
	if d := diff(want, got); d != "" {
		t.Errorf("ListRetirableGrants (-want +got):\n%s", d)
	}
}

// testServicePrincipalGrants: the service-principal members and the
// SourceArn constraint round trip, and ListRetirableGrants finds a grant
// by its retiring service principal.
func testServicePrincipalGrants(t *testing.T, f Factory) {
	s := newStore(t, f)
	ctx := context.Background()
	keys := fixture(t, s, 1)
	svc := newGrant(keys[0].ARN, 1, "")
	svc.GranteePrincipal, svc.GranteeServicePrincipal = "", "logs.us-east-1.amazonaws.com"
	svc.RetiringServicePrincipal = "cloudtrail.amazonaws.com"
	svc.SourceArn = "arn:aws:logs:us-east-1:111122223333:log-group:app"
	mixed := newGrant(keys[0].ARN, 2, "")
	mixed.GranteePrincipal, mixed.GranteeServicePrincipal = "", "logs.amazonaws.com"
	mixed.RetiringPrincipal = "arn:aws:iam::111122223333:user/bob"
	mixed.SourceArn = "arn:aws:logs:us-east-1:111122223333:log-group:other"
	for _, g := range []*keyhold.Grant{svc, mixed} {
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []*keyhold.Grant{svc, mixed} {
		got, err := s.GetGrant(ctx, want.KeyARN, want.GrantID)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("GetGrant (-want +got):\n%s", d)
		}
	}
	all, err := s.ListGrants(ctx, keys[0].ARN, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]*keyhold.Grant{svc, mixed}, all); d != "" {
		t.Errorf("ListGrants (-want +got):\n%s", d)
	}
	// A grant without SourceArn reads back "".
	plain := newGrant(keys[0].ARN, 3, "")
	if err := s.CreateGrant(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if g, err := s.GetGrant(ctx, plain.KeyARN, plain.GrantID); err != nil || g.SourceArn != "" ||
		g.GranteeServicePrincipal != "" || g.RetiringServicePrincipal != "" {
		t.Errorf("plain grant round trip: %+v, %v", g, err)
	}
	page, err := s.ListRetirableGrants(ctx, "cloudtrail.amazonaws.com", "", "", 10)
	if err != nil || len(page) != 1 || page[0].GrantID != svc.GrantID {
		t.Errorf("ListRetirableGrants by service principal = %v, %v", page, err)
	}
	if d := diff(svc, page[0]); len(page) == 1 && d != "" {
		t.Errorf("ListRetirableGrants entry (-want +got):\n%s", d)
	}
	page, err = s.ListRetirableGrants(ctx, "arn:aws:iam::111122223333:user/bob", "", "", 10)
	if err != nil || len(page) != 1 || page[0].GrantID != mixed.GrantID {
		t.Errorf("ListRetirableGrants by principal = %v, %v", page, err)
	}
}
