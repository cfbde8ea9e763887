package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/keyhold/keyhold/internal/sigv4"
)

const (
	contentType  = "application/x-amz-json-1.1"
	targetPrefix = "TrentService."
	// maxErrorBody bounds how much of an error response is read to find
	// its code.
	maxErrorBody = 64 << 10
)

// Client sends SigV4-signed AWS JSON 1.1 requests to one KMS endpoint with
// net/http directly: no SDK, so that the generator spends little of the
// machine it shares with the server.
type Client struct {
	url    string
	region string
	creds  sigv4.Credentials
	hc     *http.Client
	now    func() time.Time
}

// ClientConfig configures a Client.
type ClientConfig struct {
	// Endpoint is the service URL, e.g. http://127.0.0.1:4599.
	Endpoint    string
	Region      string
	Credentials sigv4.Credentials
	// Connections is the most connections the bench keeps open; the
	// transport keeps that many idle so that no request waits for a dial.
	Connections int
	// Timeout bounds one request, from sending to the end of the response.
	Timeout time.Duration
	// Now is the clock for signing; time.Now if nil.
	Now func() time.Time
}

// NewClient checks cfg and returns a client with a transport tuned for a
// load generator: keep-alive, an idle pool as large as the concurrency, no
// proxy, no compression.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http:// or https:// URL", cfg.Endpoint)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	if cfg.Region == "" {
		return nil, errors.New("no region")
	}
	conns := max(cfg.Connections, 1)
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := &http.Transport{
		// Proxy stays nil: the bench measures the endpoint, not a proxy.
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   2 * conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		DisableCompression:    true,
		ExpectContinueTimeout: 0,
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Client{
		url:    u.String(),
		region: cfg.Region,
		creds:  cfg.Credentials,
		hc:     &http.Client{Transport: tr, Timeout: timeout},
		now:    now,
	}, nil
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// APIError is an error response of the service.
type APIError struct {
	Op      string
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s: %s (HTTP %d)", e.Op, e.Code, e.Status)
	}
	return fmt.Sprintf("%s: %s: %s", e.Op, e.Code, e.Message)
}

// Call sends op with the JSON body in and decodes a successful response
// into out (if not nil). It is for the few requests that set a run up.
func (c *Client) Call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := c.post(ctx, targetPrefix+op, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return apiError(op, resp)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: reading response: %w", op, err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s: response is not the expected JSON: %w", op, err)
		}
	}
	return nil
}

// prepared is a request sent many times: its body never changes, so its
// signature changes only with the second of X-Amz-Date, and is computed
// once a second instead of once a request. The service sees exactly what a
// client signing every request would send; the generator saves the
// SigV4 work for the server's share of the CPU.
type prepared struct {
	target []string // X-Amz-Target
	body   []byte
	sig    atomic.Pointer[signature]
}

// signature is the signed headers of a prepared request for one second.
type signature struct {
	unix   int64
	host   string
	header http.Header // X-Amz-Date, Authorization, X-Amz-Security-Token
}

func newPrepared(op string, body []byte) *prepared {
	return &prepared{target: []string{targetPrefix + op}, body: body}
}

var contentTypeValue = []string{contentType}

// send sends one prepared request and returns "" for a 200 response, or
// the error's code: the service's (e.g. NotFoundException), or one of the
// client:* codes of transportCode.
func (c *Client) send(ctx context.Context, p *prepared) (code, message string) {
	now := c.now()
	sig := p.sig.Load()
	if sig == nil || sig.unix != now.Unix() {
		signed, err := c.request(context.Background(), p.target[0], p.body, now)
		if err != nil {
			return CodeSign, err.Error()
		}
		sig = &signature{unix: now.Unix(), host: signed.Host, header: http.Header{}}
		for _, k := range []string{"X-Amz-Date", "Authorization", "X-Amz-Security-Token"} {
			if v, ok := signed.Header[k]; ok {
				sig.header[k] = v
			}
		}
		p.sig.Store(sig)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(p.body))
	if err != nil {
		return CodeSign, err.Error()
	}
	// The header values are shared between requests and only read.
	req.Header["Content-Type"] = contentTypeValue
	req.Header["X-Amz-Target"] = p.target
	for k, v := range sig.header {
		req.Header[k] = v
	}
	req.Host = sig.host
	return c.roundTrip(req)
}

// sendSigned sends one request of op with body, signed for it alone (the
// key-list mode, where no two requests have the same body), and returns
// what send returns.
func (c *Client) sendSigned(ctx context.Context, op string, body []byte) (code, message string) {
	req, err := c.request(ctx, targetPrefix+op, body, c.now())
	if err != nil {
		return CodeSign, err.Error()
	}
	return c.roundTrip(req)
}

// roundTrip sends req and reads its response: "" for 200, else the error
// code and message.
func (c *Client) roundTrip(req *http.Request) (code, message string) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportCode(err), err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return transportCode(err), err.Error()
		}
		return "", ""
	}
	e := apiError("", resp)
	return e.Code, e.Message
}

func (c *Client) post(ctx context.Context, target string, body []byte) (*http.Response, error) {
	req, err := c.request(ctx, target, body, c.now())
	if err != nil {
		return nil, err
	}
	return c.hc.Do(req)
}

// request builds a request and signs it for time now.
func (c *Client) request(ctx context.Context, target string, body []byte, now time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header["Content-Type"] = []string{contentType}
	req.Header["X-Amz-Target"] = []string{target}
	if err := sigv4.Sign(req, body, c.creds, c.region, "kms", now); err != nil {
		return nil, err
	}
	return req, nil
}

// apiError reads an error response. The code comes from the
// X-Amzn-ErrorType header or the body's __type (or code), with any
// namespace ("com.amazonaws.kms#") and suffix (":http://...") removed, as
// the AWS SDKs do; a response without one is "HTTP <status>".
func apiError(op string, resp *http.Response) *APIError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, resp.Body)
	var eb struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(b, &eb)
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = eb.Type
	}
	if code == "" {
		code = eb.Code
	}
	code = sanitizeCode(code)
	if code == "" {
		code = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	msg := eb.Message
	if msg == "" {
		msg = eb.MessageU
	}
	return &APIError{Op: op, Status: resp.StatusCode, Code: code, Message: msg}
}

// sanitizeCode reduces an error type to its name and refuses anything that
// does not look like one, so that a misbehaving server cannot fill the
// error table with arbitrary text.
func sanitizeCode(s string) string {
	s, _, _ = strings.Cut(s, ":")
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return ""
		}
	}
	return s
}

// Codes of requests that got no response from the service.
const (
	CodeTimeout           = "client:timeout"
	CodeConnectionRefused = "client:connection-refused"
	CodeConnectionReset   = "client:connection-reset"
	CodeConnectionClosed  = "client:connection-closed"
	CodeCanceled          = "client:canceled"
	CodeSign              = "client:sign"
	CodeTransport         = "client:transport"
	// CodeNotSent counts requests of an open-loop schedule still unsent
	// when the run ended: the endpoint did not sustain the rate.
	CodeNotSent = "client:not-sent"
)

func transportCode(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	case errors.Is(err, syscall.ECONNREFUSED):
		return CodeConnectionRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return CodeConnectionReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return CodeConnectionClosed
	}
	return CodeTransport
}
