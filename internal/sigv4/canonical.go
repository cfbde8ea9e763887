package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// amzDateLayout is the ISO 8601 basic format of X-Amz-Date.
const amzDateLayout = "20060102T150405Z"

// appendCanonicalRequest appends the SigV4 canonical request of r to dst:
//
//	method \n canonical URI \n canonical query \n
//	name:value \n ... (one line per signed header) \n
//	signed;header;names \n payload hash
//
// signed must be sorted lowercase names (parseSignedHeaders guarantees it).
// A signed header that r does not carry is an error: silently signing an
// empty value would let a client believe a header is protected when it was
// never sent.
func appendCanonicalRequest(dst []byte, r *http.Request, signed []string, payloadHash []byte) ([]byte, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	dst = append(dst, method...)
	dst = append(dst, '\n')
	u := r.URL
	if u == nil {
		u = &url.URL{}
	}
	dst = appendCanonicalURI(dst, u)
	dst = append(dst, '\n')
	dst = appendCanonicalQuery(dst, u.RawQuery)
	dst = append(dst, '\n')
	for _, name := range signed {
		dst = append(dst, name...)
		dst = append(dst, ':')
		var ok bool
		if dst, ok = appendHeader(dst, r, name); !ok {
			return dst, errIncomplete("Header '" + name + "' is listed in 'SignedHeaders' but is not present in the request.")
		}
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	for i, name := range signed {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, name...)
	}
	dst = append(dst, '\n')
	dst = append(dst, payloadHash...)
	return dst, nil
}

// appendCanonicalURI appends the canonical URI: the request's escaped path
// with every byte other than an RFC 3986 unreserved character or '/'
// percent-encoded again. AWS services other than S3 encode the path twice
// this way, and so do aws-sdk-go-v2 and botocore. KMS's path is "/".
func appendCanonicalURI(dst []byte, u *url.URL) []byte {
	p := u.EscapedPath()
	if p == "" {
		return append(dst, '/')
	}
	return appendURIEncoded(dst, p, true)
}

// appendCanonicalQuery appends the canonical query string: each name and
// value decoded, then URI-encoded (RFC 3986, space as %20), the pairs
// sorted by encoded name and then encoded value.
func appendCanonicalQuery(dst []byte, raw string) []byte {
	if raw == "" {
		return dst
	}
	type pair struct{ k, v string }
	var pairs []pair
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		pairs = append(pairs, pair{encodeQueryComponent(k), encodeQueryComponent(v)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.k...)
		dst = append(dst, '=')
		dst = append(dst, p.v...)
	}
	return dst
}

func encodeQueryComponent(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		s = u
	}
	return string(appendURIEncoded(nil, s, false))
}

// appendURIEncoded appends s with every byte except the RFC 3986 unreserved
// characters (and '/', if keepSlash) encoded as %XX with upper-case hex.
func appendURIEncoded(dst []byte, s string, keepSlash bool) []byte {
	const upperHex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/') {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

// appendHeader appends the canonical value of the header named name and
// reports whether r carries it. Go's HTTP server moves Host out of the
// header map into r.Host; a client request may carry its length only in
// r.ContentLength.
func appendHeader(dst []byte, r *http.Request, name string) ([]byte, bool) {
	switch name {
	case "host":
		host := r.Host
		if host == "" && r.URL != nil {
			host = r.URL.Host
		}
		if host == "" {
			return dst, false
		}
		return appendHeaderValue(dst, host), true
	case "content-length":
		if _, ok := r.Header["Content-Length"]; !ok {
			if r.ContentLength <= 0 {
				return dst, false
			}
			return strconv.AppendInt(dst, r.ContentLength, 10), true
		}
	}
	vs := headerValues(r.Header, name)
	if len(vs) == 0 {
		return dst, false
	}
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendHeaderValue(dst, v)
	}
	return dst, true
}

// appendHeaderValue appends v trimmed of surrounding white space, with runs
// of spaces collapsed to one, as the SigV4 canonical headers require.
func appendHeaderValue(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if !space {
				dst = append(dst, ' ')
			}
			space = true
			continue
		}
		space = false
		dst = append(dst, c)
	}
	return dst
}

// headerValues returns the values of the header with the lowercase name
// name. It looks up the canonical key without allocating, and falls back to
// a case-insensitive scan for keys set on the map directly.
func headerValues(h http.Header, name string) []string {
	var buf [64]byte
	if len(name) <= len(buf) {
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			buf[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(buf[:len(name)])]; ok {
			return v
		}
	} else if v, ok := h[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// appendStringToSign appends the SigV4 string to sign.
func appendStringToSign(dst []byte, amzDate string, a *Authorization, canonicalHash *[sha256.Size]byte) []byte {
	dst = append(dst, Algorithm...)
	dst = append(dst, '\n')
	dst = append(dst, amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, a.Date...)
	dst = append(dst, '/')
	dst = append(dst, a.Region...)
	dst = append(dst, '/')
	dst = append(dst, a.Service...)
	dst = append(dst, '/')
	dst = append(dst, terminator...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, canonicalHash[:])
}

// deriveSigningKey derives the SigV4 signing key:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveSigningKey(secret []byte, date, region, service string) [sha256.Size]byte {
	k := make([]byte, 0, 4+len(secret))
	k = append(k, "AWS4"...)
	k = append(k, secret...)
	kDate := hmacSHA256(k, date)
	clear(k)
	kRegion := hmacSHA256(kDate[:], region)
	kService := hmacSHA256(kRegion[:], service)
	key := hmacSHA256(kService[:], terminator)
	clear(kDate[:])
	clear(kRegion[:])
	clear(kService[:])
	return key
}

// hmacSHA256Into sets *out to HMAC-SHA256(key, msg). It uses crypto/hmac:
// keyhold writes no primitive of its own, and the few allocations of
// hmac.New per request are not worth a hand-rolled HMAC. buf is returned
// unchanged (kept for the caller's scratch-buffer reuse).
func hmacSHA256Into(out *[sha256.Size]byte, key *[sha256.Size]byte, msg, buf []byte) []byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(msg)
	m.Sum(out[:0])
	return buf[:0]
}

func hmacSHA256(key []byte, data string) [sha256.Size]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}
