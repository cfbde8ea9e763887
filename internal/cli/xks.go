package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/keyhold/keyhold/internal/audit"
	"github.com/keyhold/keyhold/internal/xks"
	xksclient "github.com/keyhold/keyhold/internal/xks/client"
	"github.com/keyhold/keyhold/internal/xks/proxy"
)

// XKSConfig configures keyhold's two external key store roles: the XKS
// proxy (listener, TLS, logical key stores) and the XKS client that
// reaches the proxies of external key stores created with
// CreateCustomKeyStore. docs/xks.md describes every setting.
type XKSConfig struct {
	// Listen is the XKS proxy listener (--xks-listen); empty means no
	// proxy. Outside loopback it requires TLS.
	Listen string `yaml:"listen"`
	// TLS is the proxy listener's certificate and, optionally, mutual TLS.
	TLS XKSTLSConfig `yaml:"tls"`
	// Region is the region whose domain key seals the external keys
	// (default: the first of regions, else us-east-1).
	Region string `yaml:"region"`
	// FleetSize is the number of proxy instances behind the endpoint, for
	// the health report (default 1).
	FleetSize int `yaml:"fleet_size"`
	// Audit is how proxy calls reach the audit trail: "durable" (default)
	// answers each call only once its audit event is on disk, as the KMS
	// API does; "buffered" answers at once and writes the event with the
	// next batch (a crash can lose the last events; the chain stays
	// intact). The disk's fsync latency is part of every durable call.
	Audit string `yaml:"audit"`
	// KeyStores are the proxy's logical key stores.
	KeyStores []XKSKeyStoreConfig `yaml:"key_stores"`
	// Client configures how keyhold reaches XKS proxies.
	Client XKSClientConfig `yaml:"client"`
}

// XKSTLSConfig is the proxy listener's TLS.
type XKSTLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile turns on mutual TLS; ClientNames restricts the client
	// certificate's subject (common name or DNS name).
	ClientCAFile string   `yaml:"client_ca_file"`
	ClientNames  []string `yaml:"client_names"`
}

// XKSKeyStoreConfig is one logical key store of the proxy.
type XKSKeyStoreConfig struct {
	Name                 string                `yaml:"name"`
	Prefix               string                `yaml:"prefix"`
	Regions              []string              `yaml:"regions"`
	MaxRequestsPerSecond int                   `yaml:"max_requests_per_second"`
	Credentials          []XKSCredentialConfig `yaml:"credentials"`
	Authorization        *proxy.Rule           `yaml:"authorization"`
	// Keys are created at start when missing, and set to these
	// operations and status when present.
	Keys []XKSKeyConfig `yaml:"keys"`
}

// XKSCredentialConfig is one SigV4 credential of a logical key store. The
// secret is given inline or in a file (first line).
type XKSCredentialConfig struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	SecretFile      string `yaml:"secret_file"`
}

// XKSKeyConfig declares an external key.
type XKSKeyConfig struct {
	ID string `yaml:"id"`
	// Operations is encrypt, decrypt, both (default) or none.
	Operations string `yaml:"operations"`
	// Enabled defaults to true.
	Enabled *bool `yaml:"enabled"`
}

// XKSClientConfig is how keyhold, as an XKS client, reaches proxies.
type XKSClientConfig struct {
	// CAFile adds trusted CAs (PEM) for proxy certificates, besides the
	// system's.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate for proxies that
	// require mutual TLS.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Resolve maps a proxy host name to the address to dial, host:port
	// (XksProxyUriEndpoint has no port).
	Resolve map[string]string `yaml:"resolve"`
}

// region is the region whose domain key seals new external keys: the
// configured one, else the first served region, else us-east-1.
func (c *Config) xksRegion() string {
	switch {
	case c.XKS.Region != "":
		return c.XKS.Region
	case len(c.Regions) > 0:
		return c.Regions[0]
	}
	return "us-east-1"
}

