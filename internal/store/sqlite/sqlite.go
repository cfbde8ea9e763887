// Package sqlite implements keyhold.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go). It is keyhold's default store: one file in
// the data directory, for one server process.
//
// Durability and concurrency choices, and why:
//
//   - WAL journal mode, so readers never block the writer nor the writer the
//     readers.
//   - synchronous=FULL: every commit fsyncs the WAL before returning, so a
//     write the Store has acknowledged survives power loss (NORMAL would only
//     survive a process crash, which is not enough for key material).
//   - Two connection pools on the same file: a writer pool of exactly one
//     connection, whose transactions begin IMMEDIATE, and a read-only reader
//     pool. One goroutine runs every write on the writer connection, with
//     group commit (groupcommit.go: the writes that queue during one commit
//     share the next transaction and its fsync), so writers in this process
//     never see SQLITE_BUSY; the busy timeout covers the rest (checkpoints,
//     an operator's sqlite3 shell).
//   - foreign_keys on: a backing key cannot exist without its key and the
//     domain key that seals it.
//   - Defensive mode and trusted_schema off: SQL cannot corrupt the file on
//     purpose, and the schema cannot run functions we did not ask for.
//
// The database file, its -wal and its -shm are kept at mode 0600 whatever the
// umask: they hold every EKT and sealed secret, and nobody but the server's
// user has any business reading them even if they are sealed.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/keyhold/keyhold"
)

// busyTimeout is how long a connection waits for a lock held elsewhere
// (another process, a checkpoint) before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// fileMode is the permission of the database file and its -wal and -shm.
const fileMode fs.FileMode = 0o600

// Store is a keyhold.Store backed by one SQLite database file. It is safe
// for concurrent use.
type Store struct {
	path   string
	writer *sql.DB // exactly one connection; transactions BEGIN IMMEDIATE
	reader *sql.DB // query_only connections

	// Group commit of writes (groupcommit.go).
	writes     chan *writeReq
	closing    chan struct{}
	writerDone chan struct{}
	writeMu    sync.RWMutex
	closed     bool
	// transactions counts write transactions begun (for tests).
	transactions atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

var _ keyhold.Store = (*Store)(nil)

// Open opens (creating it if needed) the SQLite database at path, applies
// any pending schema migrations and returns the store. It refuses a database
// whose schema is newer than this binary knows (ErrSchemaTooNew). The file,
// its -wal and its -shm are set to mode 0600, an existing looser file
// included. The directory must exist.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// Create the file ourselves, so SQLite never creates it with its default
	// 0644; SQLite then gives the -wal and -shm the database file's mode.
	if err := createFile(abs); err != nil {
		return nil, err
	}
	if err := restrictPermissions(abs); err != nil {
		return nil, err
	}

	s := &Store{path: abs}
	s.writer, err = sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	// One writer connection: see the package comment.
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)

	if err := migrate(ctx, s.writer, migrationFS); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", abs, err)
	}
	s.writes, s.closing, s.writerDone = make(chan *writeReq, maxWriteBatch), make(chan struct{}), make(chan struct{})
	go s.runWrites()

	s.reader, err = sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.reader.SetMaxOpenConns(n)
	s.reader.SetMaxIdleConns(n)
	if err := s.reader.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}

	// The WAL and shared-memory files exist now; make sure of their mode
	// too (SQLite copies the database file's, but an old -wal or -shm left
	// by an earlier crash may predate that).
	if err := restrictPermissions(abs); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dsn returns the connection string of one pool. The path goes in a file:
// URI, escaped, so no character in it can be read as a parameter.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_defensive", "1")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "FULL")
	q.Add("_pragma", "trusted_schema(0)")
	if readOnly {
		// journal_mode is persistent: the writer set WAL before any reader
		// connection exists.
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// createFile creates path with mode 0600 if it does not exist, and syncs
// its directory so the new name is durable too.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	// The umask may have removed bits we want; set the mode exactly.
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		return fmt.Errorf("sqlite: chmod %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("sqlite: sync directory of %s: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sqlite: sync directory of %s: %w", path, err)
	}
	return nil
}

// restrictPermissions sets the database file and, when they exist, its -wal
// and -shm to mode 0600, tightening a file an operator (or an old version)
// left readable by others.
func restrictPermissions(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("sqlite: %s is not a regular file", p)
		}
		if fi.Mode().Perm() == fileMode {
			continue
		}
		if err := os.Chmod(p, fileMode); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	return nil
}

// Close closes both connection pools. The writer closes last so that its
// connection, the last one, checkpoints the WAL into the database file.
// Calling Close again returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.closing != nil {
			s.writeMu.Lock()
			s.closed = true
			s.writeMu.Unlock()
			close(s.closing)
			<-s.writerDone
		}
		var errs []error
		if s.reader != nil {
			errs = append(errs, s.reader.Close())
		}
		errs = append(errs, s.writer.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close %s: %w", s.path, err)
		}
	})
	return s.closeErr
}
