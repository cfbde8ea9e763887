package soft

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

var benchContext = map[string]string{"tenant": "acme", "purpose": "benchmark"}

func BenchmarkEncrypt1KiB(b *testing.B) {
	bd, _, bk := setup(b)
	pt := make([]byte, 1024)
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bd.Encrypt(ctx, bk, pt, benchContext); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt1KiB(b *testing.B) {
	bd, _, bk := setup(b)
	blob := mustEncrypt(b, bd, bk, make([]byte, 1024), benchContext)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bd.Decrypt(ctx, bk, blob, benchContext); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncrypt1KiBParallel(b *testing.B) {
	bd, _, bk := setup(b)
	pt := make([]byte, 1024)
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bd.Encrypt(ctx, bk, pt, benchContext); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGenerateBackingKey(b *testing.B) {
	bd, _, _ := setup(b)
	arn := testARN("bench")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bd.GenerateBackingKey(ctx, testRegion, arn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign measures Sign through the boundary with the loaded-key
// cache warm: the cost is the signature algorithm's.
func BenchmarkSign(b *testing.B) {
	for _, tc := range []struct{ spec, alg string }{
		{"ECC_NIST_P256", "ECDSA_SHA_256"}, {"ECC_NIST_EDWARDS25519", "ED25519_SHA_512"},
		{"RSA_2048", "RSASSA_PSS_SHA_256"}, {"ML_DSA_44", "ML_DSA_SHAKE_256"},
	} {
		b.Run(tc.spec, func(b *testing.B) {
			bd, _, _ := setup(b)
			bk, err := bd.GenerateKeyMaterial(ctx, testRegion, testARN("bench"), tc.spec)
			if err != nil {
				b.Fatal(err)
			}
			msg := make([]byte, 256)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bd.Sign(ctx, bk, tc.alg, "RAW", msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignParallel is the crypto boundary's Sign on every core; issue
// 9 target 4 compares keyhold's Sign throughput with
// BenchmarkStdlibRSAPSSSignParallel (crypto/rsa alone, the machine's limit).
func BenchmarkSignParallel(b *testing.B) {
	for _, tc := range []struct{ spec, alg string }{
		{"ECC_NIST_P256", "ECDSA_SHA_256"}, {"RSA_2048", "RSASSA_PSS_SHA_256"},
	} {
		b.Run(tc.spec, func(b *testing.B) {
			bd, _, _ := setup(b)
			bk, err := bd.GenerateKeyMaterial(ctx, testRegion, testARN("bench"), tc.spec)
			if err != nil {
				b.Fatal(err)
			}
			b.RunParallel(func(pb *testing.PB) {
				msg := make([]byte, 256)
				for pb.Next() {
					if _, err := bd.Sign(ctx, bk, tc.alg, "RAW", msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkStdlibRSAPSSSignParallel: crypto/rsa's PSS signature of a
// SHA-256 digest with a 2048-bit key, on every core (run with -cpu 2).
func BenchmarkStdlibRSAPSSSignParallel(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		digest := sha256.Sum256(make([]byte, 256))
		for pb.Next() {
			if _, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
