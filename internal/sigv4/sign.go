package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Credentials are an access key for signing.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken is set for temporary credentials only.
	SessionToken string
}

// unsignedHeaders are never signed: proxies and transports add or change
// them. The list is aws-sdk-go-v2's.
var unsignedHeaders = map[string]bool{
	"authorization":     true,
	"user-agent":        true,
	"x-amzn-trace-id":   true,
	"expect":            true,
	"transfer-encoding": true,
}

// Sign signs r, whose body is body, for region and service at time t. It
// sets X-Amz-Date, X-Amz-Security-Token (when creds has a session token) and
// Authorization, and sets r.Host (from r.URL.Host if empty) without a
// default port, so that the Host header sent is the one signed.
// If r already carries X-Amz-Content-Sha256 it is set to body's hash.
//
// Like aws-sdk-go-v2, Sign signs host, content-length (when
// r.ContentLength > 0) and every header r carries except Authorization,
// User-Agent, X-Amzn-Trace-Id, Expect and Transfer-Encoding; so set
// Content-Type and X-Amz-Target before calling it. The caller must send
// exactly body as r's body.
func Sign(r *http.Request, body []byte, creds Credentials, region, service string, t time.Time) error {
	if creds.AccessKeyID == "" || !printable(creds.AccessKeyID) || strings.ContainsAny(creds.AccessKeyID, "/,") {
		return errors.New("sigv4: invalid access key id")
	}
	if creds.SecretAccessKey == "" {
		return errors.New("sigv4: empty secret access key")
	}
	if region == "" || !printable(region) || strings.ContainsAny(region, "/,") ||
		service == "" || !printable(service) || strings.ContainsAny(service, "/,") {
		return errors.New("sigv4: invalid region or service name")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}

	t = t.UTC()
	amzDate := t.Format(amzDateLayout)
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", amzDate)
	if creds.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	payloadHash := sha256.Sum256(body)
	payloadHex := hex.EncodeToString(payloadHash[:])
	if r.Header.Get("X-Amz-Content-Sha256") != "" {
		r.Header.Set("X-Amz-Content-Sha256", payloadHex)
	}
	if r.URL != nil {
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		r.Host = stripDefaultPort(r.URL.Scheme, host)
	}

	a := &Authorization{
		AccessKeyID:   creds.AccessKeyID,
		Date:          amzDate[:8],
		Region:        region,
		Service:       service,
		SignedHeaders: signedHeaderNames(r),
	}
	secret := []byte(creds.SecretAccessKey)
	sig, err := signature(r, []byte(payloadHex), secret, a, amzDate)
	clear(secret)
	if err != nil {
		return err
	}
	a.Signature = sig
	r.Header.Set("Authorization", a.String())
	return nil
}

// signature returns the hex signature of r for a's scope and signed
// headers, with payload hash payloadHex and request time amzDate.
func signature(r *http.Request, payloadHex, secret []byte, a *Authorization, amzDate string) (string, error) {
	canonical, err := appendCanonicalRequest(nil, r, a.SignedHeaders, payloadHex)
	if err != nil {
		return "", err
	}
	canonicalHash := sha256.Sum256(canonical)
	sts := appendStringToSign(nil, amzDate, a, &canonicalHash)
	key := deriveSigningKey(secret, a.Date, a.Region, a.Service)
	mac := hmac.New(sha256.New, key[:])
	clear(key[:])
	mac.Write(sts)
	return hex.EncodeToString(mac.Sum(nil)), nil
}

// signedHeaderNames lists the headers Sign signs, sorted.
func signedHeaderNames(r *http.Request) []string {
	names := []string{"host"}
	if r.ContentLength > 0 {
		names = append(names, "content-length")
	}
	for k := range r.Header {
		name := strings.ToLower(k)
		if unsignedHeaders[name] || name == "host" || name == "content-length" {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// stripDefaultPort removes ":443" from an https host and ":80" from an http
// one, as aws-sdk-go-v2 does; Go's client would otherwise send the port in
// the Host header and the signature would not match what it signed.
func stripDefaultPort(scheme, host string) string {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		return host
	}
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}
