// Package xkstest helps tests of keyhold's XKS proxy and client: a test
// certificate authority that issues server and client certificates for
// loopback, and signing of XKS requests the way the public compliance test
// client (curl --aws-sigv4) does. It is for tests only.
package xkstest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyhold/keyhold/internal/sigv4"
	"github.com/keyhold/keyhold/internal/xks"
)

// CA is a certificate authority whose files live in a test's directory.
type CA struct {
	t    testing.TB
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// CertFile is the CA certificate (PEM).
	CertFile string
}

// NewCA makes a CA named name, writing its certificate to dir.
func NewCA(t testing.TB, dir, name string) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &CA{t: t, dir: dir, cert: cert, key: key, CertFile: filepath.Join(dir, name+"-ca.pem")}
	writePEM(t, ca.CertFile, "CERTIFICATE", der)
	return ca
}

// Pool returns a pool holding the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Leaf describes a certificate to issue.
type Leaf struct {
	Name     string // subject common name and file name
	DNSNames []string
	IPs      []net.IP
	Client   bool // client authentication instead of server
	// NotAfter defaults to a day from now; a past time makes an expired
	// certificate.
	NotAfter time.Time
	// SelfSigned signs the leaf with its own key instead of the CA's.
	SelfSigned bool
}

// Issue makes a certificate and key and returns their files (PEM).
func (ca *CA) Issue(l Leaf) (certFile, keyFile string) {
	t := ca.t
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notAfter := l.NotAfter
	if notAfter.IsZero() {
		notAfter = time.Now().Add(24 * time.Hour)
	}
	notBefore := time.Now().Add(-time.Hour)
	if notAfter.Before(notBefore) {
		notBefore = notAfter.Add(-time.Hour)
	}
	usage := x509.ExtKeyUsageServerAuth
	if l.Client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: l.Name},
		DNSNames:     l.DNSNames,
		IPAddresses:  l.IPs,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	parent, signer := ca.cert, ca.key
	if l.SelfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(ca.dir, l.Name+".pem")
	keyFile = filepath.Join(ca.dir, l.Name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func serial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Request returns a signed XKS request: POST url with body, Content-Type
// application/json, signed (content-type;host;x-amz-date, as curl
// --aws-sigv4 does) with the credential for region and service at time at
// (zero: now).
func Request(t testing.TB, url, body, accessKeyID, secret, region, service string, at time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	// curl signs no content-length; neither do we.
	cl := r.ContentLength
	r.ContentLength = 0
	if at.IsZero() {
		at = time.Now()
	}
	if service == "" {
		service = xks.Service
	}
	if err := sigv4.Sign(r, []byte(body), sigv4.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret}, region, service, at); err != nil {
		t.Fatal(err)
	}
	r.ContentLength = cl
	return r
}

// LoadRequest is one kind of request of a load: its path after the base
// URL and its body.
type LoadRequest struct {
	Path, Body string
}

// LoadResult is what Load measured.
type LoadResult struct {
	Requests, Failures int
	Elapsed            time.Duration
	// Latencies are sorted; each runs from the request's scheduled start.
	Latencies []time.Duration
}

// Quantile returns the q-quantile (0..1) of the latencies.
func (r *LoadResult) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[min(len(r.Latencies)-1, int(q*float64(len(r.Latencies))))]
}

func (r *LoadResult) String() string {
	return fmt.Sprintf("%d requests in %v (%.0f req/s), %d failed; latency p50 %v p90 %v p99 %v p99.9 %v max %v",
		r.Requests, r.Elapsed.Round(time.Millisecond), float64(r.Requests)/r.Elapsed.Seconds(), r.Failures,
		r.Quantile(0.5), r.Quantile(0.9), r.Quantile(0.99), r.Quantile(0.999), r.Quantile(1))
}

// Load sends rate signed requests per second for d, open-loop: request i
// is due at start + i/rate whatever happened to the ones before, and its
// latency counts from then (no coordinated omission). Requests cycle
// through reqs. Anything but HTTP 200 is a failure.
func Load(t testing.TB, client *http.Client, baseURL string, reqs []LoadRequest, accessKeyID, secret, region string, rate int, d time.Duration) *LoadResult {
	total := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, total)
	var failures atomic.Int64
	jobs := make(chan int, 1024)
	start := time.Now().Add(100 * time.Millisecond)
	var wg sync.WaitGroup
	for range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				lr := reqs[i%len(reqs)]
				r := Request(t, baseURL+lr.Path, lr.Body, accessKeyID, secret, region, "", time.Time{})
				resp, err := client.Do(r)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("HTTP %d", resp.StatusCode)
					}
				}
				if err != nil {
					failures.Add(1)
				}
				lat[i] = time.Since(start.Add(time.Duration(i) * interval))
			}
		}()
	}
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	res := &LoadResult{Requests: total, Failures: int(failures.Load()), Elapsed: time.Since(start), Latencies: lat}
	slices.Sort(res.Latencies)
	return res
}

// EncryptBody is an Encrypt request body with metadata md.
func EncryptBody(md *xks.RequestMetadata, pt, aad []byte, cdiv bool) string {
	r := &xks.EncryptRequest{RequestMetadata: md, Plaintext: pt, EncryptionAlgorithm: xks.AlgorithmAESGCM, AAD: aad}
	if cdiv {
		r.IntegrityAlgorithm = xks.IntegrityAlgorithmSHA256
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// DecryptBody is the Decrypt request body for the Encrypt answer encResp.
func DecryptBody(md *xks.RequestMetadata, encResp string, aad []byte) (string, error) {
	var e xks.EncryptResponse
	if err := json.Unmarshal([]byte(encResp), &e); err != nil {
		return "", err
	}
	b, _ := json.Marshal(&xks.DecryptRequest{RequestMetadata: md, Ciphertext: e.Ciphertext, EncryptionAlgorithm: xks.AlgorithmAESGCM,
		IV: e.IV, Tag: e.Tag, AAD: aad, CiphertextMetadata: e.CiphertextMetadata})
	return string(b), nil
}
