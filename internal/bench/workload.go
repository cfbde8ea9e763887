package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Workload is what the requests of a run carry.
type Workload struct {
	Mix Mix
	// Key is the key every request uses; empty means the bench creates one
	// key of each kind the mix needs.
	Key string
	// Size is the plaintext size of Encrypt, Decrypt and ReEncrypt and the
	// message size of Sign, Verify and GenerateMac, in bytes (1 to 4096).
	Size int
	// SigningKeySpec is the spec of the key created for Sign and Verify;
	// RSA_2048 if empty.
	SigningKeySpec string
	// SigningAlgorithm overrides the algorithm chosen from the key spec.
	SigningAlgorithm string
	// Keys, if not empty, spreads the requests over these keys (ids, ARNs
	// or aliases): each request takes the next key of the list, from a
	// random start (keylist.go). Only Encrypt, GenerateDataKey and
	// DescribeKey; exclusive with Key.
	Keys []string
}

// MaxSize is the largest plaintext or message KMS accepts.
const MaxSize = 4096

// Target is a prepared workload: one request body per operation, built and
// encoded once, so that a request costs the generator only its signature
// and the HTTP exchange.
type Target struct {
	c    *Client
	reqs [numOps]*prepared
	list *keyList // with Workload.Keys: a body per request instead
	// CreatedKeys lists the keys Prepare created, for the run's header.
	CreatedKeys []string
}

// Do sends one request of op and returns "" on success, or the error code
// and message.
func (t *Target) Do(ctx context.Context, op Op) (code, message string) {
	if t.list != nil {
		if !isKeyListOp(op) {
			return CodeSign, op.String() + " cannot take its key from a key list"
		}
		return t.list.do(ctx, t.c, op)
	}
	p := t.reqs[op]
	if p == nil {
		return CodeSign, op.String() + " is not in the prepared mix"
	}
	return t.c.send(ctx, p)
}

// Validate says what is wrong with w, before any request is sent.
func (w Workload) Validate() error {
	var errs []error
	if len(w.Mix) == 0 {
		errs = append(errs, errors.New("no operation"))
	}
	needsSize := false
	classes := map[keyClass]bool{}
	for _, e := range w.Mix {
		needsSize = needsSize || e.Op.usesSize()
		if c := e.Op.keyClass(); c != noKey {
			classes[c] = true
		}
	}
	if needsSize && (w.Size < 1 || w.Size > MaxSize) {
		errs = append(errs, fmt.Errorf("size: %d is not from 1 to %d bytes", w.Size, MaxSize))
	}
	if len(w.Keys) > 0 {
		if w.Key != "" {
			errs = append(errs, errors.New("keys: a key list and a single key exclude each other"))
		}
		for _, e := range w.Mix {
			if !isKeyListOp(e.Op) {
				errs = append(errs, fmt.Errorf("keys: %s cannot take its key from a key list (it needs a ciphertext, signature or key kind per key); a key list works with Encrypt, GenerateDataKey and DescribeKey", e.Op))
			}
		}
	}
	if w.Key != "" && len(classes) > 1 {
		errs = append(errs, fmt.Errorf("key: mix %s needs keys of different kinds (symmetric, signing, HMAC); omit --key and the bench creates one of each", w.Mix))
	}
	return errors.Join(errs...)
}

type keyMetadata struct {
	KeyId             string
	KeySpec           string
	SigningAlgorithms []string
	MacAlgorithms     []string
}

