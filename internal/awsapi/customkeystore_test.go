package awsapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/keyhold/keyhold/internal/awsapi"
	"github.com/keyhold/keyhold/internal/hsm/soft"
	kmssvc "github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/store/sqlite"
	"github.com/keyhold/keyhold/internal/xks"
	xksclient "github.com/keyhold/keyhold/internal/xks/client"
	"github.com/keyhold/keyhold/internal/xks/proxy"
	"github.com/keyhold/keyhold/internal/xks/xkstest"
)

const (
	xksHost     = "xks.keyhold.test"
	xksEndpoint = "https://" + xksHost
	xksPath     = "/example/kms/xks/v1"
	xksAKID     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	xksSecret   = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
)

// proxyMode makes the test proxy misbehave.
type proxyMode string

const (
	modeHonest      proxyMode = ""
	modeSlow        proxyMode = "slow"        // answers after 300 ms
	modeBadCDIV     proxyMode = "bad-cdiv"    // a wrong integrity value
	modeShortTag    proxyMode = "short-tag"   // a 15-byte tag
	modeLiePlain    proxyMode = "lie-plain"   // decrypts to other bytes
	modeHTML        proxyMode = "html"        // an HTML error page
	modeAllDown     proxyMode = "all-down"    // every key manager UNAVAILABLE
	modeBadResponse proxyMode = "bad-members" // a JSON answer without members
)

// xksEnv is a keyhold KMS (the XKS client under test) whose external key
// stores use a keyhold XKS proxy over TLS on loopback, behind a wrapper
// that can make the proxy lie or stall and that records request metadata.
type xksEnv struct {
	*env
	srv   *httptest.Server
	proxy *proxy.Server
	km    *proxy.KeyManager

	mu   sync.Mutex
	mode proxyMode
	seen []xks.RequestMetadata
}

func (e *xksEnv) setMode(m proxyMode) { e.mu.Lock(); e.mode = m; e.mu.Unlock() }

func (e *xksEnv) metadata() []xks.RequestMetadata {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]xks.RequestMetadata(nil), e.seen...)
}

