package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
)

// TLSOptions configure the proxy's TLS listener.
type TLSOptions struct {
	// CertFile and KeyFile are the server certificate chain and key (PEM).
	CertFile, KeyFile string
	// ClientCAFile, if set, turns on mutual TLS: a client must present a
	// certificate that chains to one of these CAs (PEM), or the handshake
	// is aborted.
	ClientCAFile string
	// ClientNames, with mutual TLS, are the subject names a client
	// certificate may carry (its subject common name or a DNS name), for
	// example "cks.kms.us-east-1.amazonaws.com". Empty means any name
	// under ClientCAFile. The specification asks that both the name and
	// the CA be configurable.
	ClientNames []string
}

// TLSConfig returns the server TLS configuration: TLS 1.2 or later (Go's
// cipher suites include the ones the specification requires), HTTP/2 and
// HTTP/1.1, and, with ClientCAFile, client certificates checked during the
// handshake.
func TLSConfig(o TLSOptions) (*tls.Config, error) {
	if o.CertFile == "" || o.KeyFile == "" {
		return nil, errors.New("proxy: TLS needs both a certificate file and a key file")
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("proxy: loading the TLS certificate: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
	if o.ClientCAFile == "" {
		if len(o.ClientNames) > 0 {
			return nil, errors.New("proxy: client names need a client CA file (mutual TLS)")
		}
		return cfg, nil
	}
	pem, err := os.ReadFile(o.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("proxy: reading the client CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("proxy: %s holds no PEM certificate", o.ClientCAFile)
	}
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = pool
	if len(o.ClientNames) > 0 {
		names := slices.Clone(o.ClientNames)
		// VerifyConnection runs after the chain is verified; an error
		// aborts the handshake, so a certificate with another subject
		// never reaches the handler.
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("proxy: no client certificate")
			}
			leaf := cs.PeerCertificates[0]
			if slices.Contains(names, leaf.Subject.CommonName) {
				return nil
			}
			for _, n := range leaf.DNSNames {
				if slices.Contains(names, n) {
					return nil
				}
			}
			return fmt.Errorf("proxy: client certificate subject %q is not an allowed client name", leaf.Subject.CommonName)
		}
	}
	return cfg, nil
}
