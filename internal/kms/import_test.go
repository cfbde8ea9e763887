package kms

import (
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func TestCheckExpiration(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ts := func(d time.Duration) *kmsapi.Timestamp { return kmsapi.NewTimestamp(now.Add(d)) }
	model := func(m kmsapi.ExpirationModelType) *kmsapi.ExpirationModelType { return &m }
	for _, tc := range []struct {
		name    string
		in      kmsapi.ImportKeyMaterialInput
		model   string
		validTo time.Time
		msg     string
	}{
		{"default model needs ValidTo", kmsapi.ImportKeyMaterialInput{}, "", time.Time{}, msgValidToRequired},
		{"default model", kmsapi.ImportKeyMaterialInput{ValidTo: ts(time.Hour)}, keyhold.ExpirationModelExpires, now.Add(time.Hour), ""},
		{"expires", kmsapi.ImportKeyMaterialInput{ExpirationModel: model(kmsapi.ExpirationModelTypeKeyMaterialExpires), ValidTo: ts(maxValidTo)},
			keyhold.ExpirationModelExpires, now.Add(maxValidTo), ""},
		{"past", kmsapi.ImportKeyMaterialInput{ValidTo: ts(0)}, "", time.Time{}, msgValidToPast},
		{"too late", kmsapi.ImportKeyMaterialInput{ValidTo: ts(maxValidTo + time.Second)}, "", time.Time{}, msgValidToTooLate},
		{"does not expire", kmsapi.ImportKeyMaterialInput{ExpirationModel: model(kmsapi.ExpirationModelTypeKeyMaterialDoesNotExpire)},
			keyhold.ExpirationModelDoesNotExpire, time.Time{}, ""},
		{"does not expire with ValidTo", kmsapi.ImportKeyMaterialInput{ExpirationModel: model(kmsapi.ExpirationModelTypeKeyMaterialDoesNotExpire), ValidTo: ts(time.Hour)},
			"", time.Time{}, msgValidToForbidden},
	} {
		m, v, err := checkExpiration(&tc.in, now)
		if tc.msg != "" {
			if e, ok := keyhold.AsError(err); !ok || e.Code != keyhold.ErrCodeValidation || e.Message != tc.msg {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.msg)
			}
			continue
		}
		if err != nil || m != tc.model || !v.Equal(tc.validTo) {
			t.Errorf("%s: %q %v %v", tc.name, m, v, err)
		}
	}
}

func TestImportRecord(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	sym := &keyhold.Key{ARN: arn, KeySpec: keyhold.KeySpecSymmetricDefault}
	asym := &keyhold.Key{ARN: arn, KeySpec: "ECC_NIST_P256"}
	id := func(n int) string { return strings.Repeat(string(rune('a'+n)), 64) }
	imported := func(n int) *keyhold.KeyMaterial {
		return &keyhold.KeyMaterial{KeyARN: arn, MaterialID: id(n), ImportState: keyhold.ImportStateImported, Description: "d"}
	}
	pendingRotation := imported(2)
	pendingRotation.PendingRotation = true
	typ := func(t kmsapi.ImportType) *kmsapi.ImportType { return &t }
	for _, tc := range []struct {
		name    string
		k       *keyhold.Key
		ms      []*keyhold.KeyMaterial
		id      string
		in      kmsapi.ImportKeyMaterialInput
		code    string
		pending bool
	}{
		{"first import, default NEW", sym, nil, id(0), kmsapi.ImportKeyMaterialInput{}, "", false},
		{"EXISTING before any import", sym, nil, id(0), kmsapi.ImportKeyMaterialInput{ImportType: typ(kmsapi.ImportTypeExistingKeyMaterial)}, keyhold.ErrCodeIncorrectKeyMaterial, false},
		{"re-import, default EXISTING", sym, []*keyhold.KeyMaterial{imported(0)}, id(0), kmsapi.ImportKeyMaterialInput{}, "", false},
		{"other material, default EXISTING", sym, []*keyhold.KeyMaterial{imported(0)}, id(1), kmsapi.ImportKeyMaterialInput{}, keyhold.ErrCodeIncorrectKeyMaterial, false},
		{"NEW material: pending rotation", sym, []*keyhold.KeyMaterial{imported(0)}, id(1), kmsapi.ImportKeyMaterialInput{ImportType: typ(kmsapi.ImportTypeNewKeyMaterial)}, "", true},
		{"NEW with known material", sym, []*keyhold.KeyMaterial{imported(0)}, id(0), kmsapi.ImportKeyMaterialInput{ImportType: typ(kmsapi.ImportTypeNewKeyMaterial)}, keyhold.ErrCodeIncorrectKeyMaterial, false},
		{"NEW while one is pending", sym, []*keyhold.KeyMaterial{imported(0), pendingRotation}, id(1), kmsapi.ImportKeyMaterialInput{ImportType: typ(kmsapi.ImportTypeNewKeyMaterial)}, keyhold.ErrCodeInvalidState, false},
		{"re-import pending material", sym, []*keyhold.KeyMaterial{imported(0), pendingRotation}, id(2), kmsapi.ImportKeyMaterialInput{}, "", true},
		{"KeyMaterialId matches", sym, []*keyhold.KeyMaterial{imported(0)}, id(0), kmsapi.ImportKeyMaterialInput{KeyMaterialId: ptr(id(0))}, "", false},
		{"KeyMaterialId of other material", sym, []*keyhold.KeyMaterial{imported(0), imported(1)}, id(0), kmsapi.ImportKeyMaterialInput{KeyMaterialId: ptr(id(1))}, keyhold.ErrCodeIncorrectKeyMaterial, false},
		{"KeyMaterialId unknown", sym, []*keyhold.KeyMaterial{imported(0)}, id(0), kmsapi.ImportKeyMaterialInput{KeyMaterialId: ptr(id(5))}, keyhold.ErrCodeIncorrectKeyMaterial, false},
		{"asymmetric first import", asym, nil, id(0), kmsapi.ImportKeyMaterialInput{}, "", false},
		{"asymmetric same material", asym, []*keyhold.KeyMaterial{imported(0)}, id(0), kmsapi.ImportKeyMaterialInput{}, "", false},
		{"asymmetric other material", asym, []*keyhold.KeyMaterial{imported(0)}, id(1), kmsapi.ImportKeyMaterialInput{}, keyhold.ErrCodeIncorrectKeyMaterial, false},
	} {
		m, err := importRecord(tc.k, tc.ms, tc.id, &tc.in)
		if tc.code != "" {
			if keyhold.ErrorCode(err) != tc.code {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
			}
			continue
		}
		if err != nil || m.MaterialID != tc.id || m.KeyARN != arn || m.PendingRotation != tc.pending {
			t.Errorf("%s: %+v, %v", tc.name, m, err)
		}
		for _, o := range tc.ms {
			if o == m {
				t.Errorf("%s: the record returned is the stored one, not a copy", tc.name)
			}
		}
	}
}