func newXKSEnv(t *testing.T) *xksEnv {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &xksEnv{}

	// The proxy: its own boundary and store, like another keyhold.
	pdir := t.TempDir()
	pb, err := soft.New(ctx, soft.Options{RootKeyPath: filepath.Join(pdir, "root.key")})
	if err != nil {
		t.Fatal(err)
	}
	pst, err := sqlite.Open(ctx, filepath.Join(pdir, "keyhold.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pst.Close(); pb.Close() })
	e.km = &proxy.KeyManager{Store: pst, Boundary: pb, Region: "us-east-1"}
	for id, ops := range map[string]proxy.Operations{"foo": {Encrypt: true, Decrypt: true}, "bar": {Encrypt: true, Decrypt: true}, "enc-only": {Encrypt: true}, "off": {Encrypt: true, Decrypt: true}} {
		if _, err := e.km.Create(ctx, "example", id, ops); err != nil {
			t.Fatal(err)
		}
	}
	off := false
	e.km.Update(ctx, "example", "off", nil, &off)
	stores := []proxy.KeyStore{{Name: "example", Prefix: "/example", Credentials: []proxy.Credential{{AccessKeyID: xksAKID, Secret: xksSecret}}}}
	for i := range 11 { // for the quota test
		stores = append(stores, proxy.KeyStore{Name: fmt.Sprint("s", i), Prefix: fmt.Sprint("/s", i), Credentials: stores[0].Credentials})
	}
	e.proxy, err = proxy.New(ctx, proxy.Config{KeyStores: stores, Store: pst, Boundary: pb, Region: "us-east-1", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ca := xkstest.NewCA(t, pdir, "xks")
	cf, kf := ca.Issue(xkstest.Leaf{Name: "proxy", DNSNames: []string{xksHost}})
	tc, err := proxy.TLSConfig(proxy.TLSOptions{CertFile: cf, KeyFile: kf})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(e.serveProxy))
	e.srv.TLS = tc
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)

	// The KMS.
	dir := t.TempDir()
	b, err := soft.New(ctx, soft.Options{RootKeyPath: filepath.Join(dir, "root.key")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "keyhold.db"))
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now().UTC()}
	client := xksclient.New(xksclient.Options{
		RootCAs: ca.Pool(),
		Resolve: map[string]string{xksHost: e.srv.Listener.Addr().String(), "down.keyhold.test": "127.0.0.1:1"},
	})
	svc := kmssvc.New(kmssvc.Config{Store: st, Boundary: b, Logger: log, Now: clock.Now, XKS: client})
	api := httptest.NewServer(awsapi.NewHandler(svc, awsapi.NewDevAuthenticator("111122223333"), log))
	t.Cleanup(func() { api.Close(); st.Close(); b.Close() })
	e.env = &env{clock: clock, svc: svc, url: api.URL}
	return e
}

// serveProxy runs the real proxy and, in a lying mode, changes its answer.
func (e *xksEnv) serveProxy(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	mode := e.mode
	e.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		RequestMetadata xks.RequestMetadata `json:"requestMetadata"`
	}
	if json.Unmarshal(body, &req) == nil {
		e.mu.Lock()
		e.seen = append(e.seen, req.RequestMetadata)
		e.mu.Unlock()
	}
	switch mode {
	case modeSlow:
		time.Sleep(300 * time.Millisecond)
	case modeHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		io.WriteString(w, "<html>Bad Gateway</html>")
		return
	}
	rec := httptest.NewRecorder()
	e.proxy.ServeHTTP(rec, r)
	out := rec.Body.Bytes()
	if rec.Code == 200 && mode != modeHonest {
		var m map[string]any
		json.Unmarshal(out, &m)
		switch {
		case mode == modeBadCDIV && m["ciphertextDataIntegrityValue"] != nil:
			m["ciphertextDataIntegrityValue"] = base64.StdEncoding.EncodeToString(make([]byte, 32))
		case mode == modeShortTag && m["authenticationTag"] != nil:
			m["authenticationTag"] = base64.StdEncoding.EncodeToString(make([]byte, 15))
		case mode == modeLiePlain && m["plaintext"] != nil:
			pt, _ := base64.StdEncoding.DecodeString(m["plaintext"].(string))
			pt[len(pt)/2] ^= 1
			m["plaintext"] = base64.StdEncoding.EncodeToString(pt)
		case mode == modeAllDown && m["ekmFleetDetails"] != nil:
			m["ekmFleetDetails"] = []map[string]string{{"id": "a", "model": "m", "healthStatus": "UNAVAILABLE"}}
		case mode == modeBadResponse:
			m = map[string]any{"unexpected": true}
		}
		out, _ = json.Marshal(m)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.Code)
	w.Write(out)
}

func createInput(name, path, secret string) *kms.CreateCustomKeyStoreInput {
	return &kms.CreateCustomKeyStoreInput{
		CustomKeyStoreName:   aws.String(name),
		CustomKeyStoreType:   types.CustomKeyStoreTypeExternalKeyStore,
		XksProxyConnectivity: types.XksProxyConnectivityTypePublicEndpoint,
		XksProxyUriEndpoint:  aws.String(xksEndpoint),
		XksProxyUriPath:      aws.String(path),
		XksProxyAuthenticationCredential: &types.XksProxyAuthenticationCredentialType{
			AccessKeyId: aws.String(xksAKID), RawSecretAccessKey: aws.String(secret)},
	}
}

func (e *xksEnv) describe(t *testing.T, c *kms.Client, id string) types.CustomKeyStoresListEntry {
	t.Helper()
	out := must(c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreId: &id}))
	if len(out.CustomKeyStores) != 1 {
		t.Fatalf("DescribeCustomKeyStores(%s): %d entries", id, len(out.CustomKeyStores))
	}
	return out.CustomKeyStores[0]
}

