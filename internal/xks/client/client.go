// Package client is keyhold's XKS client: it calls an XKS proxy the way AWS
// KMS does (SigV4 with service kms-xks-proxy, 250 ms for the whole
// exchange, JSON bodies) and checks every answer against the
// specification before anyone uses it. internal/kms uses it, through an
// interface, for KMS keys in external key stores.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/keyhold/keyhold/internal/sigv4"
	"github.com/keyhold/keyhold/internal/xks"
)

// DefaultTimeout is AWS KMS's limit for one call to a proxy: TCP, TLS and
// HTTP together.
const DefaultTimeout = 250 * time.Millisecond

// maxResponse bounds what is read of an answer.
const maxResponse = 64 << 10

// Options configure a Client. The zero value is usable: system roots, no
// client certificate, 250 ms.
type Options struct {
	// RootCAs are the CAs a proxy's certificate must chain to; nil means
	// the system's. (AWS KMS trusts a fixed list of public CAs; keyhold
	// lets the operator name a private one.)
	RootCAs *x509.CertPool
	// Certificates are presented to proxies that ask for a client
	// certificate (mutual TLS).
	Certificates []tls.Certificate
	// Resolve maps a proxy host name to the address to dial
	// ("host:port"), like curl's --resolve: KMS's XksProxyUriEndpoint has
	// no port, so this is how a proxy on another port is reached. TLS
	// still checks the certificate against the host name.
	Resolve map[string]string
	// Timeout is the limit of one call (default DefaultTimeout).
	Timeout time.Duration
	// Now is the signing clock (nil: time.Now).
	Now func() time.Time
}

// Client calls XKS proxies. It is safe for concurrent use and keeps
// connections open between calls.
type Client struct {
	http    *http.Client
	timeout time.Duration
	now     func() time.Time
}

