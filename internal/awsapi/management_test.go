package awsapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

var bg = context.Background()

const acct = "111122223333"

func arnOf(id string) string { return "arn:aws:kms:us-east-1:" + acct + ":key/" + id }

func TestKeyStateOperations(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	id := *must(c.CreateKey(bg, &kms.CreateKeyInput{Description: aws.String("a")})).KeyMetadata.KeyId
	arn := arnOf(id)

	must(c.UpdateKeyDescription(bg, &kms.UpdateKeyDescriptionInput{KeyId: &id, Description: aws.String("b")}))
	must(c.DisableKey(bg, &kms.DisableKeyInput{KeyId: &id}))
	d := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id}))
	if d.KeyMetadata.KeyState != types.KeyStateDisabled || d.KeyMetadata.Enabled || *d.KeyMetadata.Description != "b" {
		t.Fatalf("after DisableKey: %+v", d.KeyMetadata)
	}
	_, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")})
	wantErr(t, err, "DisabledException", arn+" is disabled.")
	must(c.EnableKey(bg, &kms.EnableKeyInput{KeyId: &id}))
	must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")}))

	for _, w := range []int32{6, 31} {
		_, err = c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(w)})
		wantErr(t, err, "ValidationException", fmt.Sprintf("PendingWindowInDays value %d is not in the valid range of 7 to 30.", w))
	}
	_, err = c.CancelKeyDeletion(bg, &kms.CancelKeyDeletionInput{KeyId: &id})
	wantErr(t, err, "KMSInvalidStateException", arn+" is not pending deletion.")
	sd := must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &id}))
	if *sd.KeyId != arn || sd.KeyState != types.KeyStatePendingDeletion || *sd.PendingWindowInDays != 30 ||
		!sd.DeletionDate.Equal(e.clock.Now().Add(30*24*time.Hour).Truncate(time.Microsecond)) && sd.DeletionDate.Sub(e.clock.Now().Add(30*24*time.Hour)).Abs() > time.Millisecond {
		t.Fatalf("ScheduleKeyDeletion: %+v", sd)
	}
	d = must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id}))
	if d.KeyMetadata.DeletionDate == nil || aws.ToInt32(d.KeyMetadata.PendingDeletionWindowInDays) != 30 {
		t.Fatalf("DescribeKey while pending deletion: %+v", d.KeyMetadata)
	}
	_, err = c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")})
	wantErr(t, err, "KMSInvalidStateException", arn+" is pending deletion.")
	_, err = c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &id})
	wantErr(t, err, "KMSInvalidStateException", arn+" is pending deletion.")
	cd := must(c.CancelKeyDeletion(bg, &kms.CancelKeyDeletionInput{KeyId: &id}))
	if *cd.KeyId != arn {
		t.Fatalf("CancelKeyDeletion KeyId %q", *cd.KeyId)
	}
	d = must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id}))
	if d.KeyMetadata.KeyState != types.KeyStateDisabled || d.KeyMetadata.DeletionDate != nil {
		t.Fatalf("after CancelKeyDeletion the key must be Disabled: %+v", d.KeyMetadata)
	}
	_, err = c.EnableKey(bg, &kms.EnableKeyInput{KeyId: aws.String("alias/x")})
	wantErr(t, err, "InvalidArnException", "Key Aliases are not supported for this operation.")
}

// TestDeletionAfterWindow moves the clock past the waiting period: the key,
// its aliases and its ciphertexts are gone for good.
func TestDeletionAfterWindow(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	id := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	keep := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/doomed"), TargetKeyId: &id}))
	must(c.TagResource(bg, &kms.TagResourceInput{KeyId: &id, Tags: []types.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}}}))
	blob := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String("alias/doomed"), Plaintext: []byte("bye")})).CiphertextBlob
	must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(7)}))

	e.clock.Advance(7*24*time.Hour - time.Minute)
	e.svc.RunWorkersOnce(bg)
	must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id})) // not yet

	e.clock.Advance(2 * time.Minute)
	e.svc.RunWorkersOnce(bg)
	_, err := c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id})
	wantErr(t, err, "NotFoundException", "Key '"+arnOf(id)+"' does not exist")
	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: blob})
	wantErr(t, err, "NotFoundException", "")
	_, err = c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String("alias/doomed")})
	wantErr(t, err, "NotFoundException", "Alias arn:aws:kms:us-east-1:"+acct+":alias/doomed is not found.")
	la := must(c.ListAliases(bg, &kms.ListAliasesInput{}))
	if len(la.Aliases) != 0 {
		t.Fatalf("aliases survived deletion: %+v", la.Aliases)
	}
	lk := must(c.ListKeys(bg, &kms.ListKeysInput{}))
	if len(lk.Keys) != 1 || *lk.Keys[0].KeyId != keep {
		t.Fatalf("ListKeys after deletion: %+v", lk.Keys)
	}
	// The name is free again.
	must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/doomed"), TargetKeyId: &keep}))
}

