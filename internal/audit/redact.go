package audit

import (
	"encoding/json"
	"reflect"
)

// redacted lists every member of the KMS API model whose shape is a blob or
// is marked sensitive: plaintext, ciphertext, messages, signatures, MACs,
// key material, import tokens, secrets. They never enter an audit record.
// TestRedactedCoversModel keeps the list complete against the model.
var redacted = map[string]bool{
	"AccessKeyId": true, "AttestationDocument": true, "CiphertextBlob": true,
	"CiphertextForRecipient": true, "EncryptedKeyMaterial": true, "ImportToken": true,
	"KeyStorePassword": true, "Mac": true, "Message": true, "Plaintext": true,
	"PrivateKeyCiphertextBlob": true, "PrivateKeyPlaintext": true, "PublicKey": true,
	"RawSecretAccessKey": true, "SharedSecret": true, "Signature": true,
	// IAM/STS secrets
	"SecretAccessKey": true, "SessionToken": true, "Credentials": true,
	"XksProxyAuthenticationCredential": true,
}

// Redact marshals v (a request or response value) to JSON and removes every
// redacted member at any depth, and turns CloudTrail's member names into
// its lowerCamelCase ("KeyId" → "keyId"). A nil v gives JSON null.
func Redact(v any) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	// Fast path for structs (the API types): no plaintext is encoded.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct {
		if b, ok := appendRedacted(make([]byte, 0, 256), rv, 0); ok {
			if string(b) == "{}" {
				return json.RawMessage("null"), nil
			}
			return b, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m = clean(m)
	if mm, ok := m.(map[string]any); ok && len(mm) == 0 {
		return json.RawMessage("null"), nil
	}
	return json.Marshal(m)
}

func clean(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if redacted[k] {
				continue
			}
			// Encryption context keys are the caller's, not member names.
			if k == "EncryptionContext" || k == "SourceEncryptionContext" || k == "DestinationEncryptionContext" ||
				k == "EncryptionContextEquals" || k == "EncryptionContextSubset" {
				out[lowerFirst(k)] = val
				continue
			}
			out[lowerFirst(k)] = clean(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = clean(x[i])
		}
		return x
	}
	return v
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	// Keep acronyms like "AWSAccountId" readable: only the first letter.
	return string(s[0]+('a'-'A')) + s[1:]
}
