package xks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// RequestMetadata is the requestMetadata member every request carries.
// Every field is a string; unknown fields are ignored (KMS adds fields
// over time).
type RequestMetadata struct {
	KMSRequestID    string `json:"kmsRequestId"`
	KMSOperation    string `json:"kmsOperation"`
	AWSPrincipalARN string `json:"awsPrincipalArn,omitempty"`
	KMSKeyARN       string `json:"kmsKeyArn,omitempty"`
	AWSSourceVPC    string `json:"awsSourceVpc,omitempty"`
	AWSSourceVPCE   string `json:"awsSourceVpce,omitempty"`
	KMSViaService   string `json:"kmsViaService,omitempty"`
}

// Request is a decoded, validated request body of any operation. Binary
// members are decoded from Base64.
type Request struct {
	Metadata RequestMetadata
	// Encrypt: Plaintext. Decrypt: Ciphertext, IV, Tag, CiphertextMetadata.
	Plaintext          []byte
	Ciphertext         []byte
	IV                 []byte
	Tag                []byte
	CiphertextMetadata []byte
	// AAD is additionalAuthenticatedData (Encrypt and Decrypt), nil when
	// absent (which is the same as empty).
	AAD []byte
	// IntegrityAlgorithm is ciphertextDataIntegrityValueAlgorithm
	// (Encrypt): "" or SHA_256.
	IntegrityAlgorithm string
}

// wireRequest is the JSON shape of every request; pointers tell absent
// members from empty ones.
type wireRequest struct {
	RequestMetadata     *wireMetadata
	Plaintext           *string
	Ciphertext          *string
	EncryptionAlgorithm *string
	AAD                 *string
	IntegrityAlgorithm  *string
	IV                  *string
	Tag                 *string
	CiphertextMetadata  *string
}

type wireMetadata struct {
	KMSRequestID, KMSOperation, AWSPrincipalARN, KMSKeyARN *string
	AWSSourceVPC, AWSSourceVPCE, KMSViaService             *string
}

var errShape = errors.New("not a JSON object of the expected shape")

// decodeWire reads a request body strictly: one JSON object and nothing
// after it; members named exactly as the specification spells them (Go's
// encoding/json would also take "PlainText"), each at most once; known
// members of the right type (string, or null for absent); unknown members
// skipped whatever they hold.
//
// After json.Valid has checked the syntax, a small scanner walks the
// object; it is several times faster than json.Decoder's Token and
// allocates only the strings it keeps. FuzzParseRequest checks it against
// a Token-based reference.
func decodeWire(body []byte) (*wireRequest, error) {
	if !json.Valid(body) {
		return nil, errShape
	}
	w := &wireRequest{}
	sc := &scanner{b: body}
	var md *wireMetadata
	err := sc.object(func(key []byte) error {
		switch string(key) {
		case "requestMetadata":
			if sc.null() {
				return nil
			}
			if sc.peek() != '{' {
				return errShape
			}
			md = &wireMetadata{}
			return sc.object(func(key []byte) error {
				return sc.member(metadataField(md, key))
			})
		}
		return sc.member(requestField(w, key))
	})
	if err != nil {
		return nil, err
	}
	w.RequestMetadata = md
	return w, nil
}

func requestField(w *wireRequest, key []byte) **string {
	switch string(key) {
	case "plaintext":
		return &w.Plaintext
	case "ciphertext":
		return &w.Ciphertext
	case "encryptionAlgorithm":
		return &w.EncryptionAlgorithm
	case "additionalAuthenticatedData":
		return &w.AAD
	case "ciphertextDataIntegrityValueAlgorithm":
		return &w.IntegrityAlgorithm
	case "initializationVector":
		return &w.IV
	case "authenticationTag":
		return &w.Tag
	case "ciphertextMetadata":
		return &w.CiphertextMetadata
	}
	return nil
}

func metadataField(m *wireMetadata, key []byte) **string {
	switch string(key) {
	case "kmsRequestId":
		return &m.KMSRequestID
	case "kmsOperation":
		return &m.KMSOperation
	case "awsPrincipalArn":
		return &m.AWSPrincipalARN
	case "kmsKeyArn":
		return &m.KMSKeyARN
	case "awsSourceVpc":
		return &m.AWSSourceVPC
	case "awsSourceVpce":
		return &m.AWSSourceVPCE
	case "kmsViaService":
		return &m.KMSViaService
	}
	return nil
}

// scanner walks JSON that json.Valid accepted, so it only has to find
// boundaries, never to reject syntax.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// null consumes a null value.
func (s *scanner) null() bool {
	if s.peek() == 'n' {
		s.i += len("null")
		return true
	}
	return false
}

// object walks one object, calling f for each member with the scanner at
// the member's value, which f must consume. A key seen twice is an error.
func (s *scanner) object(f func(key []byte) error) error {
	if s.peek() != '{' {
		return errShape
	}
	s.i++
	var seen [][]byte
	for {
		switch s.peek() {
		case '}':
			s.i++
			return nil
		case ',':
			s.i++
			continue
		}
		raw := s.str()
		key, err := unquote(raw)
		if err != nil {
			return errShape
		}
		for _, k := range seen {
			if string(k) == key {
				return errShape
			}
		}
		seen = append(seen, []byte(key))
		s.peek() // ':'
		s.i++
		if err := f([]byte(key)); err != nil {
			return err
		}
	}
}