func TestCreateCustomKeyStoreErrors(t *testing.T) {
	e := newXKSEnv(t)
	c := e.client(acct, "us-east-1")

	// CloudHSM: AWS's answers for a cluster that does not exist.
	_, err := c.CreateCustomKeyStore(bg, &kms.CreateCustomKeyStoreInput{CustomKeyStoreName: aws.String("hsm"),
		CloudHsmClusterId: aws.String("cluster-234567abcdefg"), TrustAnchorCertificate: aws.String("cert"), KeyStorePassword: aws.String("kmsPswd")})
	wantErr(t, err, "CloudHsmClusterNotFoundException", "")
	_, err = c.CreateCustomKeyStore(bg, &kms.CreateCustomKeyStoreInput{CustomKeyStoreName: aws.String("hsm")})
	wantErr(t, err, "ValidationException", "")

	vpc := createInput("vpc", xksPath, xksSecret)
	vpc.XksProxyConnectivity = types.XksProxyConnectivityTypeVpcEndpointService
	vpc.XksProxyVpcEndpointServiceName = aws.String("com.amazonaws.vpce.us-east-1.vpce-svc-example")
	_, err = c.CreateCustomKeyStore(bg, vpc)
	wantErr(t, err, "XksProxyVpcEndpointServiceNotFoundException", "")
	vpc.XksProxyVpcEndpointServiceName = nil
	_, err = c.CreateCustomKeyStore(bg, vpc)
	wantErr(t, err, "ValidationException", "")

	partial := createInput("x", xksPath, xksSecret)
	partial.XksProxyAuthenticationCredential = nil
	_, err = c.CreateCustomKeyStore(bg, partial)
	wantErr(t, err, "ValidationException", "")
	// The model's patterns: no port, no http, a path ending in /kms/xks/vN.
	for _, in := range []*kms.CreateCustomKeyStoreInput{
		func() *kms.CreateCustomKeyStoreInput {
			i := createInput("x", xksPath, xksSecret)
			i.XksProxyUriEndpoint = aws.String("https://host:443")
			return i
		}(),
		func() *kms.CreateCustomKeyStoreInput {
			i := createInput("x", xksPath, xksSecret)
			i.XksProxyUriEndpoint = aws.String("http://xks.example")
			return i
		}(),
		createInput("x", "/example/kms/xks", xksSecret),
		createInput("x", xksPath, "short"),
	} {
		_, err = c.CreateCustomKeyStore(bg, in)
		wantErr(t, err, "ValidationException", "")
	}

	// The health check at creation.
	_, err = c.CreateCustomKeyStore(bg, createInput("x", xksPath, strings.Replace(xksSecret, "c2", "d2", 1)))
	wantErr(t, err, "XksProxyIncorrectAuthenticationCredentialException", "")
	_, err = c.CreateCustomKeyStore(bg, createInput("x", "/nowhere/kms/xks/v1", xksSecret))
	wantErr(t, err, "XksProxyInvalidConfigurationException", "")
	down := createInput("x", xksPath, xksSecret)
	down.XksProxyUriEndpoint = aws.String("https://down.keyhold.test")
	_, err = c.CreateCustomKeyStore(bg, down)
	wantErr(t, err, "XksProxyUriUnreachableException", "")
	for mode, code := range map[proxyMode]string{
		modeSlow:        "XksProxyUriUnreachableException",
		modeAllDown:     "XksProxyUriUnreachableException",
		modeHTML:        "XksProxyInvalidResponseException",
		modeBadResponse: "XksProxyInvalidResponseException",
	} {
		e.setMode(mode)
		_, err = c.CreateCustomKeyStore(bg, createInput("x", xksPath, xksSecret))
		wantErr(t, err, code, "")
	}
	e.setMode(modeHonest)
	if out := must(c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{})); len(out.CustomKeyStores) != 0 {
		t.Fatalf("failed creations left %d stores", len(out.CustomKeyStores))
	}

	// Uniqueness and the quota of 10.
	id := *must(c.CreateCustomKeyStore(bg, createInput("one", xksPath, xksSecret))).CustomKeyStoreId
	if !strings.HasPrefix(id, "cks-") || len(id) != 21 {
		t.Fatalf("custom key store id %q", id)
	}
	_, err = c.CreateCustomKeyStore(bg, createInput("one", "/s0/kms/xks/v1", xksSecret))
	wantErr(t, err, "CustomKeyStoreNameInUseException", "")
	_, err = c.CreateCustomKeyStore(bg, createInput("two", xksPath, xksSecret))
	wantErr(t, err, "XksProxyUriInUseException", "")
	for i := range 9 {
		must(c.CreateCustomKeyStore(bg, createInput(fmt.Sprint("n", i), fmt.Sprintf("/s%d/kms/xks/v1", i), xksSecret)))
	}
	_, err = c.CreateCustomKeyStore(bg, createInput("eleventh", "/s10/kms/xks/v1", xksSecret))
	wantErr(t, err, "LimitExceededException", "")
	// Other regions and accounts have their own.
	must(e.client("444455556666", "us-east-1").CreateCustomKeyStore(bg, createInput("one", xksPath, xksSecret)))
}

