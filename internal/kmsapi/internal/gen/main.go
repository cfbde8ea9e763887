// Command gen writes internal/kmsapi/api_gen.go from botocore's model of AWS
// KMS (testdata/model/kms-service-2.json). Run it through go generate:
//
//	go generate ./internal/kmsapi
//
// The output depends only on the model's bytes; a test in this package
// fails when the committed api_gen.go differs from a fresh generation.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	modelPath := flag.String("model", "", "path of kms-service-2.json")
	out := flag.String("out", "", "path of the Go file to write")
	flag.Parse()
	if *modelPath == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*modelPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(modelPath, out string) error {
	src, err := os.ReadFile(modelPath)
	if err != nil {
		return err
	}
	code, err := generate(src)
	if err != nil {
		return err
	}
	return os.WriteFile(out, code, 0o644)
}