func TestAliases(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	k1 := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	k2 := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	aliasARN := "arn:aws:kms:us-east-1:" + acct + ":alias/app"

	_, err := c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("app"), TargetKeyId: &k1})
	wantErr(t, err, "ValidationException", `Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`)
	_, err = c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/aws/s3"), TargetKeyId: &k1})
	wantErr(t, err, "InvalidAliasNameException", "")
	_, err = c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/bad name"), TargetKeyId: &k1})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'alias/bad name' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
	_, err = c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String("alias/other")})
	wantErr(t, err, "InvalidArnException", "")

	must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &k1}))
	_, err = c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &k2})
	wantErr(t, err, "AlreadyExistsException", "An alias with the name "+aliasARN+" already exists")

	// An alias name or alias ARN works where AWS accepts one.
	for _, ref := range []string{"alias/app", aliasARN} {
		d := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(ref)}))
		if *d.KeyMetadata.KeyId != k1 {
			t.Fatalf("DescribeKey(%s) = %s", ref, *d.KeyMetadata.KeyId)
		}
	}
	blob := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String("alias/app"), Plaintext: []byte("p")})).CiphertextBlob
	must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(aliasARN)}))
	must(c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: aws.String(aliasARN), KeySpec: types.DataKeySpecAes256}))

	// UpdateAlias moves it; the blob names k1, so Decrypt with the alias
	// (now k2) is the wrong key.
	must(c.UpdateAlias(bg, &kms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &k2}))
	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String("alias/app")})
	wantErr(t, err, "IncorrectKeyException", "")
	_, err = c.UpdateAlias(bg, &kms.UpdateAliasInput{AliasName: aws.String("alias/none"), TargetKeyId: &k2})
	wantErr(t, err, "NotFoundException", "Alias arn:aws:kms:us-east-1:"+acct+":alias/none is not found.")

	// ListAliases: pagination, KeyId filter, AWS's members.
	for i := 0; i < 4; i++ {
		must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String(fmt.Sprintf("alias/k1-%d", i)), TargetKeyId: &k1}))
	}
	var names []string
	var marker *string
	for {
		out := must(c.ListAliases(bg, &kms.ListAliasesInput{Limit: aws.Int32(2), Marker: marker}))
		for _, a := range out.Aliases {
			names = append(names, *a.AliasName)
			if *a.AliasArn != "arn:aws:kms:us-east-1:"+acct+":"+*a.AliasName || a.TargetKeyId == nil || a.CreationDate == nil || a.LastUpdatedDate == nil {
				t.Fatalf("alias entry %+v", a)
			}
		}
		if !out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	if strings.Join(names, ",") != "alias/app,alias/k1-0,alias/k1-1,alias/k1-2,alias/k1-3" {
		t.Fatalf("ListAliases pages: %v", names)
	}
	f := must(c.ListAliases(bg, &kms.ListAliasesInput{KeyId: &k2}))
	if len(f.Aliases) != 1 || *f.Aliases[0].AliasName != "alias/app" || *f.Aliases[0].TargetKeyId != k2 {
		t.Fatalf("ListAliases KeyId filter: %+v", f.Aliases)
	}
	_, err = c.ListAliases(bg, &kms.ListAliasesInput{Marker: aws.String("forged")})
	wantErr(t, err, "InvalidMarkerException", "")
	_, err = c.ListAliases(bg, &kms.ListAliasesInput{Limit: aws.Int32(101)})
	wantErr(t, err, "ValidationException", "")
	// Another account's marker cannot reach this account's aliases.
	other := e.client("444455556666", "us-east-1")
	o := must(other.ListAliases(bg, &kms.ListAliasesInput{Marker: marker}))
	if len(o.Aliases) != 0 {
		t.Fatalf("another account sees %v", o.Aliases)
	}

	must(c.DeleteAlias(bg, &kms.DeleteAliasInput{AliasName: aws.String("alias/app")}))
	_, err = c.DeleteAlias(bg, &kms.DeleteAliasInput{AliasName: aws.String("alias/app")})
	wantErr(t, err, "NotFoundException", "Alias "+aliasARN+" is not found.")

	// At most 50 aliases per key.
	for i := 4; i < 50; i++ {
		must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String(fmt.Sprintf("alias/k1-%d", i)), TargetKeyId: &k1}))
	}
	_, err = c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/k1-50"), TargetKeyId: &k1})
	wantErr(t, err, "LimitExceededException", "")
}

