package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyhold/keyhold"
)

// NewKey is one key for CreateKeys: the arguments of one CreateKey call.
type NewKey struct {
	Key     *keyhold.Key
	Tags    []keyhold.Tag
	Backing *keyhold.BackingKey // nil: no key material yet
}

// CreateKeys stores many keys in one transaction, each exactly as
// CreateKey stores it (the same statements and checks, each statement
// prepared once per call): either every key is stored or none is. It is for bulk loading (`keyhold bench seed`): a
// commit, and so a WAL fsync, per call instead of per key. Durability is
// unchanged (synchronous=FULL): once CreateKeys returns nil, every key of
// the call survives a power loss.
func (s *Store) CreateKeys(ctx context.Context, keys []NewKey) error {
	if len(keys) == 0 {
		return nil
	}
	what := fmt.Sprintf("create %d keys", len(keys))
	inss := make([]*keyInsert, len(keys))
	for i, nk := range keys {
		ins, err := newKeyInsert(nk.Key, nk.Tags, nk.Backing)
		if err != nil {
			return fmt.Errorf("sqlite: %s: key %q: %w", what, nk.Key.ARN, err)
		}
		inss[i] = ins
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		st := &stmtCache{tx: tx, stmts: map[string]*sql.Stmt{}}
		for _, ins := range inss {
			if err := ins.exec(ctx, st); err != nil {
				return fmt.Errorf("key %q: %w", ins.k.ARN, err)
			}
		}
		return nil
	})
	return mapError(err, what)
}

// SetWriterCache sets the page cache of the store's writer connection to
// mib MiB (SQLite's default is 2 MiB), for a process that loads many keys
// with CreateKeys (`keyhold bench seed`): keys go in at random places of
// B-trees far larger than the default cache, which then reads most pages
// back from the file for every insert. It changes no durability setting;
// keyhold serve never calls it.
func (s *Store) SetWriterCache(ctx context.Context, mib int) error {
	if mib < 1 {
		return fmt.Errorf("sqlite: writer cache of %d MiB", mib)
	}
	// The writer pool keeps its one connection open, so the setting lasts.
	_, err := s.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", mib<<10))
	return mapError(err, "set the writer's page cache")
}

// txExecer is what the insert helpers (keyInsert.exec, insertBackingKey)
// use of a transaction: a *sql.Tx, or a stmtCache over one.
type txExecer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtCache runs statements in tx, preparing each distinct text once (SQL
// parsing is a third of an insert's cost). The statements close with tx.
type stmtCache struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		// A *sql.Row cannot be made with an error: the unprepared query
		// fails the same way and carries it.
		return c.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
