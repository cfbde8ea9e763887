package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/keyhold/keyhold/internal/cli"
	"github.com/keyhold/keyhold/internal/xks/xkstest"
)

const (
	e2eHost   = "xks.keyhold.test"
	e2ePrefix = "/e2e/prefix"
	e2eAKID   = "E2EACCESSKEYIDABCDEFGHIJ"
	e2eSecret = "ZTJlLXNlY3JldC1lMmUtc2VjcmV0LWUyZS1zZWNyZXQtZTI="
)

// startWithXKS runs `keyhold serve` with args and returns it with the XKS
// proxy's address ("" when it has none).
func startWithXKS(t *testing.T, data string, args ...string) (*testServer, string) {
	return startWithXKSLog(t, data, nil, args...)
}

// startWithXKSLog is startWithXKS with the server's log going to logTo
// (nil: kept in memory, ts.Log).
func startWithXKSLog(t *testing.T, data string, logTo io.Writer, args ...string) (*testServer, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Data: data, Log: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	ready := make(chan struct{})
	var xksAddr string
	var w io.Writer = ts.Log
	if logTo != nil {
		w = logTo
	}
	env := &cli.Env{
		Stdout: w, Stderr: w, Getenv: func(string) string { return "" },
		XKSListening: func(a string) { xksAddr = a },
		Listening: func(api, admin string) {
			ts.API, ts.Admin = api, admin
			close(ready)
		},
	}
	argv := append([]string{"serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data", data}, args...)
	go func() { ts.done <- cli.Main(ctx, argv, env) }()
	select {
	case <-ready:
	case code := <-ts.done:
		cancel()
		t.Fatalf("keyhold exited with %d before listening:\n%s", code, ts.Log.Bytes())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("keyhold did not start in 30s:\n%s", ts.Log.Bytes())
	}
	t.Cleanup(func() { ts.Stop(t) })
	return ts, xksAddr
}

// runCLI runs a keyhold command in-process and returns its output.
func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out syncBuffer
	code := cli.Main(context.Background(), args, &cli.Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
	return string(out.Bytes()), code
}

