package xks

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"testing"
)

// FuzzParseRequest fuzzes the proxy's request parser: the path and the body
// of any request. It must never panic; every refusal must be one of the
// twelve error names with a printable message under 512 characters; a
// path that parses must come back from OperationPath; and a body that
// parses must survive a marshal and parse round trip unchanged. Seeds are
// in testdata/fuzz/FuzzParseRequest and below.
func FuzzParseRequest(f *testing.F) {
	md := `"requestMetadata":{"kmsRequestId":"4112f4d6","kmsOperation":"Encrypt","awsPrincipalArn":"arn:aws:iam::123456789012:user/Alice","kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/k","kmsViaService":"ebs"}`
	f.Add("/example/uri/path/prefix/kms/xks/v1/health", []byte(`{"requestMetadata":{"kmsRequestId":"r","kmsOperation":"KmsHealthCheck"}}`))
	f.Add("//kms/xks/v1/keys/foo/metadata", []byte(`{`+md+`}`))
	f.Add("/p/kms/xks/v1/keys/foo/encrypt", []byte(`{`+md+`,"plaintext":"SGVsbG8gV29ybGQh","encryptionAlgorithm":"AES_GCM","additionalAuthenticatedData":"cHJvamVjdD1uaWxl","ciphertextDataIntegrityValueAlgorithm":"SHA_256"}`))
	f.Add("/p/kms/xks/v1/keys/foo/decrypt", []byte(`{`+md+`,"ciphertext":"ghxkK1txeDNn3q8Y","encryptionAlgorithm":"AES_GCM","initializationVector":"HMrlRw85cAJUd5Ax","authenticationTag":"vBxN2ncH1oEkR8WVXpmyYQ==","ciphertextMetadata":"a2V5X3ZlcnNpb249MQ=="}`))
	f.Add("/p/kms/xks/v1/keys/foo/decrypt", []byte(`{"requestMetadata":{}}`))
	f.Add("/p/kms/xks/v1/keys/foo/encrypt", []byte(`{"requestMetadata":{"kmsRequestId":null},"plaintext":[1]}`))
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		p, ok := ParsePath(path)
		if !ok {
			return
		}
		if got := OperationPath(BasePath(p.Prefix), p.Operation, p.KeyID); got != path && "/"+got != path {
			t.Fatalf("OperationPath(%+v) = %q, parsed from %q", p, got, path)
		}
		// The fast scanner and the Token-based reference agree.
		w1, err1 := decodeWire(body)
		w2, err2 := decodeWireReference(body)
		if (err1 == nil) != (err2 == nil) || (err1 == nil && !reflect.DeepEqual(w1, w2)) {
			t.Fatalf("decodeWire = %+v, %v; reference = %+v, %v", w1, err1, w2, err2)
		}
		r, xerr := ParseRequest(p.Operation, body)
		if xerr != nil {
			if !slices.Contains(ErrorNames, xerr.Name) {
				t.Fatalf("unknown error name %q", xerr.Name)
			}
			if len(xerr.Message) > MaxErrMessage || SafeMessage(xerr.Message) != xerr.Message {
				t.Fatalf("unsafe message %q", xerr.Message)
			}
			return
		}
		// Round trip: what parsed, re-encoded as a client would send it,
		// parses to the same request.
		var wire any
		m := r.Metadata
		switch p.Operation {
		case OpGetHealthStatus:
			wire = &HealthRequest{RequestMetadata: &m}
		case OpGetKeyMetadata:
			wire = &MetadataRequest{RequestMetadata: &m}
		case OpEncrypt:
			wire = &EncryptRequest{RequestMetadata: &m, Plaintext: r.Plaintext, EncryptionAlgorithm: AlgorithmAESGCM, AAD: r.AAD, IntegrityAlgorithm: r.IntegrityAlgorithm}
		case OpDecrypt:
			wire = &DecryptRequest{RequestMetadata: &m, Ciphertext: r.Ciphertext, EncryptionAlgorithm: AlgorithmAESGCM, IV: r.IV, Tag: r.Tag, AAD: r.AAD, CiphertextMetadata: r.CiphertextMetadata}
		}
		b, err := json.Marshal(wire)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsRune(b, '\n') {
			t.Fatal("encoding spans lines")
		}
		r2, xerr := ParseRequest(p.Operation, b)
		if xerr != nil {
			t.Fatalf("re-encoded request %s refused: %v", b, xerr)
		}
		if !reflect.DeepEqual(normalize(r), normalize(r2)) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", r, r2)
		}
	})
}

// normalize makes empty and absent binary members compare equal.
func normalize(r *Request) Request {
	n := *r
	for _, p := range []*[]byte{&n.Plaintext, &n.Ciphertext, &n.IV, &n.Tag, &n.CiphertextMetadata, &n.AAD} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	return n
}

// decodeWireReference reads a request body strictly: one JSON object and nothing
// after it; members named exactly as the specification spells them (Go's
// encoding/json would also take "PlainText"), each at most once; known
// members of the right type (string, or null for absent); unknown members
// skipped whatever they hold.
func decodeWireReference(body []byte) (*wireRequest, error) {
	w := &wireRequest{}
	var md json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := readObjectRef(dec, map[string]**string{
		"plaintext":                             &w.Plaintext,
		"ciphertext":                            &w.Ciphertext,
		"encryptionAlgorithm":                   &w.EncryptionAlgorithm,
		"additionalAuthenticatedData":           &w.AAD,
		"ciphertextDataIntegrityValueAlgorithm": &w.IntegrityAlgorithm,
		"initializationVector":                  &w.IV,
		"authenticationTag":                     &w.Tag,
		"ciphertextMetadata":                    &w.CiphertextMetadata,
	}, map[string]*json.RawMessage{"requestMetadata": &md})
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errShape
	}
	if md == nil || string(md) == "null" {
		return w, nil
	}
	m := &wireMetadata{}
	mdec := json.NewDecoder(bytes.NewReader(md))
	mdec.UseNumber()
	err = readObjectRef(mdec, map[string]**string{
		"kmsRequestId":    &m.KMSRequestID,
		"kmsOperation":    &m.KMSOperation,
		"awsPrincipalArn": &m.AWSPrincipalARN,
		"kmsKeyArn":       &m.KMSKeyARN,
		"awsSourceVpc":    &m.AWSSourceVPC,
		"awsSourceVpce":   &m.AWSSourceVPCE,
		"kmsViaService":   &m.KMSViaService,
	}, nil)
	if err != nil {
		return nil, err
	}
	w.RequestMetadata = m
	return w, nil
}

// readObjectRef reads one JSON object from dec into the string members strs
// and the raw members raws.
func readObjectRef(dec *json.Decoder, strs map[string]**string, raws map[string]*json.RawMessage) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errShape
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return errShape
		}
		key, ok := t.(string)
		if !ok || seen[key] {
			return errShape
		}
		seen[key] = true
		if p, ok := strs[key]; ok {
			t, err := dec.Token()
			if err != nil {
				return errShape
			}
			switch v := t.(type) {
			case string:
				*p = &v
			case nil:
			default:
				return errShape
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return errShape
		}
		if p, ok := raws[key]; ok {
			*p = raw
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return errShape
	}
	return nil
}