func TestDescribeCustomKeyStores(t *testing.T) {
	e := newXKSEnv(t)
	c := e.client(acct, "us-east-1")
	var ids []string
	for i := range 3 {
		ids = append(ids, *must(c.CreateCustomKeyStore(bg, createInput(fmt.Sprint("store", i), fmt.Sprintf("/s%d/kms/xks/v1", i), xksSecret))).CustomKeyStoreId)
	}
	got := e.describe(t, c, ids[1])
	if *got.CustomKeyStoreName != "store1" || got.ConnectionState != types.ConnectionStateTypeDisconnected ||
		got.CustomKeyStoreType != types.CustomKeyStoreTypeExternalKeyStore || got.ConnectionErrorCode != "" || got.CreationDate == nil {
		t.Fatalf("entry %+v", got)
	}
	x := got.XksProxyConfiguration
	if x == nil || *x.AccessKeyId != xksAKID || *x.UriEndpoint != xksEndpoint || *x.UriPath != "/s1/kms/xks/v1" ||
		x.Connectivity != types.XksProxyConnectivityTypePublicEndpoint || x.VpcEndpointServiceName != nil {
		t.Fatalf("XksProxyConfiguration %+v", x)
	}
	byName := must(c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreName: aws.String("store2")}))
	if len(byName.CustomKeyStores) != 1 || *byName.CustomKeyStores[0].CustomKeyStoreId != ids[2] {
		t.Fatalf("by name: %+v", byName.CustomKeyStores)
	}
	_, err := c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreName: aws.String("none")})
	wantErr(t, err, "CustomKeyStoreNotFoundException", "")
	_, err = c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreId: aws.String("cks-0123456789abcdef0")})
	wantErr(t, err, "CustomKeyStoreNotFoundException", "")
	_, err = e.client("444455556666", "us-east-1").DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreId: &ids[0]})
	wantErr(t, err, "CustomKeyStoreNotFoundException", "")
	_, err = c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreId: &ids[0], CustomKeyStoreName: aws.String("store0")})
	wantErr(t, err, "ValidationException", "")

	// Pages of one.
	var paged []string
	var marker *string
	for {
		out := must(c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{Limit: aws.Int32(1), Marker: marker}))
		for _, s := range out.CustomKeyStores {
			paged = append(paged, *s.CustomKeyStoreId)
		}
		if !out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	if len(paged) != 3 {
		t.Fatalf("paged %v", paged)
	}
	_, err = c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{Marker: aws.String("bogus")})
	wantErr(t, err, "InvalidMarkerException", "")
}