// TestConcurrentUpdateAlias: racing UpdateAlias calls leave the alias on
// exactly one of the targets, and every caller got an answer.
func TestConcurrentUpdateAlias(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	var keys []string
	for i := 0; i < 4; i++ {
		keys = append(keys, *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId)
	}
	must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/race"), TargetKeyId: &keys[0]}))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := c.UpdateAlias(bg, &kms.UpdateAliasInput{AliasName: aws.String("alias/race"), TargetKeyId: &keys[i%4]})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	out := must(c.ListAliases(bg, &kms.ListAliasesInput{}))
	if len(out.Aliases) != 1 {
		t.Fatalf("aliases: %+v", out.Aliases)
	}
	d := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String("alias/race")}))
	if *d.KeyMetadata.KeyId != *out.Aliases[0].TargetKeyId {
		t.Fatal("alias resolution and listing disagree")
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	tag := func(k, v string) types.Tag { return types.Tag{TagKey: aws.String(k), TagValue: aws.String(v)} }
	id := *must(c.CreateKey(bg, &kms.CreateKeyInput{Tags: []types.Tag{tag("tag1", "value1"), tag("tag2", "value2")}})).KeyMetadata.KeyId
	must(c.TagResource(bg, &kms.TagResourceInput{KeyId: &id, Tags: []types.Tag{tag("tag2", "updated_value2"), tag("tag3", "value3")}}))
	must(c.UntagResource(bg, &kms.UntagResourceInput{KeyId: &id, TagKeys: []string{"tag1", "absent"}}))
	lt := must(c.ListResourceTags(bg, &kms.ListResourceTagsInput{KeyId: &id}))
	var got []string
	for _, tg := range lt.Tags {
		got = append(got, *tg.TagKey+"="+*tg.TagValue)
	}
	if strings.Join(got, ",") != "tag2=updated_value2,tag3=value3" || lt.Truncated {
		t.Fatalf("ListResourceTags: %v", got)
	}
	p1 := must(c.ListResourceTags(bg, &kms.ListResourceTagsInput{KeyId: &id, Limit: aws.Int32(1)}))
	p2 := must(c.ListResourceTags(bg, &kms.ListResourceTagsInput{KeyId: &id, Limit: aws.Int32(1), Marker: p1.NextMarker}))
	if !p1.Truncated || p2.Truncated || *p1.Tags[0].TagKey != "tag2" || *p2.Tags[0].TagKey != "tag3" {
		t.Fatalf("tag pages: %+v %+v", p1, p2)
	}

	_, err := c.TagResource(bg, &kms.TagResourceInput{KeyId: &id, Tags: []types.Tag{tag("aws:x", "")}})
	wantErr(t, err, "TagException", "Tags beginning with aws: are reserved")
	_, err = c.TagResource(bg, &kms.TagResourceInput{KeyId: &id, Tags: []types.Tag{tag("d", "1"), tag("d", "2")}})
	wantErr(t, err, "TagException", "Duplicate tag keys")
	var many []types.Tag
	for i := 0; i < 49; i++ {
		many = append(many, tag(fmt.Sprintf("t%02d", i), ""))
	}
	_, err = c.TagResource(bg, &kms.TagResourceInput{KeyId: &id, Tags: many}) // 2 + 49 = 51
	wantErr(t, err, "TagException", "Too many tags")
	_, err = c.TagResource(bg, &kms.TagResourceInput{KeyId: &id, Tags: []types.Tag{tag(strings.Repeat("a", 129), "")}})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '"+strings.Repeat("a", 129)+"' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128")
	must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &id}))
	_, err = c.TagResource(bg, &kms.TagResourceInput{KeyId: &id, Tags: []types.Tag{tag("x", "")}})
	wantErr(t, err, "KMSInvalidStateException", arnOf(id)+" is pending deletion.")
}

