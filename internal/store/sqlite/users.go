package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyhold/keyhold"
)

// CreateUser inserts a user (ErrConflict if the name, ARN or id exists).
func (s *Store) CreateUser(ctx context.Context, u *keyhold.User) error {
	what := fmt.Sprintf("create user %q in %q", u.Name, u.Account)
	created, err := encodeTime(u.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users
			(account, name_key, name, arn, id, path, creation_date, tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.Account, foldName(u.Name), u.Name, u.ARN, u.ID, u.Path, created, encodeTags(u.Tags))
		return err
	})
	return mapError(err, what)
}

const userColumns = `account, name, arn, id, path, creation_date, tags`

func scanUser(sc scanner) (*keyhold.User, error) {
	var (
		u       keyhold.User
		created sql.NullInt64
		tags    string
	)
	if err := sc.Scan(&u.Account, &u.Name, &u.ARN, &u.ID, &u.Path, &created, &tags); err != nil {
		return nil, err
	}
	u.CreationDate = decodeTime(created)
	var err error
	if u.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	return &u, nil
}

// GetUser returns a user by name, compared without regard to ASCII case.
func (s *Store) GetUser(ctx context.Context, account, name string) (*keyhold.User, error) {
	u, err := scanUser(s.reader.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE account = ? AND name_key = ?`, account, foldName(name)))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get user %q in %q", name, account))
	}
	return u, nil
}

// ListUsers returns a page of an account's users in name order.
func (s *Store) ListUsers(ctx context.Context, account, pathPrefix, afterName string, limit int) ([]*keyhold.User, error) {
	what := fmt.Sprintf("list users of %q", account)
	if limit < 1 {
		return nil, fmt.Errorf("sqlite: %s: limit %d is below 1", what, limit)
	}
	return queryAll(ctx, s, what, scanUser, `SELECT `+userColumns+` FROM users
		WHERE account = ? AND name_key > ? AND `+prefixMatch("path")+`
		ORDER BY name_key LIMIT ?`, account, foldName(afterName), pathPrefix, pathPrefix, limit)
}

// UpdateUserTags replaces the user's tags if they are still old.
func (s *Store) UpdateUserTags(ctx context.Context, account, name string, old, tags []keyhold.Tag) error {
	return s.updateTags(ctx, "users", account, name, old, tags)
}

// updateTags is the compare-and-swap of a users or roles row's tags.
func (s *Store) updateTags(ctx context.Context, table, account, name string, old, tags []keyhold.Tag) error {
	what := fmt.Sprintf("update tags of %s %q in %q", table, name, account)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT tags FROM `+table+` WHERE account = ? AND name_key = ?`,
			account, foldName(name)).Scan(&cur)
		if err != nil {
			return err
		}
		curTags, err := decodeTags(cur)
		if err != nil {
			return err
		}
		if encodeTags(curTags) != encodeTags(old) {
			return fmt.Errorf("tags changed concurrently: %w", keyhold.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `UPDATE `+table+` SET tags = ? WHERE account = ? AND name_key = ?`,
			encodeTags(tags), account, foldName(name))
		return err
	})
	return mapError(err, what)
}

// DeleteUser removes a user that has no access keys, inline policies or
// attached policies left.
func (s *Store) DeleteUser(ctx context.Context, account, name string) error {
	what := fmt.Sprintf("delete user %q in %q", name, account)
	key := foldName(name)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := entityExists(ctx, tx, account, keyhold.EntityUser, name); err != nil {
			return err
		}
		if err := checkNoDependents(ctx, tx, account, keyhold.EntityUser, key); err != nil {
			return err
		}
		return mustAffect(tx.ExecContext(ctx, `DELETE FROM users WHERE account = ? AND name_key = ?`, account, key))
	})
	return mapError(err, what)
}

// checkNoDependents returns ErrConflict if the user or role still has
// access keys (users), inline policies or attached policies.
func checkNoDependents(ctx context.Context, tx *sql.Tx, account, entityType, key string) error {
	if entityType == keyhold.EntityUser {
		n, err := countRows(ctx, tx, `SELECT count(*) FROM access_keys WHERE account = ? AND user_key = ?`, account, key)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d access keys remain: %w", n, keyhold.ErrConflict)
		}
	}
	for _, dep := range []struct{ table, what string }{
		{"inline_policies", "inline policies"},
		{"policy_attachments", "attached policies"},
	} {
		n, err := countRows(ctx, tx, `SELECT count(*) FROM `+dep.table+`
			WHERE account = ? AND entity_type = ? AND entity_key = ?`, account, entityType, key)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d %s remain: %w", n, dep.what, keyhold.ErrConflict)
		}
	}
	return nil
}
