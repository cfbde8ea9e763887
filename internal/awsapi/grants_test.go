package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// TestServicePrincipalGrants: grants for AWS service principals (KMS API
// model 2026-05-20) through the SDK: create, ListGrants (entries and the
// GranteeServicePrincipal filter), ListRetirableGrants by either kind of
// retiring principal, RetireGrant, and the model's validation rules.
func TestServicePrincipalGrants(t *testing.T) {
	e := newEnv(t)
	c := e.client("111122223333", "us-east-1")
	ctx := context.Background()
	const (
		logs   = "logs.us-east-1.amazonaws.com"
		trail  = "cloudtrail.amazonaws.com"
		source = "arn:aws:logs:us-east-1:111122223333:log-group:app"
		bob    = "arn:aws:iam::111122223333:user/bob"
		alice  = "arn:aws:iam::111122223333:user/alice"
	)
	k := must(c.CreateKey(ctx, &kms.CreateKeyInput{}))
	keyID := k.KeyMetadata.KeyId
	keyARN := aws.ToString(k.KeyMetadata.Arn)
	ops := []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationEncrypt}

	svc := must(c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: keyID, Operations: ops, Name: aws.String("svc"),
		GranteeServicePrincipal: aws.String(logs), RetiringServicePrincipal: aws.String(trail),
		Constraints: &types.GrantConstraints{SourceArn: aws.String(source)}}))
	// The same named grant again returns the same grant id.
	again := must(c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: keyID, Operations: ops, Name: aws.String("svc"),
		GranteeServicePrincipal: aws.String(logs), RetiringServicePrincipal: aws.String(trail),
		Constraints: &types.GrantConstraints{SourceArn: aws.String(source)}}))
	if aws.ToString(again.GrantId) != aws.ToString(svc.GrantId) {
		t.Errorf("CreateGrant again: grant id %s, want %s", aws.ToString(again.GrantId), aws.ToString(svc.GrantId))
	}
	mixed := must(c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: keyID, Operations: ops,
		GranteeServicePrincipal: aws.String("logs.amazonaws.com"), RetiringPrincipal: aws.String(bob),
		Constraints: &types.GrantConstraints{SourceArn: aws.String(source),
			EncryptionContextSubset: map[string]string{"app": "x"}}}))
	// A principal grant with a SourceArn constraint.
	plain := must(c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: keyID, Operations: ops,
		GranteePrincipal: aws.String(alice), Constraints: &types.GrantConstraints{SourceArn: aws.String(source)}}))

	lg := must(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: keyID}))
	if len(lg.Grants) != 3 {
		t.Fatalf("ListGrants: %d grants, want 3", len(lg.Grants))
	}
	byID := map[string]types.GrantListEntry{}
	for _, g := range lg.Grants {
		byID[aws.ToString(g.GrantId)] = g
	}
	g := byID[aws.ToString(svc.GrantId)]
	if aws.ToString(g.GranteeServicePrincipal) != logs || aws.ToString(g.RetiringServicePrincipal) != trail ||
		g.GranteePrincipal != nil || g.RetiringPrincipal != nil || aws.ToString(g.KeyId) != keyARN ||
		g.Constraints == nil || aws.ToString(g.Constraints.SourceArn) != source ||
		g.Constraints.EncryptionContextEquals != nil || g.Constraints.EncryptionContextSubset != nil {
		t.Errorf("service grant entry: %+v, constraints %+v", g, g.Constraints)
	}
	g = byID[aws.ToString(mixed.GrantId)]
	if aws.ToString(g.GranteeServicePrincipal) != "logs.amazonaws.com" || aws.ToString(g.RetiringPrincipal) != bob ||
		g.RetiringServicePrincipal != nil || g.Constraints == nil || aws.ToString(g.Constraints.SourceArn) != source ||
		g.Constraints.EncryptionContextSubset["app"] != "x" {
		t.Errorf("mixed grant entry: %+v, constraints %+v", g, g.Constraints)
	}
	g = byID[aws.ToString(plain.GrantId)]
	if aws.ToString(g.GranteePrincipal) != alice || g.GranteeServicePrincipal != nil ||
		g.Constraints == nil || aws.ToString(g.Constraints.SourceArn) != source {
		t.Errorf("principal grant entry: %+v, constraints %+v", g, g.Constraints)
	}

	f := must(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: keyID, GranteeServicePrincipal: aws.String(logs)}))
	if len(f.Grants) != 1 || aws.ToString(f.Grants[0].GrantId) != aws.ToString(svc.GrantId) {
		t.Errorf("ListGrants GranteeServicePrincipal filter: %+v", f.Grants)
	}
	f = must(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: keyID, GranteePrincipal: aws.String(alice)}))
	if len(f.Grants) != 1 || aws.ToString(f.Grants[0].GrantId) != aws.ToString(plain.GrantId) {
		t.Errorf("ListGrants GranteePrincipal filter: %+v", f.Grants)
	}

	r := must(c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringServicePrincipal: aws.String(trail)}))
	if len(r.Grants) != 1 || aws.ToString(r.Grants[0].GrantId) != aws.ToString(svc.GrantId) ||
		aws.ToString(r.Grants[0].RetiringServicePrincipal) != trail {
		t.Errorf("ListRetirableGrants RetiringServicePrincipal: %+v", r.Grants)
	}
	r = must(c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(bob)}))
	if len(r.Grants) != 1 || aws.ToString(r.Grants[0].GrantId) != aws.ToString(mixed.GrantId) {
		t.Errorf("ListRetirableGrants RetiringPrincipal: %+v", r.Grants)
	}
	r = must(c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringServicePrincipal: aws.String("s3.amazonaws.com")}))
	if len(r.Grants) != 0 {
		t.Errorf("ListRetirableGrants of another service: %+v", r.Grants)
	}

	// Another account's grants retirable by the same service principal
	// are not listed to this account, and the other way round; paging.
	c2 := e.client("444455556666", "us-east-1")
	k2 := must(c2.CreateKey(ctx, &kms.CreateKeyInput{}))
	for range 2 {
		must(c2.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k2.KeyMetadata.KeyId, Operations: ops,
			GranteeServicePrincipal: aws.String(logs), RetiringServicePrincipal: aws.String(trail),
			Constraints: &types.GrantConstraints{SourceArn: aws.String("arn:aws:logs:us-east-1:444455556666:log-group:app")}}))
	}
	r = must(c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringServicePrincipal: aws.String(trail)}))
	if len(r.Grants) != 1 || aws.ToString(r.Grants[0].GrantId) != aws.ToString(svc.GrantId) {
		t.Errorf("ListRetirableGrants with another account's grants: %+v", r.Grants)
	}
	var ids []string
	in2 := &kms.ListRetirableGrantsInput{RetiringServicePrincipal: aws.String(trail), Limit: aws.Int32(1)}
	for {
		p := must(c2.ListRetirableGrants(ctx, in2))
		for _, g := range p.Grants {
			if aws.ToString(g.KeyId) != aws.ToString(k2.KeyMetadata.Arn) {
				t.Errorf("account 2 sees grant on %s", aws.ToString(g.KeyId))
			}
			ids = append(ids, aws.ToString(g.GrantId))
		}
		if !p.Truncated {
			break
		}
		in2.Marker = p.NextMarker
	}
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Errorf("account 2 ListRetirableGrants pages: %v", ids)
	}

	// SourceArn is valid on any key, not only symmetric encryption keys.
	sk := must(c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify}))
	must(c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: sk.KeyMetadata.KeyId, Operations: []types.GrantOperation{types.GrantOperationSign},
		GranteeServicePrincipal: aws.String(logs), RetiringPrincipal: aws.String(bob),
		Constraints: &types.GrantConstraints{SourceArn: aws.String(source)}}))

	// The account revokes a service-principal grant like any other.
	must(c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: keyID, GrantId: svc.GrantId}))
	r = must(c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringServicePrincipal: aws.String(trail)}))
	if len(r.Grants) != 0 {
		t.Errorf("ListRetirableGrants after RevokeGrant: %+v", r.Grants)
	}

	src := &types.GrantConstraints{SourceArn: aws.String(source)}
	for _, tc := range []struct {
		name string
		in   kms.CreateGrantInput
		msg  string
	}{
		{"no grantee", kms.CreateGrantInput{RetiringPrincipal: aws.String(bob)},
			"You must specify either GranteePrincipal or GranteeServicePrincipal."},
		{"both grantees", kms.CreateGrantInput{GranteePrincipal: aws.String(alice), GranteeServicePrincipal: aws.String(logs),
			RetiringPrincipal: aws.String(bob), Constraints: src},
			"You must specify either GranteePrincipal or GranteeServicePrincipal, but not both."},
		{"both retiring", kms.CreateGrantInput{GranteePrincipal: aws.String(alice),
			RetiringPrincipal: aws.String(bob), RetiringServicePrincipal: aws.String(trail)},
			"You can specify either RetiringPrincipal or RetiringServicePrincipal, but not both."},
		{"service grantee without SourceArn", kms.CreateGrantInput{GranteeServicePrincipal: aws.String(logs),
			RetiringPrincipal: aws.String(bob)},
			"When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint."},
		{"service grantee with other constraints only", kms.CreateGrantInput{GranteeServicePrincipal: aws.String(logs),
			RetiringPrincipal: aws.String(bob), Constraints: &types.GrantConstraints{EncryptionContextSubset: map[string]string{"a": "b"}}},
			"When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint."},
		{"service grantee without retiring principal", kms.CreateGrantInput{GranteeServicePrincipal: aws.String(logs), Constraints: src},
			"When you specify a GranteeServicePrincipal, you must also specify either a RetiringPrincipal or a RetiringServicePrincipal."},
		{"malformed service principal", kms.CreateGrantInput{GranteeServicePrincipal: aws.String("logs"),
			RetiringPrincipal: aws.String(bob), Constraints: src}, ""},
		{"malformed SourceArn", kms.CreateGrantInput{GranteeServicePrincipal: aws.String(logs),
			RetiringPrincipal: aws.String(bob), Constraints: &types.GrantConstraints{SourceArn: aws.String("arn:aws:logs:us-east-1:1:x")}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.KeyId, in.Operations = keyID, ops
			_, err := c.CreateGrant(ctx, &in)
			wantErr(t, err, "ValidationException", tc.msg)
		})
	}
	_, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: keyID, GranteePrincipal: aws.String(alice), GranteeServicePrincipal: aws.String(logs)})
	wantErr(t, err, "ValidationException", "You can specify either GranteePrincipal or GranteeServicePrincipal, but not both.")
	_, err = c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{})
	wantErr(t, err, "ValidationException", "You must specify either RetiringPrincipal or RetiringServicePrincipal.")
	_, err = c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(bob), RetiringServicePrincipal: aws.String(trail)})
	wantErr(t, err, "ValidationException", "You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both.")
	_, err = c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringServicePrincipal: aws.String("not a service")})
	wantErr(t, err, "ValidationException", "")
}
