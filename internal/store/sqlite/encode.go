package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keyhold/keyhold"
)

// Times are stored as INTEGER Unix nanoseconds, which cover the years 1678
// to 2262; NULL stands for the zero time.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// encodeTime returns t as Unix nanoseconds, NULL for the zero time, or an
// error for a time UnixNano cannot represent (rather than storing garbage).
func encodeTime(t time.Time) (sql.NullInt64, error) {
	if t.IsZero() {
		return sql.NullInt64{}, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return sql.NullInt64{}, fmt.Errorf("time %s out of the storable range", t.UTC().Format(time.RFC3339))
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}, nil
}

// decodeTime reverses encodeTime. The result is in UTC.
func decodeTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// encodeBlob stores nil as an empty blob: the columns are NOT NULL and the
// driver binds a nil slice as NULL.
func encodeBlob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// mapError turns a SQLite error into the Store contract: a unique or
// primary-key violation wraps keyhold.ErrConflict, a foreign-key violation
// (a referenced record is missing) and sql.ErrNoRows wrap
// keyhold.ErrNotFound. what says which operation on which record failed; it
// never includes blob contents. SQLite's constraint messages name the
// constraint ("UNIQUE constraint failed: keys.arn"), never the values.
func mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: %s: %w", what, keyhold.ErrNotFound)
	case sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE,
		sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("sqlite: %s: %w: %v", what, keyhold.ErrConflict, err)
	case sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("sqlite: %s: referenced record: %w: %v", what, keyhold.ErrNotFound, err)
	case errors.Is(err, keyhold.ErrNotFound), errors.Is(err, keyhold.ErrConflict):
		// Already mapped by a check inside the transaction.
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// mustAffect turns an UPDATE or DELETE that touched no row into
// keyhold.ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return keyhold.ErrNotFound
	}
	return nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// queryAll runs a read query and scans every row with scan; an empty result
// is an empty (non-nil) slice.
func queryAll[T any](ctx context.Context, s *Store, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapError(err, what)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapError(err, what)
		}
		out = append(out, v)
	}
	return out, mapError(rows.Err(), what)
}