// validate says what is wrong with the XKS settings.
func (x *XKSConfig) validate() []error {
	var errs []error
	if x.Listen != "" {
		if _, _, err := net.SplitHostPort(x.Listen); err != nil {
			errs = append(errs, fmt.Errorf("xks-listen: %q is not host:port", x.Listen))
		} else if x.TLS.CertFile == "" && !isLoopback(x.Listen) {
			errs = append(errs, fmt.Errorf("xks-listen: %q is not a loopback address, so the XKS proxy needs TLS: set xks.tls.cert_file and xks.tls.key_file", x.Listen))
		}
	}
	if x.Region != "" && !regionRE.MatchString(x.Region) {
		errs = append(errs, fmt.Errorf("xks.region: %q is not a region name like us-east-1", x.Region))
	}
	switch x.Audit {
	case "", "durable", "buffered":
	default:
		errs = append(errs, fmt.Errorf("xks.audit: %q is not durable or buffered", x.Audit))
	}
	if x.FleetSize < 0 {
		errs = append(errs, errors.New("xks.fleet_size must be positive"))
	}
	if (x.TLS.CertFile == "") != (x.TLS.KeyFile == "") {
		errs = append(errs, errors.New("xks.tls: set both cert_file and key_file"))
	} else if x.TLS.CertFile != "" {
		if _, err := proxy.TLSConfig(x.tlsOptions()); err != nil {
			errs = append(errs, fmt.Errorf("xks.tls: %w", err))
		}
	}
	if x.TLS.ClientCAFile == "" && len(x.TLS.ClientNames) > 0 {
		errs = append(errs, errors.New("xks.tls.client_names needs xks.tls.client_ca_file"))
	}
	if _, err := x.keyStores(); err != nil {
		errs = append(errs, err)
	}
	for _, ks := range x.KeyStores {
		for _, k := range ks.Keys {
			if !xks.ValidKeyID(k.ID) {
				errs = append(errs, fmt.Errorf("xks key store %q: key id %q must be 1 to 128 characters of [A-Za-z0-9._-]", ks.Name, k.ID))
			}
			if _, err := proxy.ParseOperations(defaultOps(k.Operations)); err != nil {
				errs = append(errs, fmt.Errorf("xks key store %q, key %q: %w", ks.Name, k.ID, err))
			}
		}
	}
	if _, err := x.clientOptions(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func defaultOps(s string) string {
	if s == "" {
		return "both"
	}
	return s
}

func (x *XKSConfig) tlsOptions() proxy.TLSOptions {
	return proxy.TLSOptions{CertFile: x.TLS.CertFile, KeyFile: x.TLS.KeyFile, ClientCAFile: x.TLS.ClientCAFile, ClientNames: x.TLS.ClientNames}
}

// keyStores turns the configuration into the proxy's logical key stores,
// reading secret files.
func (x *XKSConfig) keyStores() ([]proxy.KeyStore, error) {
	var (
		out  []proxy.KeyStore
		errs []error
	)
	prefixes := map[string]string{}
	for _, ks := range x.KeyStores {
		p := proxy.KeyStore{Name: ks.Name, Prefix: ks.Prefix, Regions: ks.Regions,
			Authorization: ks.Authorization, MaxRequestsPerSecond: ks.MaxRequestsPerSecond}
		for _, c := range ks.Credentials {
			secret := c.SecretAccessKey
			switch {
			case c.SecretFile != "" && secret != "":
				errs = append(errs, fmt.Errorf("xks key store %q, access key id %q: set secret_access_key or secret_file, not both", ks.Name, c.AccessKeyID))
			case c.SecretFile != "":
				b, err := os.ReadFile(c.SecretFile)
				if err != nil {
					errs = append(errs, fmt.Errorf("xks key store %q: reading the secret file of access key id %q: %w", ks.Name, c.AccessKeyID, err))
				}
				secret, _, _ = strings.Cut(strings.TrimSpace(string(b)), "\n")
				secret = strings.TrimSpace(secret)
			}
			p.Credentials = append(p.Credentials, proxy.Credential{AccessKeyID: c.AccessKeyID, Secret: secret})
		}
		if err := proxy.CheckKeyStore(p); err != nil {
			errs = append(errs, fmt.Errorf("xks: %w", err))
		}
		if other, dup := prefixes[ks.Prefix]; dup {
			errs = append(errs, fmt.Errorf("xks key stores %q and %q have the same prefix %q", other, ks.Name, ks.Prefix))
		}
		prefixes[ks.Prefix] = ks.Name
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// clientOptions builds the XKS client's options (reading its files).
func (x *XKSConfig) clientOptions() (xksclient.Options, error) {
	var o xksclient.Options
	if x.Client.CAFile != "" {
		pem, err := os.ReadFile(x.Client.CAFile)
		if err != nil {
			return o, fmt.Errorf("xks.client.ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return o, fmt.Errorf("xks.client.ca_file: %s holds no PEM certificate", x.Client.CAFile)
		}
		o.RootCAs = pool
	}
	if (x.Client.CertFile == "") != (x.Client.KeyFile == "") {
		return o, errors.New("xks.client: set both cert_file and key_file")
	}
	if x.Client.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(x.Client.CertFile, x.Client.KeyFile)
		if err != nil {
			return o, fmt.Errorf("xks.client: %w", err)
		}
		o.Certificates = []tls.Certificate{cert}
	}
	for h, a := range x.Client.Resolve {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return o, fmt.Errorf("xks.client.resolve: %q for %q is not host:port", a, h)
		}
	}
	o.Resolve = x.Client.Resolve
	return o, nil
}

// newXKSClient returns the XKS client of the service. The configuration was
// validated at load; if a file changed since, the error is logged and the
// client runs with system roots only.
func newXKSClient(cfg *Config, log *slog.Logger) *xksclient.Client {
	o, err := cfg.XKS.clientOptions()
	if err != nil {
		log.Error("XKS client configuration", "error", err.Error())
	}
	return xksclient.New(o)
}

// xksRun is the running XKS proxy listener.
type xksRun struct {
	srv   *http.Server
	ln    net.Listener
	proxy *proxy.Server
	stop  chan struct{}
	done  chan struct{}
}

// listenXKS starts nothing but prepares the XKS proxy when --xks-listen is
// set: it creates the configured keys, builds the handler and binds the
// listener. It returns nil when the proxy is off.
func (s *server) listenXKS(ctx context.Context) (*xksRun, error) {
	x := &s.cfg.XKS
	if x.Listen == "" {
		return nil, nil
	}
	stores, err := x.keyStores()
	if err != nil {
		return nil, err
	}
	km := &proxy.KeyManager{Store: s.store, Boundary: s.boundary, Region: s.cfg.xksRegion()}
	for _, ks := range x.KeyStores {
		for _, kc := range ks.Keys {
			if err := ensureXKSKey(ctx, km, ks.Name, kc, s.log); err != nil {
				return nil, fmt.Errorf("xks key %q of key store %q: %w", kc.ID, ks.Name, err)
			}
		}
	}
	p, err := proxy.New(ctx, proxy.Config{
		KeyStores: stores,
		Store:     s.store,
		Boundary:  s.boundary,
		Region:    s.cfg.xksRegion(),
		FleetSize: x.FleetSize,
		Version:   Version,
		Logger:    s.log.With("component", "xks-proxy"),
		Observe: func(op, errorName string, d time.Duration) {
			s.metrics.ObserveRequest("xks", op, errorName, d)
		},
		Audit: s.xksAudit(),
	})
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", x.Listen)
	if err != nil {
		return nil, fmt.Errorf("XKS proxy listener on %s: %w (choose another address with --xks-listen)", x.Listen, err)
	}
	if x.TLS.CertFile != "" {
		tc, err := proxy.TLSConfig(x.tlsOptions())
		if err != nil {
			ln.Close()
			return nil, err
		}
		srv.TLSConfig = tc
		ln = tls.NewListener(ln, tc)
	}
	s.log.Info("XKS proxy listening", "xks_listen", ln.Addr().String(), "tls", x.TLS.CertFile != "",
		"mutual_tls", x.TLS.ClientCAFile != "", "key_stores", len(stores))
	r := &xksRun{srv: srv, ln: ln, proxy: p, stop: make(chan struct{}), done: make(chan struct{})}
	go r.reloadOnHUP(s)
	return r, nil
}

// ensureXKSKey creates a configured key, or sets an existing one to its
// configured operations and status.
func ensureXKSKey(ctx context.Context, km *proxy.KeyManager, store string, kc XKSKeyConfig, log *slog.Logger) error {
	ops, err := proxy.ParseOperations(defaultOps(kc.Operations))
	if err != nil {
		return err
	}
	enabled := kc.Enabled == nil || *kc.Enabled
	k, err := km.Create(ctx, store, kc.ID, ops)
	switch {
	case errors.Is(err, proxy.ErrKeyExists):
		_, err = km.Update(ctx, store, kc.ID, &ops, &enabled)
		return err
	case err != nil:
		return err
	}
	if !enabled {
		_, err = km.Update(ctx, store, kc.ID, nil, &enabled)
		return err
	}
	log.Info("created XKS external key from the configuration", "key_store", store, "external_key_id", k.ID, "operations", ops.String())
	return nil
}

// serve runs the proxy until shutdown. (SIGHUP, handled from listenXKS
// on, reloads the logical key stores from the configuration file.)
func (r *xksRun) serve() error {
	// The listener is already TLS when configured; Serve, not ServeTLS.
	return serveHTTP(r.srv, r.ln)
}

func (r *xksRun) reloadOnHUP(s *server) {
	defer close(r.done)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-r.stop:
			return
		case <-hup:
			if err := r.reload(s); err != nil {
				s.log.Error("XKS proxy: reloading the key stores failed; the old ones stay", "error", err.Error())
				continue
			}
			s.log.Info("XKS proxy: key stores reloaded")
		}
	}
}

// reload reads the configuration file again and replaces the proxy's
// logical key stores.
func (r *xksRun) reload(s *server) error {
	if s.cfg.source == "" {
		return errors.New("no configuration file to reload (start with --config)")
	}
	b, err := os.ReadFile(s.cfg.source)
	if err != nil {
		return err
	}
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	stores, err := c.XKS.keyStores()
	if err != nil {
		return err
	}
	return r.proxy.Reload(stores)
}

// shutdown stops the listener, finishing requests in flight. It is safe
// on a nil *xksRun (no proxy).
func (r *xksRun) shutdown(ctx context.Context) error {
	if r == nil {
		return nil
	}
	close(r.stop)
	<-r.done
	err := r.srv.Shutdown(ctx)
	r.ln.Close() // when Serve never ran
	return err
}

// xksAudit records XKS proxy calls in keyhold's audit trail as
// CloudTrail-shaped events (source kms-xks-proxy), or nil without an
// audit log. requestParameters carry the key store, the external key id
// and the requestMetadata, never plaintext, ciphertext or AAD.
func (s *server) xksAudit() func(context.Context, *proxy.AuditRecord) error {
	if s.audit == nil {
		return nil
	}
	return func(ctx context.Context, r *proxy.AuditRecord) error {
		params, err := json.Marshal(struct {
			KeyStore        string               `json:"keyStore,omitempty"`
			ExternalKeyID   string               `json:"externalKeyId,omitempty"`
			RequestMetadata *xks.RequestMetadata `json:"requestMetadata,omitempty"`
		}{r.KeyStore, r.ExternalKeyID, r.Metadata})
		if err != nil {
			return err
		}
		op := r.Operation
		if op == "" {
			op = "InvalidUriPath"
		}
		ev := &audit.Event{
			EventTime:         audit.FormatTime(r.Time),
			EventSource:       xks.Service,
			EventName:         op,
			AWSRegion:         r.Region,
			SourceIPAddress:   r.SourceIP,
			UserAgent:         r.UserAgent,
			ErrorCode:         r.ErrorName,
			ErrorMessage:      r.ErrorMessage,
			RequestParameters: params,
			ResponseElements:  json.RawMessage("null"),
			ReadOnly:          op == xks.OpGetHealthStatus || op == xks.OpGetKeyMetadata,
			EventType:         audit.TypeAPICall,
			ManagementEvent:   true,
			EventCategory:     audit.CategoryMgmt,
		}
		if r.AccessKeyID != "" {
			ev.UserIdentity = &audit.UserIdentity{Type: "XksProxyCredential", AccessKeyID: r.AccessKeyID}
		}
		if r.Metadata != nil {
			ev.RequestID = r.Metadata.KMSRequestID
		}
		if s.cfg.XKS.Audit == "buffered" {
			go func() {
				if err := s.audit.Record(context.Background(), ev); err != nil {
					s.log.Error("XKS proxy: audit event not written", "error", err.Error(), "xks_operation", op)
				}
			}()
			return nil
		}
		return s.audit.Record(ctx, ev)
	}
}
