package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
)

// MaxSkew is how far the request time may be from the server clock, either
// way, as at AWS.
const MaxSkew = 5 * time.Minute

// LookupFunc returns the secret access key of accessKeyID (and, for
// temporary credentials, sessionToken, which is "" otherwise). For an
// unknown or inactive key it returns a *keyhold.Error, normally
// UnrecognizedClientException, which Verify passes through unchanged. Any
// other error is wrapped and so becomes an internal error.
//
// Verify neither keeps nor modifies the returned slice.
type LookupFunc func(ctx context.Context, accessKeyID, sessionToken string) (secret []byte, err error)

// Config configures a Verifier. The zero value of every field but Service
// and Lookup is a safe default.
type Config struct {
	// Service is the service name the credential scope must name, e.g. "kms".
	Service string
	// AllowRegion reports whether a region may be used. Nil allows every
	// name shaped like an AWS region ("us-east-1", "us-gov-west-1").
	AllowRegion func(region string) bool
	// Lookup finds an access key's secret. Required unless
	// AcceptAnySignature is set.
	Lookup LookupFunc
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AcceptAnySignature turns off the credential lookup and the signature
	// comparison, for `keyhold dev`, which accepts any well-formed
	// credentials. Everything else (header syntax, scope, time, signed
	// headers, payload hash header) is still checked. Never set it on a
	// server that holds real keys.
	AcceptAnySignature bool
}

// Verifier checks SigV4-signed requests. It is safe for concurrent use.
type Verifier struct {
	cfg  Config
	keys *keyCache
}

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Service == "" || !printable(cfg.Service) || strings.Contains(cfg.Service, "/") {
		return nil, fmt.Errorf("sigv4: invalid service name %q", cfg.Service)
	}
	if cfg.Lookup == nil && !cfg.AcceptAnySignature {
		return nil, errors.New("sigv4: Config.Lookup is required unless AcceptAnySignature is set")
	}
	if cfg.AllowRegion == nil {
		cfg.AllowRegion = validRegion
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg, keys: newKeyCache()}, nil
}

// Result is the authenticated identity of a request.
type Result struct {
	AccessKeyID string
	// Region and Service are those of the credential scope.
	Region  string
	Service string
	// Time is the request time (X-Amz-Date, or Date), in UTC.
	Time time.Time
	// SessionToken is X-Amz-Security-Token, "" for long-term credentials.
	SessionToken string
}

// scratch is the per-call working memory of Verify, pooled so that a
// verification allocates only its Result.
type scratch struct {
	canonical []byte // canonical request, then string to sign
	mac       []byte // HMAC inner block
}

const maxPooledScratch = 64 << 10

var scratchPool = sync.Pool{New: func() any {
	return &scratch{canonical: make([]byte, 0, 1024), mac: make([]byte, 0, 512)}
}}