// TestExternalKeyStoreLifecycle runs a key through connect, double
// encryption, disconnect (Unavailable), reconnect and deletion.
func TestExternalKeyStoreLifecycle(t *testing.T) {
	e := newXKSEnv(t)
	c := e.client(acct, "us-east-1")
	id := *must(c.CreateCustomKeyStore(bg, createInput("store", xksPath, xksSecret))).CustomKeyStoreId

	create := func(xksKey string) (*kms.CreateKeyOutput, error) {
		return c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternalKeyStore, CustomKeyStoreId: &id, XksKeyId: &xksKey})
	}
	_, err := create("foo")
	wantErr(t, err, "CustomKeyStoreInvalidStateException", "")

	must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	if st := e.describe(t, c, id); st.ConnectionState != types.ConnectionStateTypeConnected {
		t.Fatalf("after connect: %+v", st)
	}
	must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id})) // again: fine

	// CreateKey's checks of the external key.
	_, err = create("nope")
	wantErr(t, err, "XksKeyNotFoundException", "")
	_, err = create("enc-only")
	wantErr(t, err, "XksKeyInvalidConfigurationException",
		"The key usage of the external key must include ENCRYPT and DECRYPT. The key use of specified external key is ENCRYPT.")
	_, err = create("off")
	wantErr(t, err, "XksKeyInvalidConfigurationException",
		"The status of the external key must be ENABLED. The status of specified external key is DISABLED.")
	_, err = c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternalKeyStore, CustomKeyStoreId: &id})
	wantErr(t, err, "ValidationException", "")
	_, err = c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternalKeyStore, CustomKeyStoreId: &id, XksKeyId: aws.String("foo"), KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	wantErr(t, err, "UnsupportedOperationException", "")
	_, err = c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternalKeyStore, CustomKeyStoreId: aws.String("cks-0123456789abcdef0"), XksKeyId: aws.String("foo")})
	wantErr(t, err, "CustomKeyStoreNotFoundException", "")
	_, err = c.CreateKey(bg, &kms.CreateKeyInput{XksKeyId: aws.String("foo")})
	wantErr(t, err, "ValidationException", "XksKeyId can only be specified with a custom key store of type EXTERNAL_KEY_STORE.")

	ck := must(create("foo"))
	m := ck.KeyMetadata
	if m.Origin != types.OriginTypeExternalKeyStore || *m.CustomKeyStoreId != id || *m.XksKeyConfiguration.Id != "foo" ||
		m.KeyState != types.KeyStateEnabled || m.KeySpec != types.KeySpecSymmetricDefault {
		t.Fatalf("CreateKey metadata %+v", m)
	}
	keyID := *m.KeyId
	dk := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &keyID})).KeyMetadata
	if *dk.CustomKeyStoreId != id || *dk.XksKeyConfiguration.Id != "foo" || dk.Origin != types.OriginTypeExternalKeyStore {
		t.Fatalf("DescribeKey %+v", dk)
	}
	_, err = create("foo")
	wantErr(t, err, "XksKeyAlreadyInUseException", "")
	// The requestMetadata of CreateKey's GetKeyMetadata.
	md := e.metadata()
	last := md[len(md)-1]
	if last.KMSOperation != "CreateKey" || last.AWSPrincipalARN == "" || last.KMSRequestID == "" {
		t.Fatalf("CreateKey requestMetadata %+v", last)
	}

	// Double encryption through every operation.
	ec := map[string]string{"purpose": "test"}
	enc := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("hold your own key"), EncryptionContext: ec}))
	if !bytes.HasPrefix(enc.CiphertextBlob, []byte("KX")) {
		t.Fatalf("blob %x", enc.CiphertextBlob[:8])
	}
	md = e.metadata()
	last = md[len(md)-1]
	if last.KMSOperation != "Encrypt" || last.KMSKeyARN != *m.Arn || last.AWSPrincipalARN != "arn:aws:iam::"+acct+":root" {
		t.Fatalf("Encrypt requestMetadata %+v", last)
	}
	dec := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
	if string(dec.Plaintext) != "hold your own key" || *dec.KeyId != *m.Arn {
		t.Fatalf("Decrypt %q", dec.Plaintext)
	}
	if md := e.metadata(); md[len(md)-1].KMSOperation != "Decrypt" {
		t.Fatalf("Decrypt requestMetadata %+v", md[len(md)-1])
	}
	// A wrong encryption context is refused by the proxy (AAD), which KMS
	// reports as KMSInvalidStateException, as AWS does.
	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "other"}})
	wantErr(t, err, "KMSInvalidStateException",
		"The external key store proxy rejected the request because the specified ciphertext or additional authenticated data is corrupted, missing, or otherwise invalid.")
	// A blob cut short never reaches the proxy.
	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob[:len(enc.CiphertextBlob)-1], EncryptionContext: ec})
	wantErr(t, err, "InvalidCiphertextException", "")

	gdk := must(c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes256}))
	back := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: gdk.CiphertextBlob}))
	if !bytes.Equal(back.Plaintext, gdk.Plaintext) || len(gdk.Plaintext) != 32 {
		t.Fatal("GenerateDataKey round trip")
	}
	gdkw := must(c.GenerateDataKeyWithoutPlaintext(bg, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: &keyID, NumberOfBytes: aws.Int32(64)}))
	if got := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: gdkw.CiphertextBlob})); len(got.Plaintext) != 64 {
		t.Fatal("GenerateDataKeyWithoutPlaintext round trip")
	}
	// ReEncrypt from the external key to a plain key and back.
	plain := *must(c.CreateKey(bg, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	re := must(c.ReEncrypt(bg, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ec, DestinationKeyId: &plain}))
	re2 := must(c.ReEncrypt(bg, &kms.ReEncryptInput{CiphertextBlob: re.CiphertextBlob, DestinationKeyId: &keyID, DestinationEncryptionContext: ec}))
	if got := must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: re2.CiphertextBlob, EncryptionContext: ec})); string(got.Plaintext) != "hold your own key" {
		t.Fatal("ReEncrypt round trip")
	}
	// A 4096-byte plaintext fits the proxy's limit with the inner layer.
	big := make([]byte, 4096)
	bigBlob := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &keyID, Plaintext: big})).CiphertextBlob
	if len(bigBlob) > 6144 {
		t.Fatalf("blob of %d bytes is over the model's 6144", len(bigBlob))
	}
	must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: bigBlob}))

	// What AWS does not offer for keys in custom key stores.
	_, err = c.GenerateDataKeyPair(bg, &kms.GenerateDataKeyPairInput{KeyId: &keyID, KeyPairSpec: types.DataKeyPairSpecEccNistP256})
	wantErr(t, err, "UnsupportedOperationException", "")
	_, err = c.EnableKeyRotation(bg, &kms.EnableKeyRotationInput{KeyId: &keyID})
	wantErr(t, err, "UnsupportedOperationException", "")
	_, err = c.GenerateRandom(bg, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8), CustomKeyStoreId: &id})
	wantErr(t, err, "UnsupportedOperationException", "")
	_, err = c.GenerateRandom(bg, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8), CustomKeyStoreId: aws.String("cks-0123456789abcdef0")})
	wantErr(t, err, "CustomKeyStoreNotFoundException", "")

	// Disconnect: the key is Unavailable; management still works.
	_, err = c.DeleteCustomKeyStore(bg, &kms.DeleteCustomKeyStoreInput{CustomKeyStoreId: &id})
	wantErr(t, err, "CustomKeyStoreInvalidStateException", "")
	must(c.DisconnectCustomKeyStore(bg, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	_, err = c.DisconnectCustomKeyStore(bg, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &id})
	wantErr(t, err, "CustomKeyStoreInvalidStateException", "")
	if st := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &keyID})).KeyMetadata.KeyState; st != types.KeyStateUnavailable {
		t.Fatalf("key state after disconnect: %s", st)
	}
	_, err = c.Encrypt(bg, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
	wantErr(t, err, "KMSInvalidStateException", *m.Arn+" is unavailable.")
	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	wantErr(t, err, "KMSInvalidStateException", *m.Arn+" is unavailable.")
	must(c.TagResource(bg, &kms.TagResourceInput{KeyId: &keyID, Tags: []types.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}}}))
	must(c.UpdateKeyDescription(bg, &kms.UpdateKeyDescriptionInput{KeyId: &keyID, Description: aws.String("d")}))
	if st := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &keyID})).KeyMetadata.KeyState; st != types.KeyStateUnavailable {
		t.Fatalf("key state after management while disconnected: %s", st)
	}
	_, err = c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternalKeyStore, CustomKeyStoreId: &id, XksKeyId: aws.String("bar")})
	wantErr(t, err, "CustomKeyStoreInvalidStateException", "")

	// Reconnect: Enabled again, and old ciphertexts decrypt.
	must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	if st := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &keyID})).KeyMetadata.KeyState; st != types.KeyStateEnabled {
		t.Fatalf("key state after reconnect: %s", st)
	}
	must(c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
	// A key disabled before the disconnect comes back disabled.
	must(c.DisableKey(bg, &kms.DisableKeyInput{KeyId: &keyID}))
	must(c.DisconnectCustomKeyStore(bg, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	if st := must(c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: &keyID})).KeyMetadata.KeyState; st != types.KeyStateDisabled {
		t.Fatalf("disabled key after reconnect: %s", st)
	}
	must(c.EnableKey(bg, &kms.EnableKeyInput{KeyId: &keyID}))

	// Delete: only without keys, only disconnected.
	must(c.DisconnectCustomKeyStore(bg, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	_, err = c.DeleteCustomKeyStore(bg, &kms.DeleteCustomKeyStoreInput{CustomKeyStoreId: &id})
	wantErr(t, err, "CustomKeyStoreHasCMKsException", "")
	sd := must(c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: &keyID, PendingWindowInDays: aws.Int32(7)}))
	if sd.KeyState != types.KeyStatePendingDeletion {
		t.Fatalf("ScheduleKeyDeletion of an Unavailable key: %s", sd.KeyState)
	}
	_, err = c.DeleteCustomKeyStore(bg, &kms.DeleteCustomKeyStoreInput{CustomKeyStoreId: &id})
	wantErr(t, err, "CustomKeyStoreHasCMKsException", "")
	e.clock.Advance(8 * 24 * time.Hour)
	e.svc.RunWorkersOnce(bg)
	must(c.DeleteCustomKeyStore(bg, &kms.DeleteCustomKeyStoreInput{CustomKeyStoreId: &id}))
	_, err = c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreId: &id})
	wantErr(t, err, "CustomKeyStoreNotFoundException", "")
}

