package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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
			`INSERT INTO accounts (id, name, creation_date) VALUES (?, ?, ?)`, a.ID, a.Name, created)
		return err
	})
	return mapError(err, what)
}

// GetAccount returns the account id.
func (s *Store) GetAccount(ctx context.Context, id string) (*keyhold.Account, error) {
	a, err := scanAccount(s.reader.QueryRowContext(ctx,
		`SELECT id, name, creation_date FROM accounts WHERE id = ?`, id))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get account %q", id))
	}
	return a, nil
}

// ListAccounts returns every account in ascending id order.
func (s *Store) ListAccounts(ctx context.Context) ([]*keyhold.Account, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, name, creation_date FROM accounts ORDER BY id`)
	if err != nil {
		return nil, mapError(err, "list accounts")
	}
	defer rows.Close()
	var out []*keyhold.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, mapError(err, "list accounts")
		}
		out = append(out, a)
	}
	return out, mapError(rows.Err(), "list accounts")
}

func scanAccount(sc scanner) (*keyhold.Account, error) {
	var (
		a       keyhold.Account
		created sql.NullInt64
	)
	if err := sc.Scan(&a.ID, &a.Name, &created); err != nil {
		return nil, err
	}
	a.CreationDate = decodeTime(created)
	return &a, nil
}

// CreateAccessKey inserts an access key (ErrConflict if the id exists,
// ErrNotFound if it names a user that does not exist). The account is not
// checked: in keyhold dev, accounts exist without a record.
func (s *Store) CreateAccessKey(ctx context.Context, ak *keyhold.AccessKey) error {
	what := fmt.Sprintf("create access key %q", ak.ID)
	created, err := encodeTime(ak.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	lastUsed, err := encodeTime(ak.LastUsedDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: last used date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if ak.UserName != "" {
			if err := entityExists(ctx, tx, ak.Account, keyhold.EntityUser, ak.UserName); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys
			(id, account, principal_arn, sealed_secret, status, creation_date,
			 user_name, user_key, last_used_date, last_used_service, last_used_region)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ak.ID, ak.Account, ak.PrincipalARN, encodeBlob(ak.SealedSecret), ak.Status, created,
			ak.UserName, foldName(ak.UserName), lastUsed, ak.LastUsedService, ak.LastUsedRegion)
		return err
	})
	return mapError(err, what)
}

const accessKeyColumns = `id, account, principal_arn, sealed_secret, status, creation_date,
	user_name, last_used_date, last_used_service, last_used_region`

func scanAccessKey(sc scanner) (*keyhold.AccessKey, error) {
	var (
		ak                keyhold.AccessKey
		created, lastUsed sql.NullInt64
	)
	if err := sc.Scan(&ak.ID, &ak.Account, &ak.PrincipalARN, &ak.SealedSecret, &ak.Status, &created,
		&ak.UserName, &lastUsed, &ak.LastUsedService, &ak.LastUsedRegion); err != nil {
		return nil, err
	}
	ak.CreationDate = decodeTime(created)
	ak.LastUsedDate = decodeTime(lastUsed)
	return &ak, nil
}

// GetAccessKey returns the access key with the given id.
func (s *Store) GetAccessKey(ctx context.Context, id string) (*keyhold.AccessKey, error) {
	ak, err := scanAccessKey(s.reader.QueryRowContext(ctx,
		`SELECT `+accessKeyColumns+` FROM access_keys WHERE id = ?`, id))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get access key %q", id))
	}
	return ak, nil
}

// ListAccessKeys returns the access keys of a user, oldest first.
func (s *Store) ListAccessKeys(ctx context.Context, account, userName string) ([]*keyhold.AccessKey, error) {
	what := fmt.Sprintf("list access keys of user %q in %q", userName, account)
	return queryAll(ctx, s, what, scanAccessKey, `SELECT `+accessKeyColumns+` FROM access_keys
		WHERE account = ? AND user_key = ? ORDER BY creation_date, id`, account, foldName(userName))
}

// UpdateAccessKeyStatus sets an access key's status.
func (s *Store) UpdateAccessKeyStatus(ctx context.Context, id, status string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return mustAffect(tx.ExecContext(ctx, `UPDATE access_keys SET status = ? WHERE id = ?`, status, id))
	})
	return mapError(err, fmt.Sprintf("update access key %q", id))
}

// RecordAccessKeyUse sets an access key's last use.
func (s *Store) RecordAccessKeyUse(ctx context.Context, id string, when time.Time, service, region string) error {
	what := fmt.Sprintf("record use of access key %q", id)
	t, err := encodeTime(when)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		return mustAffect(tx.ExecContext(ctx, `UPDATE access_keys
			SET last_used_date = ?, last_used_service = ?, last_used_region = ? WHERE id = ?`,
			t, service, region, id))
	})
	return mapError(err, what)
}

// DeleteAccessKey removes an access key.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return mustAffect(tx.ExecContext(ctx, `DELETE FROM access_keys WHERE id = ?`, id))
	})
	return mapError(err, fmt.Sprintf("delete access key %q", id))
}