func TestImportedExpiration(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC) }
	mat := func(state, model string, validTo time.Time, pending bool) *keyhold.KeyMaterial {
		return &keyhold.KeyMaterial{ImportState: state, ExpirationModel: model, ValidTo: validTo, PendingRotation: pending}
	}
	imp, pend := keyhold.ImportStateImported, keyhold.ImportStatePendingImport
	exp, never := keyhold.ExpirationModelExpires, keyhold.ExpirationModelDoesNotExpire
	for _, tc := range []struct {
		name    string
		ms      []*keyhold.KeyMaterial
		model   string
		validTo time.Time
	}{
		{"nothing", nil, "", time.Time{}},
		{"deleted", []*keyhold.KeyMaterial{mat(pend, "", time.Time{}, false)}, "", time.Time{}},
		{"never", []*keyhold.KeyMaterial{mat(imp, never, time.Time{}, false)}, never, time.Time{}},
		{"earliest", []*keyhold.KeyMaterial{mat(imp, exp, at(5), false), mat(imp, never, time.Time{}, false), mat(imp, exp, at(3), false)}, exp, at(3)},
		{"pending rotation ignored", []*keyhold.KeyMaterial{mat(imp, never, time.Time{}, false), mat(imp, exp, at(1), true)}, never, time.Time{}},
	} {
		m, v := importedExpiration(tc.ms)
		if m != tc.model || !v.Equal(tc.validTo) {
			t.Errorf("%s: %q %v, want %q %v", tc.name, m, v, tc.model, tc.validTo)
		}
	}
	// allImported: a key leaves PendingImport only when all its material
	// (but material pending rotation) is imported.
	a := &keyhold.KeyMaterial{MaterialID: "a", ImportState: imp}
	b := &keyhold.KeyMaterial{MaterialID: "b", ImportState: pend}
	c := &keyhold.KeyMaterial{MaterialID: "c", ImportState: imp, PendingRotation: true}
	if !allImported([]*keyhold.KeyMaterial{a, b}, b) || allImported([]*keyhold.KeyMaterial{a, b}, a) ||
		allImported([]*keyhold.KeyMaterial{b, c}, c) || !allImported([]*keyhold.KeyMaterial{c}, a) {
		t.Fatal("allImported")
	}
}

func TestCheckWrappingEnum(t *testing.T) {
	if err := checkWrappingEnum("us-east-1", "RSA_AES_KEY_WRAP_SHA_1", "wrappingAlgorithm", wrappingAlgorithmEnum); err != nil {
		t.Fatal(err)
	}
	err := checkWrappingEnum("cn-north-1", "RSA_AES_KEY_WRAP_SHA_1", "wrappingAlgorithm", wrappingAlgorithmEnum)
	want := "1 validation error detected: Value 'RSA_AES_KEY_WRAP_SHA_1' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]"
	if e, ok := keyhold.AsError(err); !ok || e.Message != want {
		t.Fatalf("got %v", err)
	}
	if err := checkWrappingEnum("cn-north-1", "SM2", "wrappingKeySpec", wrappingKeySpecEnum); err != nil {
		t.Fatal(err)
	}
}
