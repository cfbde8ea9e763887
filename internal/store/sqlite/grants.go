package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/keyhold/keyhold"
)

const grantColumns = `key_arn, grant_id, name, grantee_principal, retiring_principal,
	issuing_account, operations, encryption_context_equals, encryption_context_subset, creation_date,
	grantee_service_principal, retiring_service_principal, source_arn`

func encodeContext(m map[string]string) (sql.NullString, error) {
	if m == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(m)
	return sql.NullString{String: string(b), Valid: true}, err
}

func decodeContext(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	m := map[string]string{}
	return m, json.Unmarshal([]byte(s.String), &m)
}

func scanGrant(row scanner) (*keyhold.Grant, error) {
	var (
		g       keyhold.Grant
		ops     string
		eq, sub sql.NullString
		created sql.NullInt64
		source  sql.NullString
	)
	if err := row.Scan(&g.KeyARN, &g.GrantID, &g.Name, &g.GranteePrincipal, &g.RetiringPrincipal,
		&g.IssuingAccount, &ops, &eq, &sub, &created,
		&g.GranteeServicePrincipal, &g.RetiringServicePrincipal, &source); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ops), &g.Operations); err != nil {
		return nil, fmt.Errorf("grant %s operations: %w", g.GrantID, err)
	}
	var err error
	if g.EncryptionContextEquals, err = decodeContext(eq); err != nil {
		return nil, err
	}
	if g.EncryptionContextSubset, err = decodeContext(sub); err != nil {
		return nil, err
	}
	g.CreationDate = decodeTime(created)
	g.SourceArn = source.String
	return &g, nil
}

// CreateGrant inserts g.
func (s *Store) CreateGrant(ctx context.Context, g *keyhold.Grant) error {
	what := fmt.Sprintf("create grant %q of %s", g.GrantID, g.KeyARN)
	created, err := encodeTime(g.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	ops, err := json.Marshal(g.Operations)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	eq, err := encodeContext(g.EncryptionContextEquals)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	sub, err := encodeContext(g.EncryptionContextSubset)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	source := sql.NullString{String: g.SourceArn, Valid: g.SourceArn != ""}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM keys WHERE arn = ?`, g.KeyARN).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("key %s: %w", g.KeyARN, keyhold.ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO grants (`+grantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.KeyARN, g.GrantID, g.Name, g.GranteePrincipal, g.RetiringPrincipal, g.IssuingAccount,
			string(ops), eq, sub, created, g.GranteeServicePrincipal, g.RetiringServicePrincipal, source)
		return err
	})
	return mapError(err, what)
}

// GetGrant returns one grant of a key.
func (s *Store) GetGrant(ctx context.Context, keyARN, grantID string) (*keyhold.Grant, error) {
	g, err := scanGrant(s.reader.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM grants
		WHERE key_arn = ? AND grant_id = ?`, keyARN, grantID))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get grant %q of %s", grantID, keyARN))
	}
	return g, nil
}

func (s *Store) listGrants(ctx context.Context, what, query string, args ...any) ([]*keyhold.Grant, error) {
	return queryAll(ctx, s, what, scanGrant, query, args...)
}

// ListGrants returns up to limit grants of a key after afterID.
func (s *Store) ListGrants(ctx context.Context, keyARN, afterID string, limit int) ([]*keyhold.Grant, error) {
	what := "list grants of " + keyARN
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: %s: limit %d is not positive", what, limit)
	}
	return s.listGrants(ctx, what, `SELECT `+grantColumns+` FROM grants
		WHERE key_arn = ? AND grant_id > ? ORDER BY grant_id LIMIT ?`, keyARN, afterID, limit)
}

// CountGrants returns the number of grants of a key.
func (s *Store) CountGrants(ctx context.Context, keyARN string) (int, error) {
	var n int
	err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM grants WHERE key_arn = ?`, keyARN).Scan(&n)
	return n, mapError(err, "count grants of "+keyARN)
}

// ListRetirableGrants returns grants whose retiring principal or retiring
// service principal is principal.
func (s *Store) ListRetirableGrants(ctx context.Context, principal, afterKeyARN, afterID string, limit int) ([]*keyhold.Grant, error) {
	what := "list grants retirable by " + principal
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: %s: limit %d is not positive", what, limit)
	}
	return s.listGrants(ctx, what, `SELECT `+grantColumns+` FROM grants
		WHERE (retiring_principal = ?1 OR retiring_service_principal = ?1)
			AND (key_arn > ?2 OR (key_arn = ?2 AND grant_id > ?3))
		ORDER BY key_arn, grant_id LIMIT ?4`, principal, afterKeyARN, afterID, limit)
}

// DeleteGrant removes a grant.
func (s *Store) DeleteGrant(ctx context.Context, keyARN, grantID string) error {
	what := fmt.Sprintf("delete grant %q of %s", grantID, keyARN)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := mustAffect(tx.ExecContext(ctx, `DELETE FROM grants WHERE key_arn = ? AND grant_id = ?`, keyARN, grantID)); err != nil {
			return fmt.Errorf("grant %s: %w", grantID, err)
		}
		return nil
	})
	return mapError(err, what)
}
