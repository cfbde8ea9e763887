package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keyhold/keyhold"
)

// DeleteKey removes the key arn and everything that belongs to it in one
// transaction (ErrNotFound if the key does not exist).
func (s *Store) DeleteKey(ctx context.Context, arn string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM aliases WHERE target_key_arn = ?`,
			`DELETE FROM tags WHERE key_arn = ?`,
			`DELETE FROM grants WHERE key_arn = ?`,
			`DELETE FROM import_parameters WHERE key_arn = ?`,
			`DELETE FROM key_materials WHERE key_arn = ?`, // before backing_keys (foreign key)
			`DELETE FROM backing_keys WHERE key_arn = ?`,
			`DELETE FROM key_last_usage WHERE key_arn = ?`,
			`DELETE FROM custom_key_store_keys WHERE key_arn = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, arn); err != nil {
				return err
			}
		}
		if err := mustAffect(tx.ExecContext(ctx, `DELETE FROM keys WHERE arn = ?`, arn)); err != nil {
			return err
		}
		return nil
	})
	return mapError(err, fmt.Sprintf("delete key %q", arn))
}

// ListKeysDue returns keys with background work due at now.
func (s *Store) ListKeysDue(ctx context.Context, now time.Time) ([]*keyhold.Key, error) {
	what := "list keys due"
	t, err := encodeTime(now)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return queryAll(ctx, s, what, scanKey, `SELECT `+keyColumns+` FROM keys`+keysDueWhere,
		string(keyhold.KeyStatePendingDeletion), t.Int64, string(keyhold.KeyStateEnabled), t.Int64)
}

// The queries the background workers and /metrics run on a timer, written
// to use the indexes of migration 0008 rather than read every key
// (TestQueriesUseIndexes). "+state" keeps SQLite from choosing the index on
// state, which nearly every key shares.
const (
	keysDueWhere = `
		WHERE (+state = ? AND deletion_date IS NOT NULL AND deletion_date <= ?)
		   OR (+state = ? AND rotation_enabled = 1 AND next_rotation_date IS NOT NULL AND next_rotation_date <= ?)
		ORDER BY arn`
	keyCountsSQL    = `SELECT state, key_spec, COUNT(*) FROM keys GROUP BY state, key_spec ORDER BY state, key_spec`
	nextRotationSQL = `SELECT MIN(next_rotation_date) FROM keys WHERE rotation_enabled = 1 AND next_rotation_date IS NOT NULL`
)

// RotateKey stores bk and updates k in one transaction.
func (s *Store) RotateKey(ctx context.Context, k *keyhold.Key, bk *keyhold.BackingKey) error {
	what := fmt.Sprintf("rotate key %q", k.ARN)
	if bk.KeyARN != k.ARN || k.CurrentMaterialID != bk.MaterialID {
		return fmt.Errorf("sqlite: %s: the backing key must belong to the key and be its current material", what)
	}
	deleted, err := encodeTime(k.DeletionDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	rot, err := encodeRotation(k)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := insertBackingKey(ctx, tx, bk); err != nil {
			return err
		}
		return updateKey(ctx, tx, k, deleted, rot)
	})
	return mapError(err, what)
}

// UpdateTags upserts set and removes remove on key keyARN, atomically.
func (s *Store) UpdateTags(ctx context.Context, keyARN string, set []keyhold.Tag, remove []string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := keyExists(ctx, tx, keyARN); err != nil {
			return err
		}
		for _, k := range remove {
			if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE key_arn = ? AND tag_key = ?`, keyARN, k); err != nil {
				return err
			}
		}
		for _, t := range set {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tags (key_arn, tag_key, tag_value) VALUES (?, ?, ?)
				ON CONFLICT (key_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value`,
				keyARN, t.Key, t.Value); err != nil {
				return err
			}
		}
		return nil
	})
	return mapError(err, fmt.Sprintf("update tags of key %q", keyARN))
}

const aliasColumns = `account, region, name, target_key_arn, creation_date, last_updated_date`

func scanAlias(row scanner) (*keyhold.Alias, error) {
	var (
		a                keyhold.Alias
		created, updated sql.NullInt64
	)
	if err := row.Scan(&a.Account, &a.Region, &a.Name, &a.TargetKeyARN, &created, &updated); err != nil {
		return nil, err
	}
	a.CreationDate = decodeTime(created)
	a.LastUpdatedDate = decodeTime(updated)
	return &a, nil
}

// rowQuerier is a transaction, a stmtCache or a connection pool.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func keyExists(ctx context.Context, q rowQuerier, arn string) error {
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM keys WHERE arn = ?)`, arn).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("key %q: %w", arn, keyhold.ErrNotFound)
	}
	return nil
}

// CreateAlias inserts a.
func (s *Store) CreateAlias(ctx context.Context, a *keyhold.Alias) error {
	what := fmt.Sprintf("create alias %q", a.Name)
	created, err := encodeTime(a.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	updated, err := encodeTime(a.LastUpdatedDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := keyExists(ctx, tx, a.TargetKeyARN); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO aliases (`+aliasColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			a.Account, a.Region, a.Name, a.TargetKeyARN, created, updated)
		return err
	})
	return mapError(err, what)
}

