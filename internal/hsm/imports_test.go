package hsm

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports holds the boundary's import rule: internal/hsm and its
// backends import only the standard library, the root package (domain
// records and errors) and, for a backend, internal/hsm. Key material must
// not be able to reach any other package by an import, and no third-party
// cryptography may slip in unreviewed: package hsm may import exactly the
// reviewed libraries in cryptoLibraries, for what the standard library
// lacks. Adding one is a decision, so this list fails when imports change.
// Test files may import more.
func TestImports(t *testing.T) {
	const module = "github.com/keyhold/keyhold"
	cryptoLibraries := []string{
		"github.com/decred/dcrd/dcrec/secp256k1/v4",       // ECC_SECG_P256K1
		"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa", // ECC_SECG_P256K1
		"filippo.io/mldsa",                // ML_DSA_* (Go 1.26 has no crypto/mldsa)
		"filippo.io/mldsa/mldsacrypto",    // ML-DSA external mu
		"filippo.io/mldsa/x509",           // ML-DSA PKCS #8 and SPKI
		"github.com/emmansun/gmsm/sm2",    // SM2
		"github.com/emmansun/gmsm/smx509", // SM2 PKCS #8 and SPKI
		"github.com/emmansun/gmsm/ecdh",   // SM2 key agreement
	}
	dirs := map[string][]string{
		".":    append([]string{module}, cryptoLibraries...),
		"soft": {module, module + "/internal/hsm"},
	}
	for dir, allowed := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if isStandard(path) {
					if path == "unsafe" || path == "C" || strings.HasPrefix(path, "math/rand") {
						t.Errorf("%s imports %s", file, path)
					}
					continue
				}
				ok := false
				for _, a := range allowed {
					ok = ok || path == a
				}
				if !ok {
					t.Errorf("%s imports %s; allowed: the standard library and %v", file, path, allowed)
				}
			}
		}
	}
}

// isStandard reports whether path is a standard library import path: its
// first element has no dot.
func isStandard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
