package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/store/sqlite"
)

const seedUsage = `Usage: keyhold bench seed --data DIR --count N [flags]

Creates N symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT,
the default key policy) in the data directory of a stopped keyhold serve,
for measuring keyhold with a large key store (docs/performance.md). Each
key is made by the KMS service's CreateKey, exactly as an API call makes
it; only the store writes are grouped, --batch keys per SQLite transaction
(one commit and fsync per batch; durability settings are the server's).
A data directory that does not exist yet is set up as the first start of
keyhold serve sets it up (account, admin access key in DIR/credentials).

The seed refuses a data directory whose database another process (a
running keyhold serve) has open; do not start the server until it is done.
Its keys have no CreateKey events in the audit trail.

Flags:
`

// seedCacheMiB is the SQLite page cache of the seed's writer connection:
// enough for the B-tree interior pages of millions of keys.
const seedCacheMiB = 256

// maxSeedCount bounds --count (a typo should not fill the disk).
const maxSeedCount = 100_000_000

type seedFlags struct {
	data, region, accountID, keysOut string
	count, batch                     int
	json                             bool
}

type seedResult struct {
	Data          string  `json:"data"`
	AccountID     string  `json:"account_id"`
	Region        string  `json:"region"`
	KeysCreated   int     `json:"keys_created"`
	Seconds       float64 `json:"seconds"`
	KeysPerSecond float64 `json:"keys_per_second"`
	KeysOut       string  `json:"keys_out,omitempty"`
	Interrupted   bool    `json:"interrupted"`
}

