package keyhold_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/keyhold/keyhold"

// packageImports returns, for every package directory in the module, the
// imports of its non-test Go files.
func packageImports(t *testing.T) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || (strings.HasPrefix(name, ".") && path != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := module
		if dir := filepath.ToSlash(filepath.Dir(path)); dir != "." {
			pkg += "/" + dir
		}
		if out[pkg] == nil {
			out[pkg] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[pkg][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportRules holds the layout's arrows: they point down.
func TestImportRules(t *testing.T) {
	imports := packageImports(t)
	isStd := func(p string) bool { return !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }
	rules := []struct {
		name  string
		pkg   string // package, or prefix ending in "/"
		allow func(imp string) bool
	}{
		{"root imports only the standard library", module, isStd},
		{"hsm imports no keyhold package but the root (and the key libraries the issues name)", module + "/internal/hsm", func(p string) bool {
			return isStd(p) || p == module ||
				strings.HasPrefix(p, "github.com/decred/dcrd/dcrec/secp256k1/v4") ||
				strings.HasPrefix(p, "filippo.io/mldsa") ||
				strings.HasPrefix(p, "github.com/emmansun/gmsm/")
		}},
		{"hsm backends import only root and hsm", module + "/internal/hsm/soft", func(p string) bool {
			return isStd(p) || p == module || p == module+"/internal/hsm"
		}},
		{"kmsapi imports only the root", module + "/internal/kmsapi", func(p string) bool {
			return isStd(p) || p == module
		}},
		{"policy is pure: the standard library only", module + "/internal/policy", isStd},
		{"iamapi imports only the root", module + "/internal/iamapi", func(p string) bool {
			return isStd(p) || p == module
		}},
		{"iam imports only the root, iamapi, policy and hsm's interface", module + "/internal/iam", func(p string) bool {
			return isStd(p) || p == module || p == module+"/internal/iamapi" || p == module+"/internal/policy"
		}},
		{"audit imports only the standard library", module + "/internal/audit", isStd},
		{"sigv4 imports only the root", module + "/internal/sigv4", func(p string) bool {
			return isStd(p) || p == module
		}},
		{"kms never imports awsapi, sigv4, a store driver or the cli", module + "/internal/kms", func(p string) bool {
			return !strings.HasPrefix(p, module+"/internal/awsapi") && !strings.HasPrefix(p, module+"/internal/store") &&
				!strings.HasPrefix(p, module+"/internal/cli") && !strings.HasPrefix(p, module+"/internal/sigv4") &&
				!strings.HasPrefix(p, "database/sql")
		}},
		{"kms reaches XKS proxies only through an interface: the XKS vocabulary, not the client or the proxy", module + "/internal/kms", func(p string) bool {
			return !strings.HasPrefix(p, module+"/internal/xks/")
		}},
		{"xks (the XKS proxy API vocabulary) imports only the root", module + "/internal/xks", func(p string) bool {
			return isStd(p) || p == module
		}},
		{"store drivers import no service package", module + "/internal/store/", func(p string) bool {
			return !strings.HasPrefix(p, module+"/internal/") || strings.HasPrefix(p, module+"/internal/store/")
		}},
	}
	for _, r := range rules {
		for pkg, imps := range imports {
			match := pkg == r.pkg || (strings.HasSuffix(r.pkg, "/") && strings.HasPrefix(pkg, r.pkg))
			if !match {
				continue
			}
			for imp := range imps {
				if !r.allow(imp) {
					t.Errorf("%s: %s imports %s", r.name, pkg, imp)
				}
			}
		}
	}
	// Only internal/cli (and main) may import the concrete store driver and
	// crypto backend.
	for pkg, imps := range imports {
		if pkg == module+"/internal/cli" || pkg == module+"/cmd/keyhold" {
			continue
		}
		for imp := range imps {
			if imp == module+"/internal/store/sqlite" || imp == module+"/internal/hsm/soft" {
				t.Errorf("only internal/cli wires implementations: %s imports %s", pkg, imp)
			}
		}
	}
	if len(imports) < 5 {
		t.Fatalf("found only %d packages; is the test running from the module root?", len(imports))
	}
}
