package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/store/storetest"
)

// openTemp opens a store on a new file in a temporary directory and closes
// it when the test ends.
func openTemp(t testing.TB) *Store {
	t.Helper()
	return openPath(t, filepath.Join(t.TempDir(), "keyhold.db"))
}

func openPath(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, storetest.Factory{
		New: func(t *testing.T) keyhold.Store { return openTemp(t) },
		Reopen: func(t *testing.T, s keyhold.Store) keyhold.Store {
			st := s.(*Store)
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return openPath(t, st.path)
		},
	})
}

func TestPragmas(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	tests := []struct {
		pragma string
		db     *sql.DB
		want   string
	}{
		{"journal_mode", s.writer, "wal"},
		{"journal_mode", s.reader, "wal"},
		{"synchronous", s.writer, "2"}, // FULL
		{"synchronous", s.reader, "2"},
		{"foreign_keys", s.writer, "1"},
		{"foreign_keys", s.reader, "1"},
		{"busy_timeout", s.writer, "10000"},
		{"busy_timeout", s.reader, "10000"},
		{"trusted_schema", s.writer, "0"},
		{"query_only", s.writer, "0"},
		{"query_only", s.reader, "1"},
	}
	for _, tt := range tests {
		name := tt.pragma + "/writer"
		if tt.db == s.reader {
			name = tt.pragma + "/reader"
		}
		t.Run(name, func(t *testing.T) {
			var got string
			if err := tt.db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
			}
		})
	}
	t.Run("reader cannot write", func(t *testing.T) {
		_, err := s.reader.ExecContext(ctx, `INSERT INTO accounts (id) VALUES ('x')`)
		if err == nil {
			t.Errorf("INSERT on the reader pool succeeded")
		}
	})
	t.Run("ListKeys uses the index", func(t *testing.T) {
		joined := queryPlan(t, s, `SELECT `+keyColumns+` FROM keys
			WHERE account = ? AND region = ? AND id > ? ORDER BY id LIMIT ?`, "a", "r", "", 10)
		if !strings.Contains(joined, "keys_account_region_id") || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("query plan %q: want a search on keys_account_region_id without a sort", joined)
		}
	})
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
	latest := ms[len(ms)-1].version

	versions := func(t *testing.T, path string) []int {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var vs []int
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		return vs
	}

	t.Run("idempotent on reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keyhold.db")
		for i := range 3 {
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("Open #%d: %v", i+1, err)
			}
			if i == 0 {
				if err := s.CreateAccount(ctx, &keyhold.Account{ID: "111122223333"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.GetAccount(ctx, "111122223333"); err != nil {
				t.Errorf("Open #%d: GetAccount: %v", i+1, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		got := versions(t, path)
		if len(got) != latest || got[len(got)-1] != latest {
			t.Errorf("schema_migrations versions = %v, want 1..%d once each", got, latest)
		}
	})

	t.Run("refuses a newer schema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keyhold.db")
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.writer.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', 0)`, latest+1); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = Open(ctx, path)
		if err == nil {
			s.Close()
			t.Fatalf("Open of a database with schema version %d succeeded", latest+1)
		}
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Errorf("Open: %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), "upgrade keyhold") {
			t.Errorf("Open error %q does not say what to do", err)
		}
		if got := versions(t, path); len(got) != latest+1 {
			t.Errorf("refused Open changed schema_migrations: %v", got)
		}
	})

	t.Run("failed migration rolls back", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keyhold.db")
		s := openPath(t, path)
		fsys := fstest.MapFS{}
		for _, m := range ms {
			fsys["migrations/"+m.name+".sql"] = &fstest.MapFile{Data: []byte(m.sql)}
		}
		// Two new migrations: the first is fine, the second fails halfway.
		fsys[fmt.Sprintf("migrations/%04d_ok.sql", latest+1)] = &fstest.MapFile{Data: []byte(`CREATE TABLE partial (x INTEGER);`)}
		fsys[fmt.Sprintf("migrations/%04d_broken.sql", latest+2)] = &fstest.MapFile{Data: []byte(`CREATE TABLE broken (x INTEGER); THIS IS NOT SQL;`)}
		if err := migrate(ctx, s.writer, fsys); err == nil {
			t.Fatal("migrate with a broken migration succeeded")
		}
		var n int
		if err := s.writer.QueryRowContext(ctx,
			`SELECT count(*) FROM sqlite_schema WHERE name IN ('partial', 'broken')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("failed migration left %d tables behind", n)
		}
		var v int
		if err := s.writer.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != latest {
			t.Errorf("schema version after failed migration = %d, want %d", v, latest)
		}
	})

	t.Run("malformed sets", func(t *testing.T) {
		sql := &fstest.MapFile{Data: []byte(`SELECT 1;`)}
		tests := []struct {
			name string
			fsys fstest.MapFS
		}{
			{"empty", fstest.MapFS{}},
			{"gap", fstest.MapFS{"migrations/0001_a.sql": sql, "migrations/0003_c.sql": sql}},
			{"duplicate", fstest.MapFS{"migrations/0001_a.sql": sql, "migrations/0001_b.sql": sql}},
			{"starts at 2", fstest.MapFS{"migrations/0002_a.sql": sql}},
			{"no number", fstest.MapFS{"migrations/init.sql": sql}},
			{"short number", fstest.MapFS{"migrations/1_init.sql": sql}},
			{"zero", fstest.MapFS{"migrations/0000_init.sql": sql}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := loadMigrations(tt.fsys); err == nil {
					t.Errorf("loadMigrations accepted %v", tt.fsys)
				}
			})
		}
	})
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keyhold.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(ctx, &keyhold.Account{ID: "111122223333"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Run("checkpoints and removes the WAL", func(t *testing.T) {
		for _, suffix := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(path + suffix); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s after Close: %v, want it removed", suffix, err)
			}
		}
	})
	t.Run("second Close", func(t *testing.T) {
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("calls after Close fail", func(t *testing.T) {
		if _, err := s.GetAccount(ctx, "111122223333"); err == nil {
			t.Errorf("GetAccount after Close succeeded")
		}
		if err := s.CreateAccount(ctx, &keyhold.Account{ID: "444455556666"}); err == nil {
			t.Errorf("CreateAccount after Close succeeded")
		}
	})
	t.Run("data in the main file", func(t *testing.T) {
		s := openPath(t, path)
		if _, err := s.GetAccount(ctx, "111122223333"); err != nil {
			t.Errorf("GetAccount after reopen: %v", err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dirInfo, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	notADB := filepath.Join(dir, "not-a-db")
	if err := os.WriteFile(notADB, []byte(strings.Repeat("this is not a database file\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
	}{
		{"empty path", ""},
		{"missing directory", filepath.Join(dir, "missing", "keyhold.db")},
		{"a directory", dir},
		{"not a database", notADB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
		})
	}
	// A failed Open touches nothing it should not.
	if fi, err := os.Stat(dir); err != nil || fi.Mode() != dirInfo.Mode() {
		t.Errorf("directory after Open(directory): %v, %v; want mode %v", fi.Mode(), err, dirInfo.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the missing directory: %v", err)
	}
}

// TestPathSpecialCharacters checks that characters with a meaning in URIs
// reach the file system as themselves.
func TestPathSpecialCharacters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key hold?mode=ro&_txlock=deferred#%20.db")
	s := openPath(t, path)
	if err := s.CreateAccount(context.Background(), &keyhold.Account{ID: "111122223333"}); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %q: %v", path, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), filepath.Base(path)) {
			t.Errorf("unexpected file %q next to the database", e.Name())
		}
	}
}
