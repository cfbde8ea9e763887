package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/keyhold/keyhold"
)

// PutInlinePolicy inserts or replaces an inline policy of an existing user
// or role.
func (s *Store) PutInlinePolicy(ctx context.Context, p *keyhold.InlinePolicy) error {
	what := fmt.Sprintf("put %s policy %q of %q in %q", p.EntityType, p.Name, p.EntityName, p.Account)
	err := s.write(ctx, func(tx *sql.Tx) error {
		name, err := entityName(ctx, tx, p.Account, p.EntityType, p.EntityName)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO inline_policies
			(account, entity_type, entity_key, entity_name, name, document) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, entity_type, entity_key, name) DO UPDATE SET document = excluded.document`,
			p.Account, p.EntityType, foldName(name), name, p.Name, p.Document)
		return err
	})
	return mapError(err, what)
}

// GetInlinePolicy returns one inline policy of a user or role.
func (s *Store) GetInlinePolicy(ctx context.Context, account, entityType, entityName, name string) (*keyhold.InlinePolicy, error) {
	p := keyhold.InlinePolicy{Account: account, EntityType: entityType, Name: name}
	err := s.reader.QueryRowContext(ctx, `SELECT entity_name, document FROM inline_policies
		WHERE account = ? AND entity_type = ? AND entity_key = ? AND name = ?`,
		account, entityType, foldName(entityName), name).Scan(&p.EntityName, &p.Document)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get %s policy %q of %q in %q", entityType, name, entityName, account))
	}
	return &p, nil
}

// ListInlinePolicies returns the inline policies of a user or role by name.
func (s *Store) ListInlinePolicies(ctx context.Context, account, entityType, entityName string) ([]*keyhold.InlinePolicy, error) {
	what := fmt.Sprintf("list %s policies of %q in %q", entityType, entityName, account)
	if err := entityExists(ctx, s.reader, account, entityType, entityName); err != nil {
		return nil, mapError(err, what)
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT entity_name, name, document FROM inline_policies
		WHERE account = ? AND entity_type = ? AND entity_key = ? ORDER BY name`,
		account, entityType, foldName(entityName))
	if err != nil {
		return nil, mapError(err, what)
	}
	defer rows.Close()
	var out []*keyhold.InlinePolicy
	for rows.Next() {
		p := &keyhold.InlinePolicy{Account: account, EntityType: entityType}
		if err := rows.Scan(&p.EntityName, &p.Name, &p.Document); err != nil {
			return nil, mapError(err, what)
		}
		out = append(out, p)
	}
	return out, mapError(rows.Err(), what)
}

// DeleteInlinePolicy removes an inline policy.
func (s *Store) DeleteInlinePolicy(ctx context.Context, account, entityType, entityName, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return mustAffect(tx.ExecContext(ctx, `DELETE FROM inline_policies
			WHERE account = ? AND entity_type = ? AND entity_key = ? AND name = ?`,
			account, entityType, foldName(entityName), name))
	})
	return mapError(err, fmt.Sprintf("delete %s policy %q of %q in %q", entityType, name, entityName, account))
}

// CreateManagedPolicy inserts a managed policy.
func (s *Store) CreateManagedPolicy(ctx context.Context, p *keyhold.ManagedPolicy) error {
	what := fmt.Sprintf("create managed policy %q", p.ARN)
	created, err := encodeTime(p.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	updated, err := encodeTime(p.UpdateDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: update date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO managed_policies
			(arn, id, account, name_key, name, path, description, document, default_version_id,
			 creation_date, update_date, tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ARN, p.ID, p.Account, foldName(p.Name), p.Name, p.Path, p.Description, p.Document,
			p.DefaultVersionID, created, updated, encodeTags(p.Tags))
		return err
	})
	return mapError(err, what)
}

// managedPolicyColumns selects a policy with its attachment count; the
// table is aliased mp.
const managedPolicyColumns = `mp.arn, mp.id, mp.account, mp.name, mp.path, mp.description, mp.document,
	mp.default_version_id, mp.creation_date, mp.update_date, mp.tags,
	(SELECT count(*) FROM policy_attachments pa WHERE pa.policy_arn = mp.arn)`