// New returns a Client.
func New(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	resolve := make(map[string]string, len(o.Resolve))
	for h, a := range o.Resolve {
		resolve[strings.ToLower(h)] = a
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err == nil {
				if to, ok := resolve[strings.ToLower(host)]; ok {
					addr = to
				}
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			RootCAs:      o.RootCAs,
			Certificates: o.Certificates,
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: o.Timeout,
	}
	return &Client{http: &http.Client{Transport: tr, Timeout: o.Timeout}, timeout: o.Timeout, now: o.Now}
}

// CloseIdleConnections closes the kept connections.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Do calls op on the proxy ep (for the external key keyID, except for
// GetHealthStatus) with the request body in, and decodes the answer into
// out, which must be the operation's response type (*xks.HealthResponse,
// *xks.MetadataResponse, *xks.EncryptResponse, *xks.DecryptResponse).
//
// An answer with an error name is an *xks.Error; every other failure is an
// *xks.CallError with its xks.Failure. A successful answer has been checked
// against the specification (members present, Base64, sizes).
func (c *Client) Do(ctx context.Context, ep *xks.Endpoint, op, keyID string, in, out any) error {
	if !strings.HasPrefix(ep.URIEndpoint, "https://") {
		return &xks.CallError{Failure: xks.FailureUnreachable, Err: errors.New("the proxy URI endpoint is not https")}
	}
	if op != xks.OpGetHealthStatus && !xks.ValidKeyID(keyID) {
		return &xks.CallError{Failure: xks.FailureInvalidResponse, Err: fmt.Errorf("invalid external key id")}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("xks client: encoding the request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	url := ep.URIEndpoint + xks.OperationPath(ep.URIPath, op, keyID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &xks.CallError{Failure: xks.FailureUnreachable, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sigv4.Sign(req, body, sigv4.Credentials{AccessKeyID: ep.AccessKeyID, SecretAccessKey: string(ep.Secret)},
		ep.Region, xks.Service, c.now()); err != nil {
		return fmt.Errorf("xks client: signing: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &xks.CallError{Failure: classify(ctx, err), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return &xks.CallError{Failure: classify(ctx, err), Err: err}
	}
	if len(data) > maxResponse {
		return invalid("the answer is longer than %d bytes", maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return errorResponse(resp.StatusCode, data)
	}
	return decodeResponse(data, out)
}

// classify tells apart the ways a call fails before an answer arrives.
func classify(ctx context.Context, err error) xks.Failure {
	var (
		ne       net.Error
		unknown  x509.UnknownAuthorityError
		invalidC x509.CertificateInvalidError
		hostname x509.HostnameError
		alert    tls.AlertError
		record   tls.RecordHeaderError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &invalidC), errors.As(err, &hostname),
		errors.As(err, &alert), errors.As(err, &record), errors.As(err, &verify):
		return xks.FailureTLS
	case errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil:
		return xks.FailureTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return xks.FailureTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// A proxy that drops the connection during the handshake (a
		// refused client certificate under TLS 1.3 shows up this way) or
		// the exchange.
		if strings.Contains(err.Error(), "tls") || strings.Contains(err.Error(), "handshake") {
			return xks.FailureTLS
		}
		return xks.FailureUnreachable
	case strings.Contains(err.Error(), "tls:"):
		return xks.FailureTLS
	}
	return xks.FailureUnreachable
}

func invalid(format string, args ...any) error {
	return &xks.CallError{Failure: xks.FailureInvalidResponse, Err: fmt.Errorf(format, args...)}
}

// errorResponse reads an error answer: {"errorName": ...} with one of the
// specification's names. Anything else is an invalid response.
func errorResponse(status int, data []byte) error {
	var e struct {
		Name    *string `json:"errorName"`
		Message *string `json:"errorMessage"`
	}
	if err := json.Unmarshal(data, &e); err != nil || e.Name == nil {
		return invalid("HTTP %d without an XKS error body", status)
	}
	known := false
	for _, n := range xks.ErrorNames {
		known = known || n == *e.Name
	}
	if !known {
		return invalid("HTTP %d with the unknown error name %q", status, xks.SafeMessage(*e.Name))
	}
	out := &xks.Error{Name: *e.Name}
	if e.Message != nil {
		out.Message = xks.SafeMessage(*e.Message)
	}
	return out
}

// decodeResponse decodes and checks a successful answer.
func decodeResponse(data []byte, out any) error {
	switch o := out.(type) {
	case *xks.HealthResponse:
		var w struct {
			FleetSize *int            `json:"xksProxyFleetSize"`
			Vendor    *string         `json:"xksProxyVendor"`
			Model     *string         `json:"xksProxyModel"`
			EKMVendor *string         `json:"ekmVendor"`
			Details   []xks.EKMDetail `json:"ekmFleetDetails"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return invalid("health answer: %v", err)
		}
		if w.FleetSize == nil || *w.FleetSize < 1 || w.Vendor == nil || w.Model == nil || w.EKMVendor == nil ||
			len(w.Details) < 1 || len(w.Details) > 10 {
			return invalid("health answer lacks members or has out-of-range values")
		}
		for _, d := range w.Details {
			switch d.HealthStatus {
			case xks.HealthActive, xks.HealthDegraded, xks.HealthUnavailable:
			default:
				return invalid("health answer: unknown healthStatus")
			}
		}
		*o = xks.HealthResponse{FleetSize: *w.FleetSize, Vendor: *w.Vendor, Model: *w.Model, EKMVendor: *w.EKMVendor, EKMFleetDetails: w.Details}
	case *xks.MetadataResponse:
		var w struct {
			KeySpec   *string  `json:"keySpec"`
			KeyUsage  []string `json:"keyUsage"`
			KeyStatus *string  `json:"keyStatus"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return invalid("metadata answer: %v", err)
		}
		if w.KeySpec == nil || w.KeyStatus == nil || w.KeyUsage == nil || len(w.KeyUsage) > 10 {
			return invalid("metadata answer lacks members")
		}
		*o = xks.MetadataResponse{KeySpec: *w.KeySpec, KeyUsage: w.KeyUsage, KeyStatus: *w.KeyStatus}
	case *xks.EncryptResponse:
		var w struct {
			Tag        *string `json:"authenticationTag"`
			Ciphertext *string `json:"ciphertext"`
			CDIV       *string `json:"ciphertextDataIntegrityValue"`
			Metadata   *string `json:"ciphertextMetadata"`
			IV         *string `json:"initializationVector"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return invalid("encrypt answer: %v", err)
		}
		var err error
		if o.Tag, err = b64("authenticationTag", w.Tag, true); err != nil {
			return err
		}
		if o.Ciphertext, err = b64("ciphertext", w.Ciphertext, true); err != nil {
			return err
		}
		if o.IV, err = b64("initializationVector", w.IV, true); err != nil {
			return err
		}
		if o.CiphertextMetadata, err = b64("ciphertextMetadata", w.Metadata, false); err != nil {
			return err
		}
		if w.CDIV != nil {
			o.IntegrityValue = *w.CDIV
		}
		switch {
		case len(o.Tag) != xks.TagSize:
			return invalid("encrypt answer: authenticationTag is %d bytes", len(o.Tag))
		case len(o.IV) != xks.IVSize && len(o.IV) != xks.AltIVSize:
			return invalid("encrypt answer: initializationVector is %d bytes", len(o.IV))
		case len(o.CiphertextMetadata) > xks.MaxMetadata:
			return invalid("encrypt answer: ciphertextMetadata is %d bytes", len(o.CiphertextMetadata))
		}
	case *xks.DecryptResponse:
		var w struct {
			Plaintext *string `json:"plaintext"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return invalid("decrypt answer: %v", err)
		}
		var err error
		if o.Plaintext, err = b64("plaintext", w.Plaintext, true); err != nil {
			return err
		}
	default:
		return fmt.Errorf("xks client: unknown response type %T", out)
	}
	return nil
}

func b64(name string, v *string, required bool) ([]byte, error) {
	if v == nil {
		if required {
			return nil, invalid("the answer lacks %s", name)
		}
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(*v)
	if err != nil {
		return nil, invalid("the answer's %s is not Base64", name)
	}
	return b, nil
}
