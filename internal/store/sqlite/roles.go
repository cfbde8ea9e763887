package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyhold/keyhold"
)

// CreateRole inserts a role (ErrConflict if the name, ARN or id exists).
func (s *Store) CreateRole(ctx context.Context, r *keyhold.Role) error {
	what := fmt.Sprintf("create role %q in %q", r.Name, r.Account)
	created, err := encodeTime(r.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO roles
			(account, name_key, name, arn, id, path, description, assume_role_policy,
			 max_session_duration, creation_date, tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Account, foldName(r.Name), r.Name, r.ARN, r.ID, r.Path, r.Description, r.AssumeRolePolicy,
			r.MaxSessionDuration, created, encodeTags(r.Tags))
		return err
	})
	return mapError(err, what)
}

const roleColumns = `account, name, arn, id, path, description, assume_role_policy,
	max_session_duration, creation_date, tags`

func scanRole(sc scanner) (*keyhold.Role, error) {
	var (
		r       keyhold.Role
		created sql.NullInt64
		tags    string
	)
	if err := sc.Scan(&r.Account, &r.Name, &r.ARN, &r.ID, &r.Path, &r.Description, &r.AssumeRolePolicy,
		&r.MaxSessionDuration, &created, &tags); err != nil {
		return nil, err
	}
	r.CreationDate = decodeTime(created)
	var err error
	if r.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetRole returns a role by name, compared without regard to ASCII case.
func (s *Store) GetRole(ctx context.Context, account, name string) (*keyhold.Role, error) {
	r, err := scanRole(s.reader.QueryRowContext(ctx,
		`SELECT `+roleColumns+` FROM roles WHERE account = ? AND name_key = ?`, account, foldName(name)))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get role %q in %q", name, account))
	}
	return r, nil
}

// ListRoles returns a page of an account's roles in name order.
func (s *Store) ListRoles(ctx context.Context, account, pathPrefix, afterName string, limit int) ([]*keyhold.Role, error) {
	what := fmt.Sprintf("list roles of %q", account)
	if limit < 1 {
		return nil, fmt.Errorf("sqlite: %s: limit %d is below 1", what, limit)
	}
	return queryAll(ctx, s, what, scanRole, `SELECT `+roleColumns+` FROM roles
		WHERE account = ? AND name_key > ? AND `+prefixMatch("path")+`
		ORDER BY name_key LIMIT ?`, account, foldName(afterName), pathPrefix, pathPrefix, limit)
}

// UpdateRoleTags replaces the role's tags if they are still old.
func (s *Store) UpdateRoleTags(ctx context.Context, account, name string, old, tags []keyhold.Tag) error {
	return s.updateTags(ctx, "roles", account, name, old, tags)
}

// UpdateAssumeRolePolicy replaces the role's trust policy.
func (s *Store) UpdateAssumeRolePolicy(ctx context.Context, account, name, document string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return mustAffect(tx.ExecContext(ctx, `UPDATE roles SET assume_role_policy = ?
			WHERE account = ? AND name_key = ?`, document, account, foldName(name)))
	})
	return mapError(err, fmt.Sprintf("update trust policy of role %q in %q", name, account))
}

// DeleteRole removes a role that has no inline or attached policies left.
func (s *Store) DeleteRole(ctx context.Context, account, name string) error {
	what := fmt.Sprintf("delete role %q in %q", name, account)
	key := foldName(name)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := entityExists(ctx, tx, account, keyhold.EntityRole, name); err != nil {
			return err
		}
		if err := checkNoDependents(ctx, tx, account, keyhold.EntityRole, key); err != nil {
			return err
		}
		return mustAffect(tx.ExecContext(ctx, `DELETE FROM roles WHERE account = ? AND name_key = ?`, account, key))
	})
	return mapError(err, what)
}