// TestXKSEndToEnd: keyhold A has an external key store whose proxy is
// keyhold B, over TLS on loopback, with certificates made here. Through A
// with the AWS SDK: create the store and a key, encrypt, decrypt, generate
// data keys, re-encrypt; disconnect (Unavailable); a ciphertext of A's
// cannot be decrypted once B's key is disabled with `keyhold xks key
// disable`; and with B stopped, AWS's errors.
func TestXKSEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ca := xkstest.NewCA(t, dir, "e2e")
	certFile, keyFile := ca.Issue(xkstest.Leaf{Name: "proxy", DNSNames: []string{e2eHost}})
	clientCert, clientKey := ca.Issue(xkstest.Leaf{Name: "kms-a", Client: true, DNSNames: []string{"cks.kms.us-east-1.amazonaws.com"}})

	// B: the proxy, with mutual TLS, two credentials (one being rotated in)
	// and its keys from the configuration file.
	bData := filepath.Join(dir, "b")
	bConfig := filepath.Join(dir, "b.yaml")
	writeFile(t, bConfig, fmt.Sprintf(`
xks:
  tls:
    cert_file: %s
    key_file: %s
    client_ca_file: %s
    client_names: [cks.kms.us-east-1.amazonaws.com]
  key_stores:
    - name: e2e
      prefix: %s
      credentials:
        - access_key_id: %s
          secret_access_key: %s
        - access_key_id: NEXTACCESSKEYIDABCDEFGHIJ
          secret_access_key: bmV4dC1uZXh0LW5leHQtbmV4dC1uZXh0LW5leHQtbmV4dA==
      authorization:
        principals: ["arn:aws:iam::*"]
      keys:
        - id: payments
          operations: both
        - id: logs
`, certFile, keyFile, ca.CertFile, e2ePrefix, e2eAKID, e2eSecret))
	b, xksAddr := startWithXKS(t, bData, "--config", bConfig, "--xks-listen", "127.0.0.1:0")
	if xksAddr == "" {
		t.Fatalf("B has no XKS listener:\n%s", b.Log.Bytes())
	}
	out, code := runCLI(t, "xks", "key", "list", "--data", bData, "--config", bConfig)
	if code != 0 || !strings.Contains(out, "payments") || !strings.Contains(out, "logs") || !strings.Contains(out, "ENABLED") {
		t.Fatalf("xks key list: %d\n%s", code, out)
	}

	// A: the KMS, trusting the test CA and reaching B's host name on its
	// loopback port, with a client certificate for B's mutual TLS.
	aData := filepath.Join(dir, "a")
	aConfig := filepath.Join(dir, "a.yaml")
	writeFile(t, aConfig, fmt.Sprintf(`
xks:
  client:
    ca_file: %s
    cert_file: %s
    key_file: %s
    resolve:
      %s: %s
`, ca.CertFile, clientCert, clientKey, e2eHost, xksAddr))
	a, _ := startWithXKS(t, aData, "--config", aConfig)
	id, secret := creds(t, aData)
	c := a.client(region, id, secret)

	store := *must(c.CreateCustomKeyStore(ctx, &kms.CreateCustomKeyStoreInput{
		CustomKeyStoreName:   aws.String("hyok"),
		CustomKeyStoreType:   types.CustomKeyStoreTypeExternalKeyStore,
		XksProxyConnectivity: types.XksProxyConnectivityTypePublicEndpoint,
		XksProxyUriEndpoint:  aws.String("https://" + e2eHost),
		XksProxyUriPath:      aws.String(e2ePrefix + "/kms/xks/v1"),
		XksProxyAuthenticationCredential: &types.XksProxyAuthenticationCredentialType{
			AccessKeyId: aws.String(e2eAKID), RawSecretAccessKey: aws.String(e2eSecret)},
	})).CustomKeyStoreId
	must(c.ConnectCustomKeyStore(ctx, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &store}))
	st := must(c.DescribeCustomKeyStores(ctx, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreId: &store})).CustomKeyStores[0]
	if st.ConnectionState != types.ConnectionStateTypeConnected {
		t.Fatalf("store %s %s\nA:\n%s", st.ConnectionState, st.ConnectionErrorCode, a.Log.Bytes())
	}
	key := must(c.CreateKey(ctx, &kms.CreateKeyInput{Origin: types.OriginTypeExternalKeyStore, CustomKeyStoreId: &store,
		XksKeyId: aws.String("payments"), Description: aws.String("held in B")})).KeyMetadata
	keyID := *key.KeyId
	if *key.XksKeyConfiguration.Id != "payments" || *key.CustomKeyStoreId != store {
		t.Fatalf("key %+v", key)
	}

	ec := map[string]string{"tenant": "42"}
	enc := must(c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("card 4111"), EncryptionContext: ec}))
	if got := must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})); string(got.Plaintext) != "card 4111" {
		t.Fatalf("Decrypt %q", got.Plaintext)
	}
	gdk := must(c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec}))
	if got := must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gdk.CiphertextBlob, EncryptionContext: ec})); !bytes.Equal(got.Plaintext, gdk.Plaintext) {
		t.Fatal("GenerateDataKey round trip")
	}
	gdkw := must(c.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes128}))
	if got := must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gdkw.CiphertextBlob})); len(got.Plaintext) != 16 {
		t.Fatal("GenerateDataKeyWithoutPlaintext round trip")
	}
	re := must(c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ec,
		DestinationKeyId: &keyID, DestinationEncryptionContext: map[string]string{"tenant": "43"}}))
	must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"tenant": "43"}}))
	// B logged A's requests with their KMS request ids; never the plaintext.
	if bl := b.Log.Bytes(); !bytes.Contains(bl, []byte("kms_request_id")) || bytes.Contains(bl, []byte("card 4111")) {
		t.Fatalf("B's log:\n%s", bl)
	}

	// Disconnect: Unavailable.
	must(c.DisconnectCustomKeyStore(ctx, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &store}))
	if s := must(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &keyID})).KeyMetadata.KeyState; s != types.KeyStateUnavailable {
		t.Fatalf("after disconnect: %s", s)
	}
	_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	wantAPIError(t, err, "KMSInvalidStateException", *key.Arn+" is unavailable.")
	must(c.ConnectCustomKeyStore(ctx, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &store}))
	must(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))

	// B's operator disables the external key: A can no longer decrypt.
	if out, code := runCLI(t, "xks", "key", "disable", "--data", bData, "--config", bConfig, "--store", "e2e", "--id", "payments"); code != 0 {
		t.Fatalf("xks key disable: %s", out)
	}
	// B reads a key again within a second (keyCacheTTL).
	err = eventually(func() error {
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
		return err
	}, false)
	wantAPIError(t, err, "KMSInvalidStateException",
		"The external key store proxy rejected the request because the external key is not enabled in the external key manager.")
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
	wantAPIError(t, err, "KMSInvalidStateException", "")
	if out, code := runCLI(t, "xks", "key", "enable", "--data", bData, "--config", bConfig, "--store", "e2e", "--id", "payments"); code != 0 {
		t.Fatalf("xks key enable: %s", out)
	}
	if err := eventually(func() error {
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
		return err
	}, true); err != nil {
		t.Fatalf("after xks key enable: %v", err)
	}

	// B stops: AWS's errors.
	b.Stop(t)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	wantAPIError(t, err, "KMSInvalidStateException",
		"KMS cannot communicate with the external key store proxy. Verify that your external key store proxy is active and is connected to the network, and that its URI path and endpoint URI are correct in your external key store.")
	_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes256})
	wantAPIError(t, err, "KMSInvalidStateException", "")
	_, err = c.CreateKey(ctx, &kms.CreateKeyInput{Origin: types.OriginTypeExternalKeyStore, CustomKeyStoreId: &store, XksKeyId: aws.String("logs")})
	wantAPIError(t, err, "CustomKeyStoreInvalidStateException", "")
	must(c.DisconnectCustomKeyStore(ctx, &kms.DisconnectCustomKeyStoreInput{CustomKeyStoreId: &store}))
	must(c.ConnectCustomKeyStore(ctx, &kms.ConnectCustomKeyStoreInput{CustomKeyStoreId: &store}))
	st = must(c.DescribeCustomKeyStores(ctx, &kms.DescribeCustomKeyStoresInput{CustomKeyStoreId: &store})).CustomKeyStores[0]
	if st.ConnectionState != types.ConnectionStateTypeFailed || st.ConnectionErrorCode != types.ConnectionErrorCodeTypeXksProxyNotReachable {
		t.Fatalf("connect with B down: %s %s", st.ConnectionState, st.ConnectionErrorCode)
	}
	_, err = c.UpdateCustomKeyStore(ctx, &kms.UpdateCustomKeyStoreInput{CustomKeyStoreId: &store, XksProxyUriPath: aws.String("/other/kms/xks/v1")})
	wantAPIError(t, err, "XksProxyUriUnreachableException", "")

	// B's audit trail holds its XKS calls (with A's KMS request ids) and
	// verifies; no plaintext in it.
	var trail []byte
	files, _ := filepath.Glob(filepath.Join(bData, "audit", "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		trail = append(trail, b...)
	}
	if !bytes.Contains(trail, []byte(`"eventSource":"kms-xks-proxy"`)) || !bytes.Contains(trail, []byte(`"eventName":"Encrypt"`)) ||
		!bytes.Contains(trail, []byte(`"eventName":"GetHealthStatus"`)) || bytes.Contains(trail, []byte("card 4111")) {
		t.Errorf("B's audit trail lacks XKS events (%d files)", len(files))
	}
	if out, code := runCLI(t, "audit", "verify", "--data", bData); code != 0 {
		t.Errorf("keyhold audit verify of B: %s", out)
	}

	// A never logged a secret or key material.
	if al := a.Log.Bytes(); bytes.Contains(al, []byte(e2eSecret)) || bytes.Contains(al, []byte("card 4111")) {
		t.Fatal("A's log holds the proxy secret or a plaintext")
	}
}