// GetAlias returns an alias.
func (s *Store) GetAlias(ctx context.Context, account, region, name string) (*keyhold.Alias, error) {
	a, err := scanAlias(s.reader.QueryRowContext(ctx, `SELECT `+aliasColumns+` FROM aliases
		WHERE account = ? AND region = ? AND name = ?`, account, region, name))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get alias %q", name))
	}
	return a, nil
}

// UpdateAlias changes the target and LastUpdatedDate of an existing alias.
func (s *Store) UpdateAlias(ctx context.Context, a *keyhold.Alias) error {
	what := fmt.Sprintf("update alias %q", a.Name)
	updated, err := encodeTime(a.LastUpdatedDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := keyExists(ctx, tx, a.TargetKeyARN); err != nil {
			return err
		}
		if err := mustAffect(tx.ExecContext(ctx, `UPDATE aliases SET target_key_arn = ?, last_updated_date = ?
			WHERE account = ? AND region = ? AND name = ?`, a.TargetKeyARN, updated, a.Account, a.Region, a.Name)); err != nil {
			return err
		}
		return nil
	})
	return mapError(err, what)
}

// DeleteAlias removes an alias.
func (s *Store) DeleteAlias(ctx context.Context, account, region, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := mustAffect(tx.ExecContext(ctx, `DELETE FROM aliases WHERE account = ? AND region = ? AND name = ?`, account, region, name)); err != nil {
			return err
		}
		return nil
	})
	return mapError(err, fmt.Sprintf("delete alias %q", name))
}

// ListAliases lists aliases in name order.
func (s *Store) ListAliases(ctx context.Context, account, region, keyARN, afterName string, limit int) ([]*keyhold.Alias, error) {
	what := fmt.Sprintf("list aliases of %s/%s", account, region)
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: %s: limit %d is not positive", what, limit)
	}
	q := `SELECT ` + aliasColumns + ` FROM aliases WHERE account = ? AND region = ? AND name > ?`
	args := []any{account, region, afterName}
	if keyARN != "" {
		q += ` AND target_key_arn = ?`
		args = append(args, keyARN)
	}
	q += ` ORDER BY name LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s, what, scanAlias, q, args...)
}

// CountAliases counts the aliases of a key.
func (s *Store) CountAliases(ctx context.Context, keyARN string) (int, error) {
	var n int
	err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM aliases WHERE target_key_arn = ?`, keyARN).Scan(&n)
	return n, mapError(err, fmt.Sprintf("count aliases of %q", keyARN))
}

// PutKeyUsage upserts last-use records, dropping those of deleted keys.
func (s *Store) PutKeyUsage(ctx context.Context, us []keyhold.KeyUsage) error {
	if len(us) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, u := range us {
			ts, err := encodeTime(u.Timestamp)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO key_last_usage (key_arn, operation, timestamp, request_id)
				SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM keys WHERE arn = ?)
				ON CONFLICT (key_arn) DO UPDATE SET operation = excluded.operation,
					timestamp = excluded.timestamp, request_id = excluded.request_id
				WHERE excluded.timestamp >= key_last_usage.timestamp`,
				u.KeyARN, u.Operation, ts, u.RequestID, u.KeyARN); err != nil {
				return err
			}
		}
		return nil
	})
	return mapError(err, "put key usage")
}

// GetKeyUsage returns the last recorded use of a key.
func (s *Store) GetKeyUsage(ctx context.Context, keyARN string) (*keyhold.KeyUsage, error) {
	var (
		u  keyhold.KeyUsage
		ts sql.NullInt64
	)
	err := s.reader.QueryRowContext(ctx, `SELECT key_arn, operation, timestamp, request_id FROM key_last_usage WHERE key_arn = ?`, keyARN).
		Scan(&u.KeyARN, &u.Operation, &ts, &u.RequestID)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get key usage of %q", keyARN))
	}
	u.Timestamp = decodeTime(ts)
	return &u, nil
}

// KeyStats counts keys by state and spec and finds the next rotation.
func (s *Store) KeyStats(ctx context.Context) ([]keyhold.KeyStat, time.Time, error) {
	rows, err := s.reader.QueryContext(ctx, keyCountsSQL)
	if err != nil {
		return nil, time.Time{}, mapError(err, "key stats")
	}
	defer rows.Close()
	var stats []keyhold.KeyStat
	for rows.Next() {
		var st keyhold.KeyStat
		var state string
		if err := rows.Scan(&state, &st.KeySpec, &st.Count); err != nil {
			return nil, time.Time{}, mapError(err, "key stats")
		}
		st.State = keyhold.KeyState(state)
		stats = append(stats, st)
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, mapError(err, "key stats")
	}
	var next sql.NullInt64
	if err := s.reader.QueryRowContext(ctx, nextRotationSQL).Scan(&next); err != nil {
		return nil, time.Time{}, mapError(err, "key stats")
	}
	return stats, decodeTime(next), nil
}