// Verify authenticates r, whose body the caller has already read into body
// (Verify does not read r.Body). It returns a *keyhold.Error for a request
// that fails authentication, any other error for an internal failure (a
// credential lookup that failed for a reason other than an unknown key).
//
// The checks run in the order AWS is observed to apply them, so a request
// with several faults gets the error AWS would give: header syntax, date
// header, clock skew, host signed, credential scope, payload hash header,
// signed headers present, access key, signature.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Result, error) {
	authz := r.Header["Authorization"]
	if len(authz) == 0 {
		return nil, errMissingToken()
	}
	if len(authz) > 1 {
		// Two headers could be read differently by a proxy and by us.
		return nil, errIncomplete(msgRepeatedAuthHeader)
	}

	amzDate := first(r.Header, "X-Amz-Date")
	if amzDate == "" {
		// AWS falls back to Date, but still wants ISO 8601 basic format
		// there ("Date must be in ISO-8601 'basic format'" is what AWS
		// answers to an RFC 1123 date).
		amzDate = first(r.Header, "Date")
	}

	// Room for the signed header names on the stack: clients sign 3 to 10.
	var names [16]string
	var a Authorization
	signed, missing, err := parseAuthorization(&a, names[:0], authz[0])
	if err != nil {
		if missing != 0 {
			if amzDate == "" {
				missing |= missingDate
			}
			return nil, errIncomplete(missing.message())
		}
		return nil, err
	}
	if amzDate == "" {
		return nil, errIncomplete(msgRequiresDate)
	}
	t, ok := parseAmzDate(amzDate)
	if !ok {
		return nil, errIncomplete("Date must be in ISO-8601 'basic format'. Got '" + echo(amzDate) + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if err := checkSkew(t, v.cfg.Now()); err != nil {
		return nil, err
	}
	if _, ok := slices.BinarySearch(signed, "host"); !ok {
		return nil, errInvalid(msgHostNotSigned)
	}
	if err := v.checkScope(a.Date, a.Region, a.Service, amzDate); err != nil {
		return nil, err
	}

	payloadHash := sha256.Sum256(body)
	var payloadHex [2 * sha256.Size]byte
	hex.Encode(payloadHex[:], payloadHash[:])
	if vs := r.Header["X-Amz-Content-Sha256"]; len(vs) > 0 {
		if vs[0] == "UNSIGNED-PAYLOAD" {
			return nil, errInvalid(msgUnsignedPayload)
		}
		if len(vs) > 1 || vs[0] != string(payloadHex[:]) {
			return nil, errInvalid(msgPayloadHashMismatch)
		}
	}

	sc := scratchPool.Get().(*scratch)
	defer func() {
		// Do not keep the memory of an exceptionally large request.
		if cap(sc.canonical) <= maxPooledScratch && cap(sc.mac) <= maxPooledScratch {
			scratchPool.Put(sc)
		}
	}()
	canonical, err := appendCanonicalRequest(sc.canonical[:0], r, signed, payloadHex[:])
	sc.canonical = canonical[:0]
	if err != nil {
		return nil, err
	}

	sessionToken := first(r.Header, "X-Amz-Security-Token")
	if !v.cfg.AcceptAnySignature {
		secret, err := v.cfg.Lookup(ctx, a.AccessKeyID, sessionToken)
		if err != nil {
			if _, ok := keyhold.AsError(err); ok {
				return nil, err
			}
			return nil, fmt.Errorf("sigv4: looking up access key %q: %w", a.AccessKeyID, err)
		}
		if len(secret) == 0 {
			return nil, fmt.Errorf("sigv4: credential lookup for %q returned an empty secret", a.AccessKeyID)
		}
		key := v.keys.signingKey(secret, a.Date, a.Region, a.Service)

		canonicalHash := sha256.Sum256(canonical)
		sts := appendStringToSign(canonical[:0], amzDate, &a, &canonicalHash)
		sc.canonical = sts[:0]
		var want [sha256.Size]byte
		sc.mac = hmacSHA256Into(&want, key, sts, sc.mac)

		var got [sha256.Size]byte
		// Signature is 64 lowercase hex digits (parseAuthorization checked).
		decodeHex(got[:], a.Signature)
		if !hmac.Equal(got[:], want[:]) {
			return nil, errInvalid(msgSignatureMismatch)
		}
	}

	return &Result{
		AccessKeyID:  a.AccessKeyID,
		Region:       a.Region,
		Service:      a.Service,
		Time:         t,
		SessionToken: sessionToken,
	}, nil
}

// first returns the first value of the header with canonical key key.
// Unlike http.Header.Get it does not canonicalise key again.
func first(h http.Header, key string) string {
	if vs := h[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// decodeHex decodes the lowercase hex string s into dst (len(s)/2 bytes).
// s must be valid lowercase hex.
func decodeHex(dst []byte, s string) {
	val := func(c byte) byte {
		if c <= '9' {
			return c - '0'
		}
		return c - 'a' + 10
	}
	for i := range dst {
		dst[i] = val(s[2*i])<<4 | val(s[2*i+1])
	}
}

// checkSkew rejects a request time more than MaxSkew from now, with AWS's
// messages. A time exactly MaxSkew away is accepted.
func checkSkew(t, now time.Time) error {
	now = now.UTC()
	if earliest := now.Add(-MaxSkew); t.Before(earliest) {
		return errInvalid("Signature expired: " + t.Format(amzDateLayout) + " is now earlier than " +
			earliest.Format(amzDateLayout) + " (" + now.Format(amzDateLayout) + " - 5 min.)")
	}
	if latest := now.Add(MaxSkew); t.After(latest) {
		return errInvalid("Signature not yet current: " + t.Format(amzDateLayout) + " is still later than " +
			latest.Format(amzDateLayout) + " (" + now.Format(amzDateLayout) + " + 5 min.)")
	}
	return nil
}

// checkScope checks the credential scope's region, service and date. AWS
// reports every wrong element of the scope in one message.
func (v *Verifier) checkScope(date, region, service, amzDate string) error {
	regionOK := v.cfg.AllowRegion(region)
	serviceOK := service == v.cfg.Service
	dateOK := date == amzDate[:8]
	if regionOK && serviceOK && dateOK {
		return nil
	}
	var msgs []string
	if !regionOK {
		msgs = append(msgs, "Credential should be scoped to a valid region, not '"+echo(region)+"'.")
	}
	if !serviceOK {
		msgs = append(msgs, "Credential should be scoped to correct service: '"+v.cfg.Service+"'.")
	}
	if !dateOK {
		msgs = append(msgs, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
			echo(date)+"' != '"+amzDate[:8]+"', from '"+amzDate+"'.")
	}
	return errInvalid(strings.Join(msgs, " "))
}

// parseAmzDate parses the ISO 8601 basic format 20060102T150405Z strictly
// (time.Parse would also take one-digit hours and such).
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(amzDateLayout) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[4:6])
	day, ok3 := num(s[6:8])
	hour, ok4 := num(s[9:11])
	minute, ok5 := num(s[11:13])
	sec, ok6 := num(s[13:15])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	// time.Date normalises out-of-range fields (month 13, 25:00); reject them.
	if t.Year() != year || int(t.Month()) != month || t.Day() != day ||
		t.Hour() != hour || t.Minute() != minute || t.Second() != sec {
		return time.Time{}, false
	}
	return t, true
}

// validRegion reports whether s looks like an AWS region name:
// ^[a-z]{2}(-[a-z]+)+-[0-9]+$.
func validRegion(s string) bool {
	if len(s) > 64 || len(s) < 6 || !isLower(s[0]) || !isLower(s[1]) || s[2] != '-' {
		return false
	}
	words := 0
	rest := s[3:]
	for {
		seg, tail, more := strings.Cut(rest, "-")
		if seg == "" {
			return false
		}
		if !more {
			// The last segment is the number.
			for i := 0; i < len(seg); i++ {
				if seg[i] < '0' || seg[i] > '9' {
					return false
				}
			}
			return words > 0
		}
		for i := 0; i < len(seg); i++ {
			if !isLower(seg[i]) {
				return false
			}
		}
		words++
		rest = tail
	}
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