// TestRotation enables rotation with a 90-day period, moves the clock past
// it, and checks that a new material is current and old ciphertexts still
// decrypt; then rotates on demand up to the limit.
func TestRotation(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	id := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	arn := arnOf(id)
	first := *must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id})).KeyMetadata.CurrentKeyMaterialId
	old := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("old"), EncryptionContext: map[string]string{"a": "b"}})).CiphertextBlob

	st := must(c.GetKeyRotationStatus(bg, &kms.GetKeyRotationStatusInput{KeyId: &id}))
	if st.KeyRotationEnabled || st.RotationPeriodInDays != nil || st.NextRotationDate != nil {
		t.Fatalf("initial rotation status: %+v", st)
	}
	_, err := c.EnableKeyRotation(bg, &kms.EnableKeyRotationInput{KeyId: &id, RotationPeriodInDays: aws.Int32(89)})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90")
	must(c.EnableKeyRotation(bg, &kms.EnableKeyRotationInput{KeyId: &id, RotationPeriodInDays: aws.Int32(90)}))
	st = must(c.GetKeyRotationStatus(bg, &kms.GetKeyRotationStatusInput{KeyId: &id}))
	if !st.KeyRotationEnabled || *st.RotationPeriodInDays != 90 || *st.KeyId != arn ||
		st.NextRotationDate.Sub(e.clock.Now().Add(90*24*time.Hour)).Abs() > time.Second {
		t.Fatalf("rotation status: %+v", st)
	}

	e.clock.Advance(89 * 24 * time.Hour)
	e.svc.RunWorkersOnce(bg)
	if cur := *must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id})).KeyMetadata.CurrentKeyMaterialId; cur != first {
		t.Fatal("rotated before the period passed")
	}
	e.clock.Advance(24*time.Hour + time.Second)
	e.svc.RunWorkersOnce(bg)
	second := *must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id})).KeyMetadata.CurrentKeyMaterialId
	if second == first {
		t.Fatal("no rotation after 90 days")
	}
	dec := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: old, EncryptionContext: map[string]string{"a": "b"}}))
	if string(dec.Plaintext) != "old" || *dec.KeyMaterialId != first {
		t.Fatalf("old ciphertext after rotation: %q material %s", dec.Plaintext, *dec.KeyMaterialId)
	}
	enc := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("new")}))
	if d := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})); *d.KeyMaterialId != second {
		t.Fatalf("new ciphertext used material %s, want %s", *d.KeyMaterialId, second)
	}
	re := must(c.ReEncrypt(bg, &kms.ReEncryptInput{CiphertextBlob: old, SourceEncryptionContext: map[string]string{"a": "b"}, DestinationKeyId: &id}))
	if *re.SourceKeyMaterialId != first || *re.DestinationKeyMaterialId != second {
		t.Fatalf("ReEncrypt materials %s -> %s", *re.SourceKeyMaterialId, *re.DestinationKeyMaterialId)
	}
	st = must(c.GetKeyRotationStatus(bg, &kms.GetKeyRotationStatusInput{KeyId: &id}))
	if st.NextRotationDate.Sub(e.clock.Now().Add(90*24*time.Hour)).Abs() > time.Second {
		t.Fatalf("next rotation not rescheduled: %v", st.NextRotationDate)
	}

	// On demand.
	od := must(c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: &id}))
	if *od.KeyId != arn {
		t.Fatalf("RotateKeyOnDemand KeyId %s", *od.KeyId)
	}
	lr := must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &id}))
	if len(lr.Rotations) != 2 || lr.Rotations[0].RotationType != types.RotationTypeAutomatic || lr.Rotations[1].RotationType != types.RotationTypeOnDemand ||
		*lr.Rotations[0].KeyMaterialId != second || lr.Rotations[1].KeyMaterialState != types.KeyMaterialStateCurrent ||
		lr.Rotations[0].KeyMaterialState != types.KeyMaterialStateNonCurrent || lr.Rotations[0].RotationDate == nil {
		t.Fatalf("ListKeyRotations: %+v", lr.Rotations)
	}
	all := must(c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: &id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial, Limit: aws.Int32(2)}))
	if len(all.Rotations) != 2 || !all.Truncated || *all.Rotations[0].KeyMaterialId != first {
		t.Fatalf("ListKeyRotations ALL_KEY_MATERIAL page 1: %+v", all)
	}
	for i := 1; i < 25; i++ {
		must(c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: &id}))
	}
	_, err = c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: &id})
	wantErr(t, err, "LimitExceededException", "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: "+arn)
	must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: old, EncryptionContext: map[string]string{"a": "b"}}))

	must(c.DisableKeyRotation(bg, &kms.DisableKeyRotationInput{KeyId: &id}))
	st = must(c.GetKeyRotationStatus(bg, &kms.GetKeyRotationStatusInput{KeyId: &id}))
	if st.KeyRotationEnabled || st.NextRotationDate != nil {
		t.Fatalf("after DisableKeyRotation: %+v", st)
	}
	id2 := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	must(c.DisableKey(bg, &kms.DisableKeyInput{KeyId: &id2}))
	_, err = c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: &id2})
	wantErr(t, err, "DisabledException", arnOf(id2)+" is disabled.")
}