// TestLyingProxy: a slow, lying or broken proxy gives AWS's
// KMSInvalidStateException with the matching message, never a panic or
// key material.
func TestLyingProxy(t *testing.T) {
	e := newXKSEnv(t)
	c := e.client(acct, "us-east-1")
	id := *must(c.CreateCustomKeyStore(bg, createInput("store", xksPath, xksSecret))).CustomKeyStoreId
	must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	keyID := *must(c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternalKeyStore, CustomKeyStoreId: &id, XksKeyId: aws.String("foo")})).KeyMetadata.KeyId
	blob := must(c.Encrypt(bg, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("secret plaintext")})).CiphertextBlob

	const (
		timedOut  = "The external key store proxy did not respond to the request in the time allotted. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator."
		invalid   = "KMS cannot interpret the response from the external key store proxy. If you see this error repeatedly, consult your external key store proxy administrator."
		badCipher = "The ciphertext that the external key store proxy submitted for decryption, or the encryption context, is corrupted, missing, or otherwise invalid."
	)
	cases := []struct {
		mode          proxyMode
		encMsg        string // "" means Encrypt succeeds
		decMsg        string
		gdkMsg        string
		wantGDKFailed bool
	}{
		{modeSlow, timedOut, timedOut, timedOut, true},
		{modeBadCDIV, invalid, "", invalid, true},
		{modeShortTag, invalid, "", invalid, true},
		{modeLiePlain, "", badCipher, "", false},
		{modeHTML, invalid, invalid, invalid, true},
		{modeBadResponse, invalid, invalid, invalid, true},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode), func(t *testing.T) {
			e.setMode(tc.mode)
			defer e.setMode(modeHonest)
			_, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
			checkMaybe(t, "Encrypt", err, tc.encMsg)
			_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: blob})
			checkMaybe(t, "Decrypt", err, tc.decMsg)
			_, err = c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes256})
			checkMaybe(t, "GenerateDataKey", err, tc.gdkMsg)
			if err != nil && strings.Contains(err.Error(), "secret plaintext") {
				t.Fatal("plaintext in an error")
			}
		})
	}
	// The proxy's key disabled behind KMS's back.
	off := false
	e.km.Update(bg, "example", "foo", nil, &off)
	e.proxy.ForgetKeys()
	_, err := c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: blob})
	wantErr(t, err, "KMSInvalidStateException", "The external key store proxy rejected the request because the external key is not enabled in the external key manager.")
	on := true
	e.km.Update(bg, "example", "foo", nil, &on)
	e.proxy.ForgetKeys()
	// The proxy gone: unreachable.
	e.srv.Close()
	_, err = c.Encrypt(bg, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
	wantErr(t, err, "KMSInvalidStateException", "")
	if !strings.Contains(err.Error(), "cannot communicate") && !strings.Contains(err.Error(), "did not respond") {
		t.Fatalf("proxy down: %v", err)
	}
}

