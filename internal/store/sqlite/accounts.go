package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyhold/keyhold"
)

// CreateAccount inserts an account (ErrConflict if it exists).
func (s *Store) CreateAccount(ctx context.Context, a *keyhold.Account) error {
	what := fmt.Sprintf("create account %q", a.ID)
	created, err := encodeTime(a.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO accounts (id, creation_date) VALUES (?, ?)`, a.ID, created)
		return err
	})
	return mapError(err, what)
}

// GetAccount returns the account id.
func (s *Store) GetAccount(ctx context.Context, id string) (*keyhold.Account, error) {
	var (
		a       keyhold.Account
		created sql.NullInt64
	)
	err := s.reader.QueryRowContext(ctx,
		`SELECT id, creation_date FROM accounts WHERE id = ?`, id).Scan(&a.ID, &created)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get account %q", id))
	}
	a.CreationDate = decodeTime(created)
	return &a, nil
}

// CreateAccessKey inserts an access key (ErrConflict if the id exists). The
// account is not checked: in keyhold dev, accounts exist without a record.
func (s *Store) CreateAccessKey(ctx context.Context, ak *keyhold.AccessKey) error {
	what := fmt.Sprintf("create access key %q", ak.ID)
	created, err := encodeTime(ak.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys
			(id, account, principal_arn, sealed_secret, status, creation_date)
			VALUES (?, ?, ?, ?, ?, ?)`,
			ak.ID, ak.Account, ak.PrincipalARN, encodeBlob(ak.SealedSecret), ak.Status, created)
		return err
	})
	return mapError(err, what)
}

// GetAccessKey returns the access key with the given id.
func (s *Store) GetAccessKey(ctx context.Context, id string) (*keyhold.AccessKey, error) {
	var (
		ak      keyhold.AccessKey
		created sql.NullInt64
	)
	err := s.reader.QueryRowContext(ctx, `SELECT id, account, principal_arn,
		sealed_secret, status, creation_date FROM access_keys WHERE id = ?`, id).
		Scan(&ak.ID, &ak.Account, &ak.PrincipalARN, &ak.SealedSecret, &ak.Status, &created)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get access key %q", id))
	}
	ak.CreationDate = decodeTime(created)
	return &ak, nil
}