func TestGetKeyLastUsage(t *testing.T) {
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	id := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	u := must(c.GetKeyLastUsage(bg, &kms.GetKeyLastUsageInput{KeyId: &id}))
	if u.KeyLastUsage != nil || u.KeyCreationDate == nil || *u.KeyId != arnOf(id) {
		t.Fatalf("unused key: %+v", u)
	}
	must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &id})) // not tracked
	e.clock.Advance(time.Hour)
	must(c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: &id, NumberOfBytes: aws.Int32(16)}))
	check := func() {
		t.Helper()
		u := must(c.GetKeyLastUsage(bg, &kms.GetKeyLastUsageInput{KeyId: &id}))
		if u.KeyLastUsage == nil || u.KeyLastUsage.Operation != types.KeyLastUsageTrackingOperationGenerateDataKey ||
			u.KeyLastUsage.Timestamp.Sub(e.clock.Now()).Abs() > time.Second || aws.ToString(u.KeyLastUsage.KmsRequestId) == "" {
			t.Fatalf("last usage: %+v", u.KeyLastUsage)
		}
	}
	check() // from the in-memory batch
	e.svc.RunWorkersOnce(bg)
	check() // from the store
}

// stateTableRows parses testdata/key-state-table.md into op -> state ->
// expected error code ("" for success).
func stateTableRows(t *testing.T) map[string]map[types.KeyState]string {
	b, err := os.ReadFile("testdata/key-state-table.md")
	if err != nil {
		t.Fatal(err)
	}
	states := []types.KeyState{types.KeyStateEnabled, types.KeyStateDisabled, types.KeyStatePendingDeletion, types.KeyStatePendingImport}
	out := map[string]map[types.KeyState]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		cells := strings.Split(strings.Trim(sc.Text(), "|"), "|")
		if len(cells) < 8 || strings.TrimSpace(cells[0]) == "API" || strings.HasPrefix(strings.TrimSpace(cells[0]), "---") {
			continue
		}
		row := map[types.KeyState]string{}
		for i, st := range states {
			cell := strings.TrimSpace(cells[i+1])
			switch {
			case strings.HasPrefix(cell, "✓"), strings.HasPrefix(cell, "?"):
				row[st] = ""
			case strings.Contains(cell, "[1]"), strings.Contains(cell, "[1/"):
				row[st] = "DisabledException"
			case strings.HasPrefix(cell, "X"):
				row[st] = "KMSInvalidStateException"
			default:
				row[st] = "n/a"
			}
		}
		out[strings.TrimSpace(cells[0])] = row
	}
	if len(out) != 40 {
		t.Fatalf("state table has %d rows, want 40", len(out))
	}
	return out
}

