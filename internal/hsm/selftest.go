package hsm

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// SelfTest runs known-answer tests of every primitive the boundary relies
// on: AES-256-GCM seal and open (including rejection of a forged tag),
// HMAC-SHA256, and the KBKDF. A backend runs it before it touches key
// material and refuses to start if it fails. With the signature
// algorithms of selftest_keys.go it takes a few milliseconds.
//
// Go's FIPS 140-3 module runs its own self-tests of AES, GCM, SHA-256 and
// HMAC; these also cover keyhold's composition (the KDF layout, the AEAD
// parameters) and catch a miscompiled or swapped implementation in
// non-FIPS builds.
func SelfTest() error {
	for _, kat := range selfTests {
		if err := kat.run(); err != nil {
			return fmt.Errorf("hsm: self-test %s failed: %w", kat.name, err)
		}
	}
	return nil
}

type knownAnswerTest struct {
	name string
	run  func() error
}

var selfTests = []knownAnswerTest{
	{"AES-256-GCM", func() error {
		// "The Galois/Counter Mode of Operation (GCM)", McGrew and Viega,
		// test case 16 (also NIST CAVP gcmEncryptExtIV256).
		return gcmKAT(
			"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
			"cafebabefacedbaddecaf888",
			"feedfacedeadbeeffeedfacedeadbeefabaddad2",
			"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
			"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"+
				"76fc6ece0f4e1768cddf8853bb2d551b")
	}},
	{"HMAC-SHA256", func() error {
		// RFC 4231, test case 2.
		return hmacKAT(
			hex.EncodeToString([]byte("Jefe")),
			hex.EncodeToString([]byte("what do ya want for nothing?")),
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
	}},
	{"KBKDF-HMAC-SHA256", func() error {
		// testdata/kbkdf-openssl.json, "32 bytes, keyhold encrypt label,
		// salt||material id context" (computed by OpenSSL 3).
		return kbkdfKAT(
			"5c9cb82ea673f5c3532a2c2d05e43143eb0e593ff7962922b563cd3ee70cd749",
			hex.EncodeToString(labelEncrypt),
			"4980f539e85c01935746c883b164dd018a3f0ab9f8552791aea3c49356dfa33854ac653b37aeed2dcbf4041e9dfb06c596314c6ed93937921dcf6067e5eff653",
			"33b79459bf72455c87bcabd645b866ce43acd9ce65a76832f841ca0a6aa06acd")
	}},
}

var errKAT = errors.New("wrong answer")

func gcmKAT(key, iv, aad, plaintext, sealed string) error {
	aead, err := NewAEAD(unhex(key))
	if err != nil {
		return err
	}
	n, a, p, want := unhex(iv), unhex(aad), unhex(plaintext), unhex(sealed)
	if got := aead.Seal(nil, n, p, a); !bytes.Equal(got, want) {
		return errKAT
	}
	if got, err := aead.Open(nil, n, want, a); err != nil || !bytes.Equal(got, p) {
		return errKAT
	}
	forged := bytes.Clone(want)
	forged[len(forged)-1] ^= 1
	if _, err := aead.Open(nil, n, forged, a); err == nil {
		return errors.New("forged tag accepted")
	}
	return nil
}

func hmacKAT(key, msg, tag string) error {
	mac := hmac.New(sha256.New, unhex(key))
	mac.Write(unhex(msg))
	if !hmac.Equal(mac.Sum(nil), unhex(tag)) {
		return errKAT
	}
	return nil
}

func kbkdfKAT(key, label, context, output string) error {
	want := unhex(output)
	got, err := KBKDF(unhex(key), unhex(label), unhex(context), len(want))
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return errKAT
	}
	return nil
}

// unhex decodes a hex constant of this file; a typo panics in the tests.
func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("hsm: bad self-test constant: " + err.Error())
	}
	return b
}
