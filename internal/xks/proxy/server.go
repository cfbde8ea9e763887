// Package proxy is keyhold's XKS proxy: the HTTP handler that serves the
// AWS KMS External Key Store Proxy API (version 1) over keyhold's own
// crypto boundary, so that a KMS (AWS KMS, or another keyhold acting as an
// XKS client) can "hold your own key" in keyhold.
//
// One proxy serves several logical key stores, told apart by the URI path
// prefix before "/kms/xks/v1". Each has its own SigV4 credentials (any
// number at a time, so they can be rotated without downtime; service name
// kms-xks-proxy, region taken from the credential scope), its own external
// keys and an optional secondary authorization rule. External keys are
// AES-256 backing keys (keyhold.XKSKey) whose material never leaves the
// crypto boundary.
//
// The request pipeline, in the order its errors are decided:
//
//	path → 404 InvalidUriPathException (unknown route or prefix)
//	method → 405 for anything but POST on an operation URI
//	body size → 501 UnsupportedOperationException
//	SigV4 → 401 AuthenticationFailedException
//	rate → 429 ThrottlingException (when the key store has a quota)
//	Content-Type, body → 400 ValidationException, 501 for oversized members
//	secondary authorization (not health) → 403 AccessDeniedException
//	external key → 404 KeyNotFoundException
//	key status and usage → 400 InvalidStateException, InvalidKeyUsageException
//	crypto → 400 InvalidCiphertextException, 500 InternalException,
//	         503 DependencyTimeoutException
//
// Every response body is one line of JSON.
package proxy

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm"
	"github.com/keyhold/keyhold/internal/sigv4"
	"github.com/keyhold/keyhold/internal/xks"
)

// Store is what the proxy reads: external keys, and domain keys (to load
// one made by another process, such as `keyhold xks key create`).
type Store interface {
	GetXKSKey(ctx context.Context, keyStore, id string) (*keyhold.XKSKey, error)
	ListDomainKeys(ctx context.Context) ([]*keyhold.DomainKey, error)
}

// Boundary is the part of the crypto boundary the proxy uses.
type Boundary interface {
	hsm.XKSBoundary
	LoadDomainKeys(ctx context.Context, dks []*keyhold.DomainKey) error
}

// Credential is one SigV4 credential of a logical key store: what a KMS
// stores as XksProxyAuthenticationCredential.
type Credential struct {
	AccessKeyID string
	Secret      string
}

// KeyStore is a logical key store of the proxy.
type KeyStore struct {
	// Name identifies the store's external keys in keyhold's store; it
	// does not change when the prefix does.
	Name string
	// Prefix is the URI path prefix before "/kms/xks/v1": "" or
	// "/segment[/segment...]".
	Prefix string
	// Credentials are the accepted SigV4 credentials (at least one; two
	// while one is being rotated).
	Credentials []Credential
	// Regions, if not empty, are the only SigV4 regions accepted.
	Regions []string
	// Authorization is the secondary authorization rule (nil: none).
	Authorization *Rule
	// MaxRequestsPerSecond, if positive, is the store's request quota;
	// requests above it get ThrottlingException. AWS KMS's own quota per
	// external key store is 1800.
	MaxRequestsPerSecond int
}

// Config configures a Server.
type Config struct {
	KeyStores []KeyStore
	Store     Store
	Boundary  Boundary
	// Region is the region whose domain key seals the external keys; the
	// health report checks that it is loaded.
	Region string
	// FleetSize is the number of proxy instances behind the endpoint
	// (default 1).
	FleetSize int
	// Version goes into the health report's model strings.
	Version string
	Logger  *slog.Logger
	// Now is the clock for SigV4 (nil: time.Now).
	Now func() time.Time
	// Observe, if set, is called once per request with the operation
	// ("" when the path names none), the error name ("" for success) and
	// the time taken: the hook for metrics.
	Observe func(op, errorName string, d time.Duration)
	// Audit, if set, records every request but /ping before its answer
	// is sent; if it fails, the answer is InternalException (the proxy
	// fails closed, as keyhold's KMS API does).
	Audit func(ctx context.Context, r *AuditRecord) error
	// Timeout bounds the work on one request after it is authenticated
	// (default 200 ms, inside KMS's 250 ms per call); past it the answer
	// is DependencyTimeoutException.
	Timeout time.Duration
}