// member reads a value into *dst (a string or null) when dst is not nil,
// and skips it otherwise.
func (s *scanner) member(dst **string) error {
	if dst == nil {
		s.skip()
		return nil
	}
	if s.null() {
		return nil
	}
	if s.peek() != '"' {
		return errShape
	}
	v, err := unquote(s.str())
	if err != nil {
		return errShape
	}
	*dst = &v
	return nil
}

// str returns the next string token, quotes included.
func (s *scanner) str() []byte {
	s.ws()
	start := s.i
	s.i++ // opening quote
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return s.b[start:s.i]
		}
		s.i++
	}
	return s.b[start:]
}

// skip skips one value.
func (s *scanner) skip() {
	switch s.peek() {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return
				}
			}
			s.i++
		}
	default: // number, true, false, null
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

// unquote decodes a JSON string token. Escapes and invalid UTF-8 (which
// encoding/json turns into U+FFFD) go through encoding/json; the common
// plain case is a copy.
func unquote(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", errShape
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", errShape
	}
	return v, nil
}

func validation(msg string) *Error  { return Errorf(ErrValidation, msg) }
func unsupported(msg string) *Error { return Errorf(ErrUnsupportedOperation, msg) }

// ParseRequest decodes and validates the body of a request for op. Every
// fault is an *Error: ValidationException for a malformed body, a missing
// or mistyped member, bad Base64, an unknown algorithm or an IV, tag or
// metadata of the wrong size; UnsupportedOperationException for members
// beyond keyhold's size limits (MaxPlaintext, MaxAAD, MaxMetadataField).
// Messages name members, never their values.
func ParseRequest(op string, body []byte) (*Request, *Error) {
	if len(body) > MaxBody {
		return nil, unsupported("The request body is larger than this proxy accepts.")
	}
	w, derr := decodeWire(body)
	if derr != nil {
		return nil, validation("The request body is not a JSON object of the expected shape.")
	}
	if w.RequestMetadata == nil {
		return nil, validation("requestMetadata is required.")
	}
	m := w.RequestMetadata
	r := &Request{}
	fields := []struct {
		name     string
		v        *string
		dst      *string
		required bool
	}{
		{"kmsRequestId", m.KMSRequestID, &r.Metadata.KMSRequestID, true},
		{"kmsOperation", m.KMSOperation, &r.Metadata.KMSOperation, true},
		{"awsPrincipalArn", m.AWSPrincipalARN, &r.Metadata.AWSPrincipalARN, op != OpGetHealthStatus},
		{"kmsKeyArn", m.KMSKeyARN, &r.Metadata.KMSKeyARN, op == OpEncrypt || op == OpDecrypt},
		{"awsSourceVpc", m.AWSSourceVPC, &r.Metadata.AWSSourceVPC, false},
		{"awsSourceVpce", m.AWSSourceVPCE, &r.Metadata.AWSSourceVPCE, false},
		{"kmsViaService", m.KMSViaService, &r.Metadata.KMSViaService, false},
	}
	for _, f := range fields {
		switch {
		case (f.v == nil || *f.v == "") && f.required:
			return nil, validation("requestMetadata." + f.name + " is required.")
		case f.v == nil:
		case len(*f.v) > MaxMetadataField:
			return nil, unsupported("requestMetadata." + f.name + " is longer than this proxy accepts.")
		default:
			*f.dst = *f.v
		}
	}
	if op == OpGetHealthStatus || op == OpGetKeyMetadata {
		return r, nil
	}

	if w.EncryptionAlgorithm == nil {
		return nil, validation("encryptionAlgorithm is required.")
	}
	if *w.EncryptionAlgorithm != AlgorithmAESGCM {
		return nil, validation("encryptionAlgorithm must be AES_GCM.")
	}
	var err *Error
	if r.AAD, err = decodeMember("additionalAuthenticatedData", w.AAD, false, MaxAAD); err != nil {
		return nil, err
	}
	if op == OpEncrypt {
		if r.Plaintext, err = decodeMember("plaintext", w.Plaintext, true, MaxPlaintext); err != nil {
			return nil, err
		}
		if w.IntegrityAlgorithm != nil {
			if *w.IntegrityAlgorithm != IntegrityAlgorithmSHA256 {
				return nil, validation("ciphertextDataIntegrityValueAlgorithm must be SHA_256.")
			}
			r.IntegrityAlgorithm = IntegrityAlgorithmSHA256
		}
		return r, nil
	}

	if r.Ciphertext, err = decodeMember("ciphertext", w.Ciphertext, true, MaxPlaintext); err != nil {
		return nil, err
	}
	if r.IV, err = decodeMember("initializationVector", w.IV, true, AltIVSize); err != nil {
		return nil, err
	}
	if len(r.IV) != IVSize && len(r.IV) != AltIVSize {
		return nil, validation("initializationVector must be 12 or 16 bytes.")
	}
	if r.Tag, err = decodeMember("authenticationTag", w.Tag, true, TagSize); err != nil {
		return nil, err
	}
	if len(r.Tag) != TagSize {
		return nil, validation("authenticationTag must be 16 bytes.")
	}
	// The metadata limit is the specification's, not keyhold's: beyond it
	// the request is invalid, not unsupported.
	if w.CiphertextMetadata != nil && base64.StdEncoding.DecodedLen(len(*w.CiphertextMetadata)) > MaxMetadata+2 {
		return nil, validation("ciphertextMetadata must be at most 20 bytes.")
	}
	if r.CiphertextMetadata, err = decodeMember("ciphertextMetadata", w.CiphertextMetadata, false, MaxMetadata+2); err != nil {
		return nil, err
	}
	if len(r.CiphertextMetadata) > MaxMetadata {
		return nil, validation("ciphertextMetadata must be at most 20 bytes.")
	}
	return r, nil
}

