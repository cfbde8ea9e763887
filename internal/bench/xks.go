package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/keyhold/keyhold/internal/sigv4"
	"github.com/keyhold/keyhold/internal/xks"
)

// XKSConfig points the bench at an XKS proxy (keyhold's or any other):
// the operations Encrypt and Decrypt then go to
// <Endpoint><URIPath>/keys/<KeyID>/encrypt|decrypt, signed with SigV4 for
// service kms-xks-proxy, as AWS KMS calls an external key store proxy.
type XKSConfig struct {
	Endpoint string // e.g. http://127.0.0.1:4600
	URIPath  string // e.g. /example/kms/xks/v1
	KeyID    string // the external key id
	Region   string
	// Credentials are the key store's XKS proxy credential.
	Credentials sigv4.Credentials
	Connections int
	Timeout     time.Duration
	// Size is the plaintext size (AWS KMS sends 32 to ~4 KiB).
	Size int
}

// XKSTarget is the Doer of an XKS run.
type XKSTarget struct {
	cfg       XKSConfig
	hc        *http.Client
	encBody   []byte
	decBody   []byte
	encURL    string
	decURL    string
	plaintext []byte
}

// NewXKSTarget checks the proxy with one Encrypt (whose answer the
// Decrypts then replay) and returns the Doer.
func NewXKSTarget(ctx context.Context, cfg XKSConfig) (*XKSTarget, error) {
	if cfg.KeyID == "" || !strings.Contains(cfg.URIPath, "/kms/xks/v") {
		return nil, errors.New("the XKS mode needs --xks-key and --xks-path (…/kms/xks/v1)")
	}
	if cfg.Size <= 0 {
		cfg.Size = 32
	}
	conns := max(cfg.Connections, 1)
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: 2 * conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	t := &XKSTarget{cfg: cfg, hc: &http.Client{Transport: tr, Timeout: timeout}}
	base := strings.TrimSuffix(cfg.Endpoint, "/") + cfg.URIPath + "/keys/" + cfg.KeyID
	t.encURL, t.decURL = base+"/encrypt", base+"/decrypt"
	t.plaintext = make([]byte, cfg.Size)
	rand.Read(t.plaintext)
	md := &xks.RequestMetadata{AWSPrincipalARN: "arn:aws:iam::111122223333:user/bench", KMSOperation: "Encrypt",
		KMSRequestID: "bench", KMSKeyARN: "arn:aws:kms:" + cfg.Region + ":111122223333:key/bench"}
	aad := []byte("keyhold bench")
	var err error
	if t.encBody, err = json.Marshal(xks.EncryptRequest{RequestMetadata: md, Plaintext: t.plaintext,
		EncryptionAlgorithm: "AES_GCM", AAD: aad, IntegrityAlgorithm: "SHA_256"}); err != nil {
		return nil, err
	}
	resp, code, msg := t.call(ctx, t.encURL, t.encBody)
	if code != "" {
		return nil, fmt.Errorf("XKS Encrypt at %s: %s: %s", t.encURL, code, msg)
	}
	var er xks.EncryptResponse
	if err := json.Unmarshal(resp, &er); err != nil {
		return nil, fmt.Errorf("XKS Encrypt answer: %w", err)
	}
	dmd := *md
	dmd.KMSOperation = "Decrypt"
	if t.decBody, err = json.Marshal(xks.DecryptRequest{RequestMetadata: &dmd, Ciphertext: er.Ciphertext,
		EncryptionAlgorithm: "AES_GCM", IV: er.IV, Tag: er.Tag, AAD: aad, CiphertextMetadata: er.CiphertextMetadata}); err != nil {
		return nil, err
	}
	return t, nil
}

// Do sends one Encrypt or Decrypt; other operations are refused.
func (t *XKSTarget) Do(ctx context.Context, op Op) (code, message string) {
	switch op {
	case Encrypt:
		_, code, message = t.call(ctx, t.encURL, t.encBody)
	case Decrypt:
		_, code, message = t.call(ctx, t.decURL, t.decBody)
	default:
		return "client:unsupported-op", op.String() + " is not an XKS proxy operation"
	}
	return code, message
}

// Close closes idle connections.
func (t *XKSTarget) Close() { t.hc.CloseIdleConnections() }

func (t *XKSTarget) call(ctx context.Context, url string, body []byte) ([]byte, string, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, "client:request", err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sigv4.Sign(req, body, t.cfg.Credentials, t.cfg.Region, "kms-xks-proxy", time.Now()); err != nil {
		return nil, "client:signing", err.Error()
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		return nil, "client:transport", err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "client:read", err.Error()
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Name    string `json:"errorName"`
			Message string `json:"errorMessage"`
		}
		if json.Unmarshal(b, &e) == nil && e.Name != "" {
			return nil, e.Name, e.Message
		}
		return nil, fmt.Sprintf("http:%d", resp.StatusCode), ""
	}
	return b, "", ""
}
