package kmsapi

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keyhold/keyhold"
)

// The responses recorded from real AWS KMS (testdata/model/SOURCE.md) hold
// every ValidationException keyhold can compare against. Each one that
// follows from the model alone is replayed here with the request that
// produced it; the others are listed with the reason they belong to the
// service, so that a new recording cannot go unnoticed.

// recordedRequests maps "<test id> <snapshot name>" to the request that
// produced that recorded ValidationException.
var recordedRequests = map[string]struct {
	op   string
	body string
}{
	"test_generate_random_invalid_number_of_bytes[0] generate-random-exc": {
		"GenerateRandom", `{"NumberOfBytes":0}`},
	"test_generate_random_invalid_number_of_bytes[1025] generate-random-exc": {
		"GenerateRandom", `{"NumberOfBytes":1025}`},
	"test_hmac_create_key_invalid_operations create-hmac-key-invalid-spec": {
		"CreateKey", `{"KeySpec":"HMAC_random","KeyUsage":"GENERATE_VERIFY_MAC"}`},
	"test_hmac_create_key_invalid_operations create-hmac-key-invalid-key-usage": {
		"CreateKey", `{"KeySpec":"HMAC_256","KeyUsage":"RANDOM"}`},
	"test_invalid_generate_mac[HMAC_256-INVALID] generate-mac": {
		"GenerateMac", `{"KeyId":"k","Message":"c29tZSBpbXBvcnRhbnQgbWVzc2FnZQ==","MacAlgorithm":"INVALID"}`},
	"test_invalid_verify_mac[HMAC_256-INVALID-some important message] verify-mac": {
		"VerifyMac", `{"KeyId":"k","Message":"c29tZSBpbXBvcnRhbnQgbWVzc2FnZQ==","MacAlgorithm":"INVALID","Mac":"AAAA"}`},
	"test_plaintext_size_for_encrypt invalid-plaintext-size-encrypt": {
		"Encrypt", `{"KeyId":"k","Plaintext":"` + b64(4097) + `"}`},
	"test_derive_shared_secret response-invalid-key-agreement-algo": {
		"DeriveSharedSecret", `{"KeyId":"k","KeyAgreementAlgorithm":"INVALID","PublicKey":"AAAA"}`},
	"test_key_with_long_tag_value_raises_error too-long-tag-value": {
		"CreateKey", `{"Tags":[{"TagKey":"tag","TagValue":"` + strings.Repeat("v", 257) + `"}]}`},
	"test_create_key_with_invalid_tag_key[too_long_key] invalid-tag-key": {
		"CreateKey", `{"Tags":[{"TagKey":"` + strings.Repeat("a", 129) + `","TagValue":"v"}]}`},
}

// serviceRules are the recorded ValidationExceptions that no model
// constraint explains; internal/kms produces them.
var serviceRules = map[string]string{
	"test_generate_random_invalid_number_of_bytes[None] generate-random-exc":    "NumberOfBytes is optional in the model",
	"test_create_alias create_alias":                                            "the alias/ prefix is a documented rule, not a pattern",
	"test_hmac_create_key_invalid_operations create-hmac-key-without-key-usage": "KeyUsage default depends on KeySpec",
	"test_import_key_symmetric import-expiring-key-without-valid-to":            "ValidTo depends on ExpirationModel",
	"test_derive_shared_secret response-invalid-key-spec":                       "depends on the key",
	"test_derive_shared_secret response-invalid-public-key":                     "depends on the public key's content",
}

var serviceRulePrefixes = []string{
	"test_encrypt_validate_plaintext_size_per_key_type[", // depends on the key
	"test_sign_verify[", // digest length depends on the algorithm
}

type recordedError struct {
	key     string
	message string
}

func loadRecordedValidationErrors(t *testing.T) []recordedError {
	t.Helper()
	b, err := os.ReadFile("../../testdata/model/aws-recorded-kms-responses.json")
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]struct {
		Content map[string]json.RawMessage `json:"recorded-content"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	var out []recordedError
	for test, rec := range file {
		id := test[strings.LastIndex(test, "::")+2:]
		for name, raw := range rec.Content {
			var snap struct {
				Error *struct{ Code, Message string }
			}
			if json.Unmarshal(raw, &snap) != nil || snap.Error == nil || snap.Error.Code != keyhold.ErrCodeValidation {
				continue
			}
			out = append(out, recordedError{id + " " + name, snap.Error.Message})
		}
	}
	slices.SortFunc(out, func(a, b recordedError) int { return strings.Compare(a.key, b.key) })
	return out
}

var enumSet = regexp.MustCompile(`^(.*Member must satisfy enum value set: )\[(.*)\]$`)

func TestRecordedValidationErrors(t *testing.T) {
	recorded := loadRecordedValidationErrors(t)
	if len(recorded) < 20 {
		t.Fatalf("only %d recorded ValidationExceptions found", len(recorded))
	}
	covered := 0
recorded:
	for _, rec := range recorded {
		if _, ok := serviceRules[rec.key]; ok {
			continue
		}
		for _, p := range serviceRulePrefixes {
			if strings.HasPrefix(rec.key, p) {
				continue recorded
			}
		}
		t.Run(rec.key, func(t *testing.T) {
			req, ok := recordedRequests[rec.key]
			if !ok {
				t.Fatalf("recorded ValidationException is neither replayed (recordedRequests) nor a service rule (serviceRules): %q", rec.message)
			}
			covered++
			in, err := DecodeInput(req.op, []byte(req.body))
			if err != nil {
				t.Fatal(err)
			}
			err = in.Validate()
			e, ok := err.(*keyhold.Error)
			if !ok || e.Code != keyhold.ErrCodeValidation {
				t.Fatalf("Validate() = %v, want ValidationException", err)
			}
			got, want := e.Message, rec.message
			// AWS prints enum sets in Java HashSet order, and its set
			// predates values added to the model since. Compare the text
			// before the set exactly, and the set as a subset.
			if mw := enumSet.FindStringSubmatch(want); mw != nil {
				mg := enumSet.FindStringSubmatch(got)
				if mg == nil || mg[1] != mw[1] {
					t.Fatalf("message:\n got %q\nwant %q", got, want)
				}
				ours := strings.Split(mg[2], ", ")
				for _, v := range strings.Split(mw[2], ", ") {
					if !slices.Contains(ours, v) {
						t.Errorf("AWS's enum value %s is not in ours: %s", v, mg[2])
					}
				}
				return
			}
			if got != want {
				t.Fatalf("message:\n got %q\nwant %q", got, want)
			}
		})
	}
	if covered != len(recordedRequests) {
		t.Errorf("replayed %d recordings, but recordedRequests has %d entries (stale keys?)", covered, len(recordedRequests))
	}
}