func runSeed(ctx context.Context, args []string, env *Env) error {
	var f seedFlags
	fs := newFlagSet("bench seed", env)
	fs.StringVar(&f.data, "data", defaultData, "data directory of the (stopped) keyhold serve")
	fs.IntVar(&f.count, "count", 0, "number of keys to create (required)")
	fs.StringVar(&f.region, "region", "us-east-1", "region of the keys")
	fs.StringVar(&f.accountID, "account-id", defaultAccountID, "account of the keys: the server's --account-id")
	fs.StringVar(&f.keysOut, "keys-out", "", "write the ARN of every created key to `FILE`, one a line (for keyhold bench --keys)")
	fs.IntVar(&f.batch, "batch", 5000, "keys per SQLite transaction")
	fs.BoolVar(&f.json, "json", false, "print the summary as one JSON object")
	if err := parseCommand(fs, args, seedUsage); err != nil {
		return err
	}
	var errs []error
	if f.count < 1 || f.count > maxSeedCount {
		errs = append(errs, fmt.Errorf("count: %d is not from 1 to %d", f.count, maxSeedCount))
	}
	if f.batch < 1 || f.batch > 100_000 {
		errs = append(errs, fmt.Errorf("batch: %d is not from 1 to 100000", f.batch))
	}
	if !regionRE.MatchString(f.region) {
		errs = append(errs, fmt.Errorf("region: %q is not a region name like us-east-1", f.region))
	}
	if !keyhold.IsAccountID(f.accountID) {
		errs = append(errs, fmt.Errorf("account-id: %q is not a 12-digit account id", f.accountID))
	}
	if f.data == "" {
		errs = append(errs, errors.New("data: no data directory"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	res, err := seed(ctx, f, env)
	if res != nil {
		if f.json {
			b, jerr := json.Marshal(res)
			if jerr != nil {
				return jerr
			}
			fmt.Fprintf(env.Stdout, "%s\n", b)
		} else {
			fmt.Fprintf(env.Stdout, "keyhold bench seed: created %d keys in account %s, region %s (data %s) in %.1f s: %.0f keys/s\n",
				res.KeysCreated, res.AccountID, res.Region, res.Data, res.Seconds, res.KeysPerSecond)
		}
	}
	if err == nil && res.Interrupted {
		err = fmt.Errorf("interrupted after %d of %d keys (those are stored)", res.KeysCreated, f.count)
	}
	return err
}

// seed creates the keys. It returns a result, also on an error after some
// keys were stored.
func seed(ctx context.Context, f seedFlags, env *Env) (*seedResult, error) {
	start := time.Now()
	// Before this process opens the database (see sqlite.OpenedBy).
	dbPath := filepath.Join(f.data, databaseFile)
	switch pid, err := sqlite.OpenedBy(dbPath); {
	case err != nil:
		return nil, err
	case pid > 0:
		return nil, fmt.Errorf("%s is in use by process %d (a running keyhold serve?): stop it before seeding its data directory", dbPath, pid)
	case pid < 0:
		return nil, fmt.Errorf("%s is in use by another process (a running keyhold serve?): stop it before seeding its data directory", dbPath)
	}

	var batcher *seedStore
	cfg := &Config{Data: f.data, AccountID: f.accountID, LogLevel: "info", NoAudit: true,
		wrapStore: func(st *sqlite.Store) keyhold.Store {
			batcher = &seedStore{Store: st}
			return batcher
		}}
	cfg.applyDefaults(false)
	log := newLogger(cfg, env.Stderr)
	s, err := openServer(ctx, cfg, log, false)
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			s.close()
		}
	}()
	if err := checkSeedAccount(ctx, s); err != nil {
		return nil, err
	}
	if err := batcher.SetWriterCache(ctx, seedCacheMiB); err != nil {
		return nil, err
	}

	var out *bufio.Writer
	var outFile *os.File
	if f.keysOut != "" {
		if outFile, err = os.OpenFile(f.keysOut, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
			return nil, fmt.Errorf("keys-out: %w", err)
		}
		defer outFile.Close()
		out = bufio.NewWriterSize(outFile, 1<<20)
	}

	res := &seedResult{Data: f.data, AccountID: f.accountID, Region: f.region, KeysOut: f.keysOut}
	finish := func() {
		res.Seconds = time.Since(start).Seconds()
		if res.Seconds > 0 {
			res.KeysPerSecond = float64(res.KeysCreated) / res.Seconds
		}
	}
	progress := isTerminal(env.Stderr)
	var lastProgress time.Time
	caller := &kms.Caller{Account: f.accountID, Region: f.region,
		PrincipalARN: "arn:aws:iam::" + f.accountID + ":root", RequestID: "keyhold-bench-seed"}
	arns := make([]string, 0, f.batch)
	// An interrupt ends the seed between two batches, not inside one.
	wctx := context.WithoutCancel(ctx)
	for res.KeysCreated < f.count {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		arns = arns[:0]
		for range min(f.batch, f.count-res.KeysCreated) {
			o, err := s.svc.CreateKey(wctx, caller, &kmsapi.CreateKeyInput{})
			if err != nil {
				finish()
				return res, fmt.Errorf("creating key %d: %w", res.KeysCreated+len(arns)+1, err)
			}
			arns = append(arns, *o.KeyMetadata.Arn)
		}
		if err := batcher.flush(wctx); err != nil {
			finish()
			return res, fmt.Errorf("storing keys %d to %d: %w", res.KeysCreated+1, res.KeysCreated+len(arns), err)
		}
		res.KeysCreated += len(arns)
		if out != nil {
			for _, a := range arns {
				out.WriteString(a)
				out.WriteByte('\n')
			}
		}
		if progress && (time.Since(lastProgress) >= 200*time.Millisecond || res.KeysCreated == f.count) {
			lastProgress = time.Now()
			el := time.Since(start).Seconds()
			rate := float64(res.KeysCreated) / el
			eta := time.Duration(float64(f.count-res.KeysCreated) / rate * float64(time.Second)).Truncate(time.Second)
			fmt.Fprintf(env.Stderr, "\r\x1b[K  seeding %d/%d keys (%.1f%%)  %.0f keys/s  %s left", res.KeysCreated, f.count,
				100*float64(res.KeysCreated)/float64(f.count), rate, eta)
		}
	}
	if progress {
		io.WriteString(env.Stderr, "\r\x1b[K")
	}
	if out != nil {
		err := out.Flush()
		if err == nil {
			err = outFile.Sync()
		}
		if err == nil {
			err = outFile.Close()
		}
		if err != nil {
			finish()
			return res, fmt.Errorf("keys-out: %w", err)
		}
	}
	// Closing the store checkpoints the WAL into the database file, so the
	// server starts from a checkpointed database; that is part of the time.
	closed = true
	s.close()
	finish()
	return res, nil
}

// checkSeedAccount sets up a new data directory as the first start of
// keyhold serve does, and refuses to put keys in an account that a set-up
// data directory does not have (the server's admin could not use them).
func checkSeedAccount(ctx context.Context, s *server) error {
	accounts, err := s.store.ListAccounts(ctx)
	if err != nil {
		return fmt.Errorf("reading the accounts: %w", err)
	}
	if len(accounts) == 0 {
		return s.bootstrap(ctx)
	}
	if slices.ContainsFunc(accounts, func(a *keyhold.Account) bool { return a.ID == s.cfg.AccountID }) {
		return nil
	}
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.ID
	}
	return fmt.Errorf("account %s does not exist in %s (its accounts: %v); give the server's account with --account-id", s.cfg.AccountID, s.cfg.Data, ids)
}

// seedStore is the store under the KMS service during a seed: it passes
// every call through but CreateKey, which it queues; flush then stores the
// queue in one transaction. CreateKey's callers must call flush before
// they count a key as created. One goroutine at a time may use it.
type seedStore struct {
	*sqlite.Store
	pending []sqlite.NewKey
}

func (s *seedStore) CreateKey(_ context.Context, k *keyhold.Key, tags []keyhold.Tag, bk *keyhold.BackingKey) error {
	s.pending = append(s.pending, sqlite.NewKey{Key: k, Tags: tags, Backing: bk})
	return nil
}

func (s *seedStore) flush(ctx context.Context) error {
	err := s.CreateKeys(ctx, s.pending)
	clear(s.pending)
	s.pending = s.pending[:0]
	return err
}