// Server is the XKS proxy handler. It is safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	stores atomic.Pointer[map[string]*logicalStore]

	// domainKeys records the domain key ids loaded into the boundary, so
	// a key sealed under a domain key made elsewhere triggers a reload.
	dkMu       sync.Mutex
	domainKeys map[string]bool

	keys keyCache
}

// logicalStore is a KeyStore ready to serve: its verifier looks up the
// store's own credentials.
type logicalStore struct {
	KeyStore
	verifier *sigv4.Verifier
	secrets  map[string][]byte
	limiter  *limiter
}

// New checks cfg and returns a Server.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Boundary == nil {
		return nil, errors.New("proxy: Store and Boundary are required")
	}
	if cfg.FleetSize <= 0 {
		cfg.FleetSize = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 200 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, domainKeys: map[string]bool{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.Reload(cfg.KeyStores); err != nil {
		return nil, err
	}
	if err := s.loadDomainKeys(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// loadDomainKeys loads every stored domain key into the boundary.
func (s *Server) loadDomainKeys(ctx context.Context) error {
	dks, err := s.cfg.Store.ListDomainKeys(ctx)
	if err != nil {
		return fmt.Errorf("proxy: listing domain keys: %w", err)
	}
	if len(dks) > 0 {
		if err := s.cfg.Boundary.LoadDomainKeys(ctx, dks); err != nil {
			return fmt.Errorf("proxy: loading domain keys: %w", err)
		}
	}
	s.dkMu.Lock()
	for _, dk := range dks {
		s.domainKeys[dk.ID] = true
	}
	s.dkMu.Unlock()
	return nil
}

// ensureDomainKey loads the domain keys again if id is not among them.
func (s *Server) ensureDomainKey(ctx context.Context, id string) error {
	s.dkMu.Lock()
	known := s.domainKeys[id]
	s.dkMu.Unlock()
	if known {
		return nil
	}
	return s.loadDomainKeys(ctx)
}

// call is one request in progress.
type call struct {
	op     string
	path   xks.Path
	store  *logicalStore
	req    *xks.Request
	access string
	region string
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{}
	resp, xerr := s.serve(r, c)
	if _, ping := resp.(pong); !ping && s.cfg.Audit != nil {
		if err := s.cfg.Audit(r.Context(), s.auditRecord(r, c, start, xerr)); err != nil {
			s.log.Error("xks: the audit trail refused the record; answering InternalException", "error", err.Error())
			resp, xerr = nil, xks.Errorf(xks.ErrInternal, "")
		}
	}
	name := ""
	if xerr != nil {
		name = xerr.Name
		writeError(w, xerr)
	} else {
		writeJSON(w, http.StatusOK, resp)
	}
	d := time.Since(start)
	if s.cfg.Observe != nil {
		s.cfg.Observe(c.op, name, d)
	}
	s.logCall(r, c, name, xerr, d)
}

// errMethod marks the one answer that is not an XKS error
// name's status: 405 for a method other than POST.
const errMethod = "MethodNotAllowed"

func (s *Server) serve(r *http.Request, c *call) (any, *xks.Error) {
	p, ok := xks.ParsePath(r.URL.EscapedPath())
	if !ok {
		if r.Method == http.MethodGet && r.URL.Path == "/ping" {
			return pong{}, nil
		}
		return nil, xks.Errorf(xks.ErrInvalidURIPath, "The URI path is not an operation of the XKS proxy API v1.")
	}
	c.op, c.path = p.Operation, p
	if r.Method != http.MethodPost {
		return nil, &xks.Error{Name: errMethod, Message: "The XKS proxy API accepts only POST."}
	}
	stores := *s.stores.Load()
	ls := stores[p.Prefix]
	if ls == nil {
		return nil, xks.Errorf(xks.ErrInvalidURIPath, "No key store is served under this URI path prefix.")
	}
	c.store = ls
	body, err := io.ReadAll(io.LimitReader(r.Body, xks.MaxBody+1))
	if err != nil {
		return nil, xks.Errorf(xks.ErrValidation, "The request body could not be read.")
	}
	if len(body) > xks.MaxBody {
		return nil, xks.Errorf(xks.ErrUnsupportedOperation, "The request body is larger than this proxy accepts.")
	}
	res, err := ls.verifier.Verify(r.Context(), r, body)
	if err != nil {
		if e, ok := keyhold.AsError(err); ok {
			// The SigV4 layer's message says what was wrong with the
			// signature (never a secret); keep it for the operator.
			return nil, xks.Errorf(xks.ErrAuthenticationFailed, e.Message)
		}
		s.log.Error("xks: SigV4 verification failed", "error", err.Error())
		return nil, xks.Errorf(xks.ErrInternal, "")
	}
	c.access, c.region = res.AccessKeyID, res.Region
	if ls.limiter != nil && !ls.limiter.allow() {
		return nil, xks.Errorf(xks.ErrThrottling, "The key store's request quota is exceeded. Retry later.")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, xks.Errorf(xks.ErrValidation, "Content-Type must be application/json.")
	}
	req, xerr := xks.ParseRequest(p.Operation, body)
	if xerr != nil {
		return nil, xerr
	}
	c.req = req

	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	if p.Operation == xks.OpGetHealthStatus {
		return s.health(ctx), nil
	}
	if why := ls.Authorization.Check(&req.Metadata); why != "" {
		s.log.Warn("xks: secondary authorization denied the request", "key_store", ls.Name,
			"kms_request_id", req.Metadata.KMSRequestID, "reason", why)
		return nil, xks.Errorf(xks.ErrAccessDenied, "The key store's authorization rule denies this request.")
	}
	k, err := s.getKey(ctx, ls.Name, p.KeyID)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, xks.Errorf(xks.ErrKeyNotFound, "The external key does not exist in this key store.")
	}
	if err != nil {
		return nil, s.dependencyError(ctx, "reading the external key", err)
	}
	switch p.Operation {
	case xks.OpGetKeyMetadata:
		return metadata(k), nil
	case xks.OpEncrypt:
		return s.encrypt(ctx, k, req)
	default:
		return s.decrypt(ctx, k, req)
	}
}

type pong struct{}

// dependencyError turns a failure of the store or the boundary into
// DependencyTimeoutException when the request ran out of time, and
// InternalException otherwise; the detail goes only to the log.
func (s *Server) dependencyError(ctx context.Context, what string, err error) *xks.Error {
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		s.log.Warn("xks: "+what+" timed out", "error", err.Error())
		return xks.Errorf(xks.ErrDependencyTimeout, "The key manager did not answer in time.")
	}
	s.log.Error("xks: "+what+" failed", "error", err.Error())
	return xks.Errorf(xks.ErrInternal, "")
}

func metadata(k *keyhold.XKSKey) *xks.MetadataResponse {
	m := &xks.MetadataResponse{KeySpec: xks.KeySpecAES256, KeyUsage: []string{}, KeyStatus: xks.KeyStatusDisabled}
	if k.AllowEncrypt {
		m.KeyUsage = append(m.KeyUsage, xks.KeyUsageEncrypt)
	}
	if k.AllowDecrypt {
		m.KeyUsage = append(m.KeyUsage, xks.KeyUsageDecrypt)
	}
	if k.Enabled {
		m.KeyStatus = xks.KeyStatusEnabled
	}
	return m
}

var (
	errDisabled  = xks.Errorf(xks.ErrInvalidState, "The external key is disabled.")
	errNoEncrypt = xks.Errorf(xks.ErrInvalidKeyUsage, "The external key does not allow encryption.")
	errNoDecrypt = xks.Errorf(xks.ErrInvalidKeyUsage, "The external key does not allow decryption.")
	errNoVerify  = xks.Errorf(xks.ErrInvalidKeyUsage,
		"The external key does not allow decryption, which the integrity value's verifying decryption needs.")
)

// encrypt runs the specification's procedure: encrypt, compute the
// integrity value over the output at once, then (when an integrity value
// is asked for) decrypt the output again as a self-check, so the value is
// a promise that Decrypt with the same inputs will work.
func (s *Server) encrypt(ctx context.Context, k *keyhold.XKSKey, req *xks.Request) (any, *xks.Error) {
	switch {
	case !k.Enabled:
		return nil, errDisabled
	case !k.AllowEncrypt:
		return nil, errNoEncrypt
	case req.IntegrityAlgorithm != "" && !k.AllowDecrypt:
		return nil, errNoVerify
	}
	if err := s.ensureDomainKey(ctx, k.BackingKey.DomainKeyID); err != nil {
		return nil, s.dependencyError(ctx, "loading domain keys", err)
	}
	out, err := s.cfg.Boundary.XKSEncrypt(ctx, k.BackingKey, req.Plaintext, req.AAD)
	if err != nil {
		return nil, s.dependencyError(ctx, "encrypting", err)
	}
	resp := &xks.EncryptResponse{Tag: out.Tag, Ciphertext: out.Ciphertext, CiphertextMetadata: out.Metadata, IV: out.IV}
	if req.IntegrityAlgorithm == "" {
		return resp, nil
	}
	resp.IntegrityValue = xks.IntegrityValue(req.AAD, out.Metadata, out.IV, out.Ciphertext, out.Tag)
	pt, err := s.cfg.Boundary.XKSDecrypt(ctx, k.BackingKey, out, req.AAD)
	if err != nil || subtle.ConstantTimeCompare(pt, req.Plaintext) != 1 {
		if err == nil {
			err = errors.New("the verifying decryption returned another plaintext")
		}
		return nil, s.dependencyError(ctx, "verifying the encryption", err)
	}
	clear(pt)
	return resp, nil
}

func (s *Server) decrypt(ctx context.Context, k *keyhold.XKSKey, req *xks.Request) (any, *xks.Error) {
	switch {
	case !k.Enabled:
		return nil, errDisabled
	case !k.AllowDecrypt:
		return nil, errNoDecrypt
	}
	if err := s.ensureDomainKey(ctx, k.BackingKey.DomainKeyID); err != nil {
		return nil, s.dependencyError(ctx, "loading domain keys", err)
	}
	c := &hsm.XKSCiphertext{IV: req.IV, Ciphertext: req.Ciphertext, Tag: req.Tag, Metadata: req.CiphertextMetadata}
	pt, err := s.cfg.Boundary.XKSDecrypt(ctx, k.BackingKey, c, req.AAD)
	if errors.Is(err, hsm.ErrInvalidCiphertext) {
		return nil, xks.Errorf(xks.ErrInvalidCiphertext,
			"The ciphertext, IV, tag, metadata or additional authenticated data is not valid for this key.")
	}
	if err != nil {
		return nil, s.dependencyError(ctx, "decrypting", err)
	}
	return &xks.DecryptResponse{Plaintext: pt}, nil
}

// health reports the proxy fleet and the state of the crypto boundary.
// It is not subject to secondary authorization.
func (s *Server) health(ctx context.Context) *xks.HealthResponse {
	h := s.cfg.Boundary.XKSHealth(ctx, s.cfg.Region)
	if h.Status != hsm.XKSActive {
		s.log.Warn("xks: crypto boundary is not healthy", "status", h.Status, "detail", h.Detail)
	}
	version := s.cfg.Version
	if version == "" {
		version = "dev"
	}
	return &xks.HealthResponse{
		FleetSize: s.cfg.FleetSize,
		Vendor:    "keyhold",
		Model:     "keyhold XKS proxy " + version,
		EKMVendor: "keyhold",
		EKMFleetDetails: []xks.EKMDetail{{
			ID:           h.ID,
			Model:        h.Model + " " + version,
			HealthStatus: h.Status,
		}},
	}
}

// writeError writes an XKS error body with the status of its name.
func writeError(w http.ResponseWriter, e *xks.Error) {
	status := e.Status()
	if e.Name == errMethod {
		status = http.StatusMethodNotAllowed
		w.Header().Set("Allow", http.MethodPost)
		e = &xks.Error{Name: xks.ErrValidation, Message: e.Message}
	}
	writeJSON(w, status, e)
}

// writeJSON writes v as one line of JSON (and /ping's plain answer).
func writeJSON(w http.ResponseWriter, status int, v any) {
	if _, ok := v.(pong); ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "pong from keyhold XKS proxy\n")
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errorName":"InternalException"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