func scanManagedPolicy(sc scanner) (*keyhold.ManagedPolicy, error) {
	var (
		p                keyhold.ManagedPolicy
		created, updated sql.NullInt64
		tags             string
	)
	if err := sc.Scan(&p.ARN, &p.ID, &p.Account, &p.Name, &p.Path, &p.Description, &p.Document,
		&p.DefaultVersionID, &created, &updated, &tags, &p.AttachmentCount); err != nil {
		return nil, err
	}
	p.CreationDate = decodeTime(created)
	p.UpdateDate = decodeTime(updated)
	var err error
	if p.Tags, err = decodeTags(tags); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetManagedPolicy returns a managed policy by ARN.
func (s *Store) GetManagedPolicy(ctx context.Context, arn string) (*keyhold.ManagedPolicy, error) {
	p, err := scanManagedPolicy(s.reader.QueryRowContext(ctx,
		`SELECT `+managedPolicyColumns+` FROM managed_policies mp WHERE mp.arn = ?`, arn))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get managed policy %q", arn))
	}
	return p, nil
}

// ListManagedPolicies returns the policies f selects, in ARN order.
func (s *Store) ListManagedPolicies(ctx context.Context, f keyhold.ManagedPolicyFilter) ([]*keyhold.ManagedPolicy, error) {
	const what = "list managed policies"
	if f.Limit < 1 {
		return nil, fmt.Errorf("sqlite: %s: limit %d is below 1", what, f.Limit)
	}
	if len(f.Accounts) == 0 {
		return nil, nil
	}
	var q strings.Builder
	args := []any{}
	q.WriteString(`SELECT ` + managedPolicyColumns + ` FROM managed_policies mp WHERE mp.account IN (`)
	for i, a := range f.Accounts {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("?")
		args = append(args, a)
	}
	q.WriteString(`) AND mp.arn > ? AND ` + prefixMatch("mp.path"))
	args = append(args, f.After, f.PathPrefix, f.PathPrefix)
	if f.OnlyAttached {
		q.WriteString(` AND EXISTS (SELECT 1 FROM policy_attachments pa WHERE pa.policy_arn = mp.arn)`)
	}
	q.WriteString(` ORDER BY mp.arn LIMIT ?`)
	args = append(args, f.Limit)
	return queryAll(ctx, s, what, scanManagedPolicy, q.String(), args...)
}

// DeleteManagedPolicy removes a managed policy that is not attached.
func (s *Store) DeleteManagedPolicy(ctx context.Context, arn string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		n, err := countRows(ctx, tx, `SELECT count(*) FROM policy_attachments WHERE policy_arn = ?`, arn)
		if err != nil {
			return err
		}
		if n > 0 {
			// Attachments reference an existing policy (foreign key), so
			// a missing policy has none and gets ErrNotFound below.
			return fmt.Errorf("attached to %d entities: %w", n, keyhold.ErrConflict)
		}
		return mustAffect(tx.ExecContext(ctx, `DELETE FROM managed_policies WHERE arn = ?`, arn))
	})
	return mapError(err, fmt.Sprintf("delete managed policy %q", arn))
}

// AttachPolicy attaches a managed policy to a user or role (idempotent).
func (s *Store) AttachPolicy(ctx context.Context, account, entityType, entityName, policyARN string) error {
	what := fmt.Sprintf("attach %q to %s %q in %q", policyARN, entityType, entityName, account)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := entityExists(ctx, tx, account, entityType, entityName); err != nil {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM managed_policies WHERE arn = ?`, policyARN).Scan(&one); err != nil {
			if err == sql.ErrNoRows {
				return fmt.Errorf("policy: %w", keyhold.ErrNotFound)
			}
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_attachments (account, entity_type, entity_key, policy_arn)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, account, entityType, foldName(entityName), policyARN)
		return err
	})
	return mapError(err, what)
}

// DetachPolicy removes an attachment.
func (s *Store) DetachPolicy(ctx context.Context, account, entityType, entityName, policyARN string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return mustAffect(tx.ExecContext(ctx, `DELETE FROM policy_attachments
			WHERE account = ? AND entity_type = ? AND entity_key = ? AND policy_arn = ?`,
			account, entityType, foldName(entityName), policyARN))
	})
	return mapError(err, fmt.Sprintf("detach %q from %s %q in %q", policyARN, entityType, entityName, account))
}

// ListAttachedPolicies returns the managed policies attached to a user or
// role, in ARN order.
func (s *Store) ListAttachedPolicies(ctx context.Context, account, entityType, entityName string) ([]*keyhold.ManagedPolicy, error) {
	what := fmt.Sprintf("list policies attached to %s %q in %q", entityType, entityName, account)
	if err := entityExists(ctx, s.reader, account, entityType, entityName); err != nil {
		return nil, mapError(err, what)
	}
	return queryAll(ctx, s, what, scanManagedPolicy, `SELECT `+managedPolicyColumns+`
		FROM policy_attachments a JOIN managed_policies mp ON mp.arn = a.policy_arn
		WHERE a.account = ? AND a.entity_type = ? AND a.entity_key = ? ORDER BY mp.arn`,
		account, entityType, foldName(entityName))
}