// Prepare creates the keys the workload needs (unless w.Key is set), makes
// a ciphertext for Decrypt and ReEncrypt and a signature for Verify, and
// encodes every request body.
func Prepare(ctx context.Context, c *Client, w Workload) (*Target, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	t := &Target{c: c}
	size := max(w.Size, 1)
	payload := make([]byte, size)
	_, _ = rand.Read(payload)
	if len(w.Keys) > 0 {
		return prepareKeyList(ctx, c, w, payload) // keylist.go
	}

	keys := map[keyClass]string{}
	need := func(k keyClass) bool {
		for _, e := range w.Mix {
			if e.Op.keyClass() == k {
				return true
			}
		}
		return false
	}
	createKey := func(in map[string]any) (string, error) {
		var out struct{ KeyMetadata keyMetadata }
		if err := c.Call(ctx, "CreateKey", in, &out); err != nil {
			return "", fmt.Errorf("creating a key for the bench: %w", err)
		}
		if out.KeyMetadata.KeyId == "" {
			return "", errors.New("creating a key for the bench: the response has no KeyMetadata.KeyId")
		}
		t.CreatedKeys = append(t.CreatedKeys, out.KeyMetadata.KeyId)
		return out.KeyMetadata.KeyId, nil
	}
	signSpec := w.SigningKeySpec
	if signSpec == "" {
		signSpec = "RSA_2048"
	}
	macSpec := "HMAC_256"
	for _, k := range []keyClass{symmetricKey, signingKey, macKey} {
		if !need(k) {
			continue
		}
		if w.Key != "" {
			keys[k] = w.Key
			continue
		}
		in := map[string]any{"Description": "keyhold bench"}
		switch k {
		case signingKey:
			in["KeySpec"], in["KeyUsage"] = signSpec, "SIGN_VERIFY"
		case macKey:
			in["KeySpec"], in["KeyUsage"] = macSpec, "GENERATE_VERIFY_MAC"
		}
		id, err := createKey(in)
		if err != nil {
			return nil, err
		}
		keys[k] = id
	}

	// Algorithms: from the spec of a created key, or asked of the service
	// for a given one.
	signAlg, macAlg := w.SigningAlgorithm, "HMAC_SHA_256"
	if need(signingKey) && signAlg == "" {
		spec := signSpec
		var md keyMetadata
		if w.Key != "" {
			var err error
			if md, err = describe(ctx, c, w.Key); err != nil {
				return nil, err
			}
			spec = md.KeySpec
		}
		signAlg = signingAlgorithmFor(spec, md.SigningAlgorithms)
		if signAlg == "" {
			return nil, fmt.Errorf("key spec %q: no signing algorithm known; give one with --signing-algorithm", spec)
		}
	}
	if need(macKey) && w.Key != "" {
		md, err := describe(ctx, c, w.Key)
		if err != nil {
			return nil, err
		}
		if len(md.MacAlgorithms) > 0 {
			macAlg = md.MacAlgorithms[0]
		} else if a := macAlgorithmFor(md.KeySpec); a != "" {
			macAlg = a
		}
	}

	bodies := map[Op]any{}
	sym, sig, mac := keys[symmetricKey], keys[signingKey], keys[macKey]
	for _, e := range w.Mix {
		switch e.Op {
		case Encrypt:
			bodies[Encrypt] = map[string]any{"KeyId": sym, "Plaintext": payload}
		case GenerateDataKey:
			bodies[GenerateDataKey] = map[string]any{"KeyId": sym, "KeySpec": "AES_256"}
		case DescribeKey:
			bodies[DescribeKey] = map[string]any{"KeyId": sym}
		case CreateKey:
			bodies[CreateKey] = map[string]any{"Description": "keyhold bench CreateKey"}
		case Sign:
			bodies[Sign] = map[string]any{"KeyId": sig, "Message": payload, "MessageType": "RAW", "SigningAlgorithm": signAlg}
		case GenerateMac:
			bodies[GenerateMac] = map[string]any{"KeyId": mac, "Message": payload, "MacAlgorithm": macAlg}
		}
	}
	if w.Mix.Has(Decrypt) || w.Mix.Has(ReEncrypt) {
		var out struct{ CiphertextBlob []byte }
		if err := c.Call(ctx, "Encrypt", map[string]any{"KeyId": sym, "Plaintext": payload}, &out); err != nil {
			return nil, fmt.Errorf("making a ciphertext for %s: %w", w.Mix, err)
		}
		if len(out.CiphertextBlob) == 0 {
			return nil, errors.New("making a ciphertext: the Encrypt response has no CiphertextBlob")
		}
		// Decrypt names its key, as AWS recommends (and requires for
		// asymmetric keys), so the service checks it.
		bodies[Decrypt] = map[string]any{"KeyId": sym, "CiphertextBlob": out.CiphertextBlob}
		bodies[ReEncrypt] = map[string]any{"SourceKeyId": sym, "DestinationKeyId": sym, "CiphertextBlob": out.CiphertextBlob}
	}
	if w.Mix.Has(Verify) {
		var out struct{ Signature []byte }
		if err := c.Call(ctx, "Sign", bodies[Sign], &out); err != nil {
			return nil, fmt.Errorf("making a signature for Verify: %w", err)
		}
		if len(out.Signature) == 0 {
			return nil, errors.New("making a signature: the Sign response has no Signature")
		}
		bodies[Verify] = map[string]any{"KeyId": sig, "Message": payload, "MessageType": "RAW", "SigningAlgorithm": signAlg, "Signature": out.Signature}
	}
	for op, in := range bodies {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		t.reqs[op] = newPrepared(op.String(), b)
	}
	return t, nil
}

func describe(ctx context.Context, c *Client, key string) (keyMetadata, error) {
	var out struct{ KeyMetadata keyMetadata }
	if err := c.Call(ctx, "DescribeKey", map[string]any{"KeyId": key}, &out); err != nil {
		return keyMetadata{}, fmt.Errorf("finding the key's algorithms: %w", err)
	}
	return out.KeyMetadata, nil
}

// signingAlgorithmFor picks the algorithm the bench signs with: PSS for RSA
// keys (the modern choice, and the one the performance targets name), the
// curve's hash for ECDSA; otherwise the first the key lists.
func signingAlgorithmFor(spec string, listed []string) string {
	switch {
	case strings.HasPrefix(spec, "RSA_"):
		return "RSASSA_PSS_SHA_256"
	case spec == "ECC_NIST_P256", spec == "ECC_SECG_P256K1":
		return "ECDSA_SHA_256"
	case spec == "ECC_NIST_P384":
		return "ECDSA_SHA_384"
	case spec == "ECC_NIST_P521":
		return "ECDSA_SHA_512"
	case spec == "ECC_NIST_EDWARDS25519":
		return "ED25519_SHA_512"
	case spec == "SM2":
		return "SM2DSA"
	case strings.HasPrefix(spec, "ML_DSA_"):
		return "ML_DSA_SHAKE_256"
	}
	if len(listed) > 0 {
		return listed[0]
	}
	return ""
}

func macAlgorithmFor(spec string) string {
	if n, ok := strings.CutPrefix(spec, "HMAC_"); ok {
		return "HMAC_SHA_" + n
	}
	return ""
}