// decodeMember decodes a Base64 member. A member longer than max bytes is
// UnsupportedOperationException (checked on the encoded length first, so
// no large buffer is made for it); a required one that is absent, or one
// that is not canonical standard Base64 with padding, is
// ValidationException.
func decodeMember(name string, v *string, required bool, max int) ([]byte, *Error) {
	if v == nil {
		if required {
			return nil, validation(name + " is required.")
		}
		return nil, nil
	}
	if base64.StdEncoding.DecodedLen(len(*v)) > max+2 {
		return nil, unsupported(name + " is longer than this proxy accepts.")
	}
	// Go's decoder skips CR and LF; the specification's Base64 has none.
	if strings.ContainsAny(*v, "\r\n") {
		return nil, validation(name + " is not valid Base64.")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(*v)
	if err != nil {
		return nil, validation(name + " is not valid Base64.")
	}
	if len(b) > max {
		return nil, unsupported(name + " is longer than this proxy accepts.")
	}
	return b, nil
}

// Requests as a client sends them.

// HealthRequest is the body of GetHealthStatus.
type HealthRequest struct {
	RequestMetadata *RequestMetadata `json:"requestMetadata"`
}

// MetadataRequest is the body of GetKeyMetadata.
type MetadataRequest struct {
	RequestMetadata *RequestMetadata `json:"requestMetadata"`
}

// EncryptRequest is the body of Encrypt.
type EncryptRequest struct {
	RequestMetadata     *RequestMetadata `json:"requestMetadata"`
	Plaintext           []byte           `json:"plaintext"`
	EncryptionAlgorithm string           `json:"encryptionAlgorithm"`
	AAD                 []byte           `json:"additionalAuthenticatedData,omitempty"`
	IntegrityAlgorithm  string           `json:"ciphertextDataIntegrityValueAlgorithm,omitempty"`
}

// DecryptRequest is the body of Decrypt.
type DecryptRequest struct {
	RequestMetadata     *RequestMetadata `json:"requestMetadata"`
	Ciphertext          []byte           `json:"ciphertext"`
	EncryptionAlgorithm string           `json:"encryptionAlgorithm"`
	IV                  []byte           `json:"initializationVector"`
	Tag                 []byte           `json:"authenticationTag"`
	AAD                 []byte           `json:"additionalAuthenticatedData,omitempty"`
	CiphertextMetadata  []byte           `json:"ciphertextMetadata,omitempty"`
}

// Responses. encoding/json writes []byte as standard Base64 with padding
// and everything on one line, as the specification and the compliance
// client want.

// HealthResponse is the answer to GetHealthStatus.
type HealthResponse struct {
	FleetSize       int         `json:"xksProxyFleetSize"`
	Vendor          string      `json:"xksProxyVendor"`
	Model           string      `json:"xksProxyModel"`
	EKMVendor       string      `json:"ekmVendor"`
	EKMFleetDetails []EKMDetail `json:"ekmFleetDetails"`
}

// EKMDetail is one external key manager of a health report.
type EKMDetail struct {
	ID           string `json:"id"`
	Model        string `json:"model"`
	HealthStatus string `json:"healthStatus"`
}

// MetadataResponse is the answer to GetKeyMetadata.
type MetadataResponse struct {
	KeySpec   string   `json:"keySpec"`
	KeyUsage  []string `json:"keyUsage"`
	KeyStatus string   `json:"keyStatus"`
}

// EncryptResponse is the answer to Encrypt.
type EncryptResponse struct {
	Tag                []byte `json:"authenticationTag"`
	Ciphertext         []byte `json:"ciphertext"`
	IntegrityValue     string `json:"ciphertextDataIntegrityValue,omitempty"`
	CiphertextMetadata []byte `json:"ciphertextMetadata,omitempty"`
	IV                 []byte `json:"initializationVector"`
}

// DecryptResponse is the answer to Decrypt.
type DecryptResponse struct {
	Plaintext []byte `json:"plaintext"`
}