func checkMaybe(t *testing.T, op string, err error, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return
	}
	wantErr(t, err, "KMSInvalidStateException", msg)
}

// TestConnectionFailures: a failed connect leaves the store FAILED with
// AWS's ConnectionErrorCode; it must be disconnected before a retry.
func TestConnectionFailures(t *testing.T) {
	e := newXKSEnv(t)
	c := e.client(acct, "us-east-1")
	id := *must(c.CreateCustomKeyStore(bg, createInput("store", xksPath, xksSecret))).CustomKeyStoreId

	// The proxy rotates its credential away: INVALID_CREDENTIALS.
	other := "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI="
	reload := func(secret string) {
		if err := e.proxy.Reload([]proxy.KeyStore{{Name: "example", Prefix: "/example", Credentials: []proxy.Credential{{AccessKeyID: xksAKID, Secret: secret}}}}); err != nil {
			t.Fatal(err)
		}
	}
	reload(other)
	must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	st := e.describe(t, c, id)
	if st.ConnectionState != types.ConnectionStateTypeFailed || st.ConnectionErrorCode != types.ConnectionErrorCodeTypeInvalidCredentials {
		t.Fatalf("after a refused credential: %s %s", st.ConnectionState, st.ConnectionErrorCode)
	}
	_, err := c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id})
	wantErr(t, err, "CustomKeyStoreInvalidStateException", "")
	// Updating the credential checks it against the proxy.
	_, err = c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &id,
		XksProxyAuthenticationCredential: &types.XksProxyAuthenticationCredentialType{AccessKeyId: aws.String(xksAKID), RawSecretAccessKey: aws.String(xksSecret)}})
	wantErr(t, err, "XksProxyIncorrectAuthenticationCredentialException", "")
	must(c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &id,
		XksProxyAuthenticationCredential: &types.XksProxyAuthenticationCredentialType{AccessKeyId: aws.String(xksAKID), RawSecretAccessKey: aws.String(other)}}))
	must(c.DisconnectCustomKeyStore(bg, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	if st := e.describe(t, c, id); st.ConnectionState != types.ConnectionStateTypeConnected || st.ConnectionErrorCode != "" {
		t.Fatalf("after the fix: %s %s", st.ConnectionState, st.ConnectionErrorCode)
	}

	// The other failure codes.
	for mode, code := range map[proxyMode]types.ConnectionErrorCodeType{
		modeSlow:    types.ConnectionErrorCodeTypeXksProxyTimedOut,
		modeAllDown: types.ConnectionErrorCodeTypeXksProxyNotReachable,
		modeHTML:    types.ConnectionErrorCodeTypeXksProxyInvalidResponse,
	} {
		must(c.DisconnectCustomKeyStore(bg, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
		e.setMode(mode)
		must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
		e.setMode(modeHonest)
		if st := e.describe(t, c, id); st.ConnectionState != types.ConnectionStateTypeFailed || st.ConnectionErrorCode != code {
			t.Errorf("%s: %s %s, want FAILED %s", mode, st.ConnectionState, st.ConnectionErrorCode, code)
		}
	}
	must(c.DisconnectCustomKeyStore(bg, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	// A URI path the proxy does not serve.
	must(c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &id, NewCustomKeyStoreName: aws.String("renamed")}))
	_, err = c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &id, XksProxyUriPath: aws.String("/other/kms/xks/v1")})
	wantErr(t, err, "XksProxyInvalidConfigurationException", "")
	// Unreachable endpoint.
	_, err = c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &id, XksProxyUriEndpoint: aws.String("https://down.keyhold.test")})
	wantErr(t, err, "XksProxyUriUnreachableException", "")
	// The endpoint needs DISCONNECTED; name and path do not.
	must(c.ConnectCustomKeyStore(bg, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &id}))
	_, err = c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &id, XksProxyUriEndpoint: aws.String(xksEndpoint)})
	wantErr(t, err, "CustomKeyStoreInvalidStateException", "")
	must(c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &id, NewCustomKeyStoreName: aws.String("renamed again"), XksProxyUriPath: aws.String(xksPath)}))
	if st := e.describe(t, c, id); *st.CustomKeyStoreName != "renamed again" || st.ConnectionState != types.ConnectionStateTypeConnected {
		t.Fatalf("after update: %+v", st)
	}
	_, err = c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: aws.String("cks-0123456789abcdef0"), NewCustomKeyStoreName: aws.String("x")})
	wantErr(t, err, "CustomKeyStoreNotFoundException", "")
	_, err = c.UpdateCustomKeyStore(bg, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &id, KeyStorePassword: aws.String("password")})
	wantErr(t, err, "ValidationException", "")
}

// TestXKSClientUnreachableResolve makes sure a dial override to a closed
// port gives an unreachable failure quickly (no 250 ms wait on refusal).
func TestXKSClientUnreachableResolve(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cl := xksclient.New(xksclient.Options{Resolve: map[string]string{"gone.test": addr}})
	var out xks.HealthResponse
	start := time.Now()
	err = cl.Do(bg, &xks.Endpoint{URIEndpoint: "https://gone.test", URIPath: "/kms/xks/v1", AccessKeyID: xksAKID, Secret: []byte(xksSecret), Region: "us-east-1"},
		xks.OpGetHealthStatus, "", &xks.HealthRequest{RequestMetadata: &xks.RequestMetadata{KMSRequestID: "r", KMSOperation: "x"}}, &out)
	if xks.FailureOf(err) != xks.FailureUnreachable || time.Since(start) > 200*time.Millisecond {
		t.Fatalf("closed port: %v after %v", err, time.Since(start))
	}
}
