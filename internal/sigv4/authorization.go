package sigv4

import (
	"strings"
)

// Algorithm is the only signing algorithm accepted and produced.
const Algorithm = "AWS4-HMAC-SHA256"

// terminator ends every SigV4 credential scope.
const terminator = "aws4_request"

// Authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request,
//	  SignedHeaders=host;x-amz-date, Signature=<64 hex digits>
//
// ParseAuthorization checks its syntax only; whether the date, region and
// service are acceptable, and whether the signature is right, is the
// Verifier's business.
type Authorization struct {
	AccessKeyID string
	// Date is the credential scope's date, normally yyyymmdd.
	Date    string
	Region  string
	Service string
	// SignedHeaders are the lowercase names of the signed headers, in
	// the (sorted) order the client gave them.
	SignedHeaders []string
	// Signature is the client's signature in lowercase hex.
	Signature string
}

// String formats a as an Authorization header value, the way
// aws-sdk-go-v2 does (", " between parameters).
func (a *Authorization) String() string {
	var b strings.Builder
	b.Grow(len(Algorithm) + 64 + len(a.AccessKeyID) + len(a.Date) + len(a.Region) + len(a.Service) + len(a.Signature) + 16*len(a.SignedHeaders))
	b.WriteString(Algorithm)
	b.WriteString(" Credential=")
	b.WriteString(a.AccessKeyID)
	b.WriteByte('/')
	b.WriteString(a.scope())
	b.WriteString(", SignedHeaders=")
	for i, h := range a.SignedHeaders {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(h)
	}
	b.WriteString(", Signature=")
	b.WriteString(a.Signature)
	return b.String()
}

// scope returns the credential scope: date/region/service/aws4_request.
func (a *Authorization) scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + terminator
}

// ParseAuthorization parses a SigV4 Authorization header value. Parameters
// may be separated by "," or ", " (clients differ); whitespace around a
// parameter is ignored, whitespace inside one is not allowed. It returns a
// *keyhold.Error for a malformed header: MissingAuthenticationTokenException
// for an empty or non-SigV4 header, IncompleteSignatureException for missing
// or malformed parts, InvalidSignatureException for a wrong scope
// terminator.
func ParseAuthorization(header string) (*Authorization, error) {
	a := new(Authorization)
	signed, missing, err := parseAuthorization(a, nil, header)
	if err != nil {
		if missing != 0 {
			return nil, errIncomplete(missing.message())
		}
		return nil, err
	}
	a.SignedHeaders = signed
	return a, nil
}

// parseAuthorization fills a, except SignedHeaders, from header, and
// returns the signed header names appended to names (so a caller may
// provide the storage; keeping them out of a lets Verify keep them on the
// stack). When required parameters are missing it returns which ones (and
// a non-nil error) so the caller can report a missing date in the same
// message.
func parseAuthorization(a *Authorization, names []string, header string) ([]string, missingParts, error) {
	h := strings.Trim(header, " \t")
	// Anything that does not even claim to be SigV4 (empty, "Bearer ...",
	// "AWS AKID:sig" of SigV2) means the request carries no SigV4
	// authentication at all, which AWS reports as a missing token.
	if !strings.HasPrefix(h, "AWS4-") {
		return nil, 0, errMissingToken()
	}
	alg, rest, _ := strings.Cut(h, " ")
	if alg != Algorithm {
		// A comma straight after the algorithm ("AWS4-HMAC-SHA256,Credential=")
		// is tolerated as a separator.
		if a2, r2, ok := strings.Cut(alg, ","); ok && a2 == Algorithm {
			alg, rest = a2, r2+" "+rest
		} else {
			return nil, 0, errIncomplete("Unsupported AWS 'algorithm': '" + echo(alg) + "' (only AWS4-HMAC-SHA256 for now).")
		}
	}

	var credential, signedHeaders, signature string
	var seen missingParts
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, 0, errIncomplete("'" + echo(part) + "' not a valid key=value pair (missing equal-sign) in Authorization header.")
		}
		var bit missingParts
		switch key {
		case "Credential":
			bit, credential = missingCredential, value
		case "SignedHeaders":
			bit, signedHeaders = missingSignedHeaders, value
		case "Signature":
			bit, signature = missingSignature, value
		default:
			// keyhold's own rule: AWS's behaviour is not documented, and an
			// unknown parameter is more likely an attack or a bug than a
			// client feature.
			return nil, 0, errIncomplete("Authorization header has an unsupported parameter '" + echo(key) + "'.")
		}
		if seen&bit != 0 {
			return nil, 0, errIncomplete("Authorization header repeats the '" + key + "' parameter.")
		}
		seen |= bit
		if !printable(value) {
			return nil, 0, errIncomplete("Authorization header '" + key + "' parameter contains a space or a control character.")
		}
	}

	var missing missingParts
	if credential == "" {
		missing |= missingCredential
	}
	if signature == "" {
		missing |= missingSignature
	}
	if signedHeaders == "" {
		missing |= missingSignedHeaders
	}
	if missing != 0 {
		return nil, missing, errIncomplete(missing.message())
	}

	if err := parseCredential(a, credential); err != nil {
		return nil, 0, err
	}
	names, ok := parseSignedHeaders(names, signedHeaders)
	if !ok {
		return nil, 0, errIncomplete(msgSignedHeadersFmt + ", got '" + echo(signedHeaders) + "'.")
	}
	if !isLowerHex(signature, 64) {
		return nil, 0, errIncomplete(msgSignatureFormat)
	}
	a.Signature = signature
	return names, 0, nil
}

// parseCredential splits AKID/date/region/service/aws4_request into a.
func parseCredential(a *Authorization, credential string) error {
	// AWS ignores trailing slashes on the credential.
	c := strings.TrimRight(credential, "/")
	var f [5]string
	n := 0
	for {
		elem, rest, more := strings.Cut(c, "/")
		if n == len(f) || elem == "" {
			n = -1
			break
		}
		f[n] = elem
		n++
		if !more {
			break
		}
		c = rest
	}
	if n != len(f) {
		return errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + echo(credential) + "'")
	}
	if f[4] != terminator {
		return errInvalid("Credential should be scoped with a valid terminator: 'aws4_request', not '" + echo(f[4]) + "'.")
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = f[0], f[1], f[2], f[3]
	return nil
}

// parseSignedHeaders appends the names in a SignedHeaders value to names.
// Names must be lowercase HTTP token characters and strictly increasing
// (sorted, no duplicates), as the canonical request requires: a list in any
// other form cannot have come from a correct signer.
func parseSignedHeaders(names []string, s string) ([]string, bool) {
	if names == nil {
		names = make([]string, 0, strings.Count(s, ";")+1)
	}
	prev := ""
	for {
		name, rest, more := strings.Cut(s, ";")
		if !validHeaderName(name) || name <= prev {
			return nil, false
		}
		names = append(names, name)
		prev = name
		if !more {
			return names, true
		}
		s = rest
	}
}

// validHeaderName reports whether name is a non-empty lowercase HTTP token
// (RFC 9110 tchar with no upper-case letters).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// printable reports whether s is visible ASCII without spaces.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// isLowerHex reports whether s is exactly n lowercase hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