// TestStateTable drives every implemented operation of AWS's
// operation-versus-key-state table against keys in each state that
// keyhold can reach (Enabled, Disabled, PendingDeletion) and compares
// the outcome with the table.
func TestStateTable(t *testing.T) {
	table := stateTableRows(t)
	e := newEnv(t)
	c := e.client(acct, "us-east-1")
	n := 0
	type call func(keyID string, blob []byte) error
	ops := map[string]call{
		"CancelKeyDeletion": func(k string, _ []byte) error {
			_, err := c.CancelKeyDeletion(bg, &kms.CancelKeyDeletionInput{KeyId: &k})
			return err
		},
		"CreateAlias": func(k string, _ []byte) error {
			n++
			_, err := c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String(fmt.Sprintf("alias/t%d", n)), TargetKeyId: &k})
			return err
		},
		"Decrypt": func(_ string, b []byte) error {
			_, err := c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: b})
			return err
		},
		"DeleteAlias": func(k string, _ []byte) error {
			_, err := c.DeleteAlias(bg, &kms.DeleteAliasInput{AliasName: aws.String("alias/pre-" + k)})
			return err
		},
		"DescribeKey": func(k string, _ []byte) error {
			_, err := c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &k})
			return err
		},
		"DisableKey": func(k string, _ []byte) error {
			_, err := c.DisableKey(bg, &kms.DisableKeyInput{KeyId: &k})
			return err
		},
		"DisableKeyRotation": func(k string, _ []byte) error {
			_, err := c.DisableKeyRotation(bg, &kms.DisableKeyRotationInput{KeyId: &k})
			return err
		},
		"EnableKey": func(k string, _ []byte) error {
			_, err := c.EnableKey(bg, &kms.EnableKeyInput{KeyId: &k})
			return err
		},
		"EnableKeyRotation": func(k string, _ []byte) error {
			_, err := c.EnableKeyRotation(bg, &kms.EnableKeyRotationInput{KeyId: &k})
			return err
		},
		"Encrypt": func(k string, _ []byte) error {
			_, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: &k, Plaintext: []byte("x")})
			return err
		},
		"GenerateDataKey": func(k string, _ []byte) error {
			_, err := c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: &k, NumberOfBytes: aws.Int32(8)})
			return err
		},
		"GenerateDataKeyWithoutPlaintext": func(k string, _ []byte) error {
			_, err := c.GenerateDataKeyWithoutPlaintext(bg, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: &k, NumberOfBytes: aws.Int32(8)})
			return err
		},
		"GetKeyRotationStatus": func(k string, _ []byte) error {
			_, err := c.GetKeyRotationStatus(bg, &kms.GetKeyRotationStatusInput{KeyId: &k})
			return err
		},
		"ListAliases": func(k string, _ []byte) error {
			_, err := c.ListAliases(bg, &kms.ListAliasesInput{KeyId: &k})
			return err
		},
		"ListResourceTags": func(k string, _ []byte) error {
			_, err := c.ListResourceTags(bg, &kms.ListResourceTagsInput{KeyId: &k})
			return err
		},
		"ReEncrypt": func(k string, b []byte) error {
			_, err := c.ReEncrypt(bg, &kms.ReEncryptInput{CiphertextBlob: b, DestinationKeyId: &k})
			return err
		},
		"ScheduleKeyDeletion": func(k string, _ []byte) error {
			_, err := c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &k})
			return err
		},
		"TagResource": func(k string, _ []byte) error {
			_, err := c.TagResource(bg, &kms.TagResourceInput{KeyId: &k, Tags: []types.Tag{{TagKey: aws.String("t"), TagValue: aws.String("v")}}})
			return err
		},
		"UntagResource": func(k string, _ []byte) error {
			_, err := c.UntagResource(bg, &kms.UntagResourceInput{KeyId: &k, TagKeys: []string{"t"}})
			return err
		},
		"UpdateAlias": func(k string, _ []byte) error {
			n++
			a := fmt.Sprintf("alias/u%d", n)
			// The alias starts on a fresh enabled key; the key under
			// test is the destination.
			src := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
			must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: &a, TargetKeyId: &src}))
			_, err := c.UpdateAlias(bg, &kms.UpdateAliasInput{AliasName: &a, TargetKeyId: &k})
			return err
		},
		"UpdateKeyDescription": func(k string, _ []byte) error {
			_, err := c.UpdateKeyDescription(bg, &kms.UpdateKeyDescriptionInput{KeyId: &k, Description: aws.String("d")})
			return err
		},
	}
	states := []types.KeyState{types.KeyStateEnabled, types.KeyStateDisabled, types.KeyStatePendingDeletion}
	for op, call := range ops {
		row, ok := table[op]
		if !ok {
			t.Fatalf("%s is not in the state table", op)
		}
		for _, st := range states {
			t.Run(op+"/"+string(st), func(t *testing.T) {
				// A fresh key in state st for every call.
				k := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
				blob := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &k, Plaintext: []byte("x")})).CiphertextBlob
				must(c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/pre-" + k), TargetKeyId: &k}))
				switch st {
				case types.KeyStateDisabled:
					must(c.DisableKey(bg, &kms.DisableKeyInput{KeyId: &k}))
				case types.KeyStatePendingDeletion:
					must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &k}))
				}
				err := call(k, blob)
				want := row[st]
				if op == "UpdateAlias" && st == types.KeyStatePendingDeletion {
					// Footnote [10]: fails when the destination key (the
					// key under test here) is pending deletion.
					want = "KMSInvalidStateException"
				}
				if want == "" {
					if err != nil {
						t.Fatalf("table says success, got %v", err)
					}
					return
				}
				wantErr(t, err, want, "")
			})
		}
	}
}
