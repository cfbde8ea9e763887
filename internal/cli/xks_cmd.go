package cli

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/hsm/soft"
	"github.com/keyhold/keyhold/internal/store/sqlite"
	"github.com/keyhold/keyhold/internal/xks"
	"github.com/keyhold/keyhold/internal/xks/proxy"
)

const xksUsage = `Usage:
  keyhold xks key create  --store NAME --id ID [--operations both|encrypt|decrypt|none]
  keyhold xks key list    [--store NAME] [--json]
  keyhold xks key disable --store NAME --id ID
  keyhold xks key enable  --store NAME --id ID
  keyhold xks key set-operations --store NAME --id ID --operations OPS
  keyhold xks credential  [--prefix /PREFIX]

The key commands work on the data directory (--data, --config as for
serve; a running server sees the change at once). NAME is a logical key
store of the configuration's xks.key_stores. "xks credential" prints a new
random SigV4 credential for a key store, as configuration and as the proxy
configuration file the AWS KMS console accepts.
`

func runXKS(ctx context.Context, args []string, env *Env) error {
	if len(args) >= 1 && args[0] == "credential" {
		return runXKSCredential(args[1:], env)
	}
	if len(args) < 2 || args[0] != "key" {
		io.WriteString(env.Stderr, xksUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return flag.ErrHelp
		}
		return errors.New("missing or unknown subcommand")
	}
	sub := args[1]
	fs := flag.NewFlagSet("xks key "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	configPath := fs.String("config", "", "YAML configuration file (env KEYHOLD_CONFIG)")
	data := fs.String("data", "", "data directory (default ./"+defaultData+")")
	store := fs.String("store", "", "logical key store name")
	id := fs.String("id", "", "external key id (1 to 128 characters of [A-Za-z0-9._-])")
	opsFlag := fs.String("operations", "both", "operations: encrypt, decrypt, both or none")
	asJSON := fs.Bool("json", false, "list as JSON")
	fs.Usage = func() { io.WriteString(env.Stderr, xksUsage) }
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var cargs []string
	if *configPath != "" {
		cargs = append(cargs, "--config", *configPath)
	}
	if *data != "" {
		cargs = append(cargs, "--data", *data)
	}
	cfg, err := loadConfig("xks", cargs, false, env.Getenv)
	if err != nil {
		return err
	}
	need := func(names ...string) error {
		for _, n := range names {
			if fs.Lookup(n).Value.String() == "" {
				return fmt.Errorf("--%s is required", n)
			}
		}
		return nil
	}

	km, closeAll, err := openKeyManager(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	switch sub {
	case "create":
		if err := need("store", "id"); err != nil {
			return err
		}
		ops, err := proxy.ParseOperations(*opsFlag)
		if err != nil {
			return err
		}
		k, err := km.Create(ctx, *store, *id, ops)
		if err != nil {
			return err
		}
		if !configuredStore(cfg, *store) {
			fmt.Fprintf(env.Stderr, "note: key store %s is not in the configuration's xks.key_stores; the proxy serves its keys once it is\n", *store)
		}
		fmt.Fprintf(env.Stdout, "created external key %s in key store %s (operations %s, ENABLED)\n", k.ID, k.KeyStore, ops)
		return nil
	case "disable", "enable":
		if err := need("store", "id"); err != nil {
			return err
		}
		enabled := sub == "enable"
		k, err := km.Update(ctx, *store, *id, nil, &enabled)
		if errors.Is(err, keyhold.ErrNotFound) {
			return fmt.Errorf("key store %s has no external key %s", *store, *id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "external key %s in key store %s is %s\n", k.ID, k.KeyStore, status(k))
		return nil
	case "set-operations":
		if err := need("store", "id"); err != nil {
			return err
		}
		ops, err := proxy.ParseOperations(*opsFlag)
		if err != nil {
			return err
		}
		k, err := km.Update(ctx, *store, *id, &ops, nil)
		if errors.Is(err, keyhold.ErrNotFound) {
			return fmt.Errorf("key store %s has no external key %s", *store, *id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "external key %s in key store %s: operations %s\n", k.ID, k.KeyStore, ops)
		return nil
	case "list":
		keys, err := km.Store.ListXKSKeys(ctx, *store)
		if err != nil {
			return err
		}
		return printXKSKeys(env.Stdout, keys, *asJSON)
	}
	io.WriteString(env.Stderr, xksUsage)
	return fmt.Errorf("unknown subcommand %q", sub)
}

func configuredStore(cfg *Config, name string) bool {
	for _, ks := range cfg.XKS.KeyStores {
		if ks.Name == name {
			return true
		}
	}
	return false
}

func status(k *keyhold.XKSKey) string {
	if k.Enabled {
		return xks.KeyStatusEnabled
	}
	return xks.KeyStatusDisabled
}

func printXKSKeys(w io.Writer, keys []*keyhold.XKSKey, asJSON bool) error {
	type row struct {
		KeyStore     string    `json:"KeyStore"`
		ID           string    `json:"Id"`
		Operations   string    `json:"Operations"`
		Status       string    `json:"Status"`
		CreationDate time.Time `json:"CreationDate"`
	}
	rows := []row{}
	for _, k := range keys {
		rows = append(rows, row{k.KeyStore, k.ID, proxy.Operations{Encrypt: k.AllowEncrypt, Decrypt: k.AllowDecrypt}.String(), status(k), k.CreationDate.UTC()})
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY STORE\tID\tOPERATIONS\tSTATUS\tCREATED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.KeyStore, r.ID, r.Operations, r.Status, r.CreationDate.Format(time.RFC3339))
	}
	return tw.Flush()
}

// openKeyManager opens the data directory's root of trust and store.
func openKeyManager(ctx context.Context, cfg *Config) (*proxy.KeyManager, func(), error) {
	if _, err := os.Stat(cfg.Data); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	b, err := soft.New(ctx, soft.Options{RootKeyPath: filepath.Join(cfg.Data, rootKeyFile)})
	if err != nil {
		return nil, nil, fmt.Errorf("opening root of trust: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.Data, databaseFile))
	if err != nil {
		b.Close()
		return nil, nil, fmt.Errorf("opening store: %w", err)
	}
	closeAll := func() { st.Close(); b.Close() }
	return &proxy.KeyManager{Store: st, Boundary: b, Region: cfg.xksRegion()}, closeAll, nil
}

// runXKSCredential prints a new random proxy credential: an access key id
// of 26 characters of [A-Z2-7] and a 44-character secret (32 random bytes,
// Base64), as the specification asks.
func runXKSCredential(args []string, env *Env) error {
	fs := flag.NewFlagSet("xks credential", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	prefix := fs.String("prefix", "", "the key store's URI path prefix, for the proxy configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !xks.ValidPrefix(*prefix) {
		return fmt.Errorf("prefix %q must be empty or /segment[/segment...] with segments of [A-Za-z0-9_-]", *prefix)
	}
	var idBytes [16]byte
	var secret [32]byte
	rand.Read(idBytes[:])
	rand.Read(secret[:])
	id := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(idBytes[:])[:26]
	sec := base64.StdEncoding.EncodeToString(secret[:])
	fmt.Fprintf(env.Stdout, "# keyhold configuration (xks.key_stores[].credentials):\n- access_key_id: %s\n  secret_access_key: %s\n\n", id, sec)
	cfgFile, _ := json.MarshalIndent(map[string]any{
		"XksProxyUriPath": xks.BasePath(*prefix),
		"XksProxyAuthenticationCredential": map[string]string{
			"AccessKeyId":        id,
			"RawSecretAccessKey": sec,
		},
	}, "", "  ")
	fmt.Fprintf(env.Stdout, "# proxy configuration file (KMS console, or CreateCustomKeyStore parameters):\n%s\n", cfgFile)
	return nil
}
