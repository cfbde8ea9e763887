package iam

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports: the service knows no HTTP, no SQL and no concrete crypto
// backend; it imports the root, its wire types and the policy language.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"github.com/keyhold/keyhold":                 true,
		"github.com/keyhold/keyhold/internal/iamapi": true,
		"github.com/keyhold/keyhold/internal/policy": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		pf, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pf.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
			if (!std && !allowed[p]) || p == "net/http" || p == "database/sql" {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