// TestXKSConfigErrors: the configuration says what is wrong.
func TestXKSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, `
xks:
  key_stores:
    - name: a
      prefix: /a/
      credentials:
        - access_key_id: lowercase
          secret_access_key: short
    - name: b
      prefix: /a/
`)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--xks-listen", "0.0.0.0:4600"}, []string{"needs TLS"}},
		{[]string{"--config", bad}, []string{"prefix \"/a/\"", "access key id \"lowercase\"", "secret of access key id", "at least one credential"}},
	} {
		out, code := runCLI(t, append([]string{"serve", "--data", filepath.Join(dir, "d")}, tc.args...)...)
		if code == 0 {
			t.Fatalf("%v accepted", tc.args)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, out)
			}
		}
		if strings.Contains(out, "short\n") {
			t.Error("a secret was echoed")
		}
	}
}

func TestXKSCredentialCommand(t *testing.T) {
	out, code := runCLI(t, "xks", "credential", "--prefix", "/tenant-1")
	if code != 0 || !strings.Contains(out, `"XksProxyUriPath": "/tenant-1/kms/xks/v1"`) || !strings.Contains(out, "access_key_id: ") {
		t.Fatalf("xks credential: %d\n%s", code, out)
	}
	if _, code := runCLI(t, "xks", "nonsense"); code == 0 {
		t.Fatal("unknown subcommand accepted")
	}
}

// eventually calls f every 100 ms for up to 3 s until it succeeds (ok) or
// fails (!ok), and returns its last error.
func eventually(f func() error, ok bool) error {
	var err error
	for range 30 {
		if err = f(); (err == nil) == ok {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
