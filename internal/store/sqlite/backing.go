package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyhold/keyhold"
)

// insertBackingKey inserts bk inside tx. It checks the key and the domain
// key first so the error says which one is missing; the foreign keys would
// refuse the row anyway.
func insertBackingKey(ctx context.Context, tx txExecer, bk *keyhold.BackingKey) error {
	created, err := encodeTime(bk.CreationDate)
	if err != nil {
		return fmt.Errorf("creation date: %w", err)
	}
	if err := keyExists(ctx, tx, bk.KeyARN); err != nil {
		return err
	}
	var exists bool
	if err := tx.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM domain_keys WHERE id = ?)`, bk.DomainKeyID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("domain key %q: %w", bk.DomainKeyID, keyhold.ErrNotFound)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO backing_keys
		(key_arn, material_id, domain_key_id, ekt, creation_date, rotation_type)
		VALUES (?, ?, ?, ?, ?, ?)`,
		bk.KeyARN, bk.MaterialID, bk.DomainKeyID, encodeBlob(bk.EKT), created, bk.RotationType)
	return err
}

const backingKeyColumns = `key_arn, material_id, domain_key_id, ekt, creation_date, rotation_type`

func scanBackingKey(row scanner) (*keyhold.BackingKey, error) {
	var (
		bk      keyhold.BackingKey
		created sql.NullInt64
	)
	if err := row.Scan(&bk.KeyARN, &bk.MaterialID, &bk.DomainKeyID, &bk.EKT, &created, &bk.RotationType); err != nil {
		return nil, err
	}
	bk.CreationDate = decodeTime(created)
	return &bk, nil
}

// AddBackingKey stores another backing key of the existing key bk.KeyARN
// (ErrNotFound if the key or the domain key bk.DomainKeyID is not stored,
// ErrConflict if the key already has this material id). It does not change
// the key's CurrentMaterialID; UpdateKey does.
func (s *Store) AddBackingKey(ctx context.Context, bk *keyhold.BackingKey) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		return insertBackingKey(ctx, tx, bk)
	})
	return mapError(err, fmt.Sprintf("add backing key %q of key %q", bk.MaterialID, bk.KeyARN))
}

// GetBackingKey returns the backing key materialID of the key keyARN.
func (s *Store) GetBackingKey(ctx context.Context, keyARN, materialID string) (*keyhold.BackingKey, error) {
	bk, err := scanBackingKey(s.reader.QueryRowContext(ctx, `SELECT `+backingKeyColumns+`
		FROM backing_keys WHERE key_arn = ? AND material_id = ?`, keyARN, materialID))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get backing key %q of key %q", materialID, keyARN))
	}
	return bk, nil
}

// ListBackingKeys returns the backing keys of the key keyARN, oldest
// CreationDate first, equal dates in the order they were stored. A key
// without backing keys gives an empty list; a missing key ErrNotFound.
func (s *Store) ListBackingKeys(ctx context.Context, keyARN string) ([]*keyhold.BackingKey, error) {
	what := fmt.Sprintf("list backing keys of key %q", keyARN)
	// As in ListTags, the LEFT JOIN tells a key without backing keys (one
	// all-NULL row) from a missing key (no row).
	rows, err := s.reader.QueryContext(ctx, `SELECT b.key_arn, b.material_id,
		b.domain_key_id, b.ekt, b.creation_date, b.rotation_type
		FROM keys k LEFT JOIN backing_keys b ON b.key_arn = k.arn
		WHERE k.arn = ? ORDER BY b.creation_date, b.rowid`, keyARN)
	if err != nil {
		return nil, mapError(err, what)
	}
	defer rows.Close()
	var (
		bks   = []*keyhold.BackingKey{}
		found bool
	)
	for rows.Next() {
		found = true
		var (
			arn, materialID, domainKeyID sql.NullString
			ekt                          []byte
			created                      sql.NullInt64
			rotationType                 sql.NullString
		)
		if err := rows.Scan(&arn, &materialID, &domainKeyID, &ekt, &created, &rotationType); err != nil {
			return nil, mapError(err, what)
		}
		if !arn.Valid {
			continue
		}
		bks = append(bks, &keyhold.BackingKey{
			KeyARN:       arn.String,
			MaterialID:   materialID.String,
			DomainKeyID:  domainKeyID.String,
			EKT:          ekt,
			CreationDate: decodeTime(created),
			RotationType: rotationType.String,
		})
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, what)
	}
	if !found {
		return nil, mapError(sql.ErrNoRows, what)
	}
	return bks, nil
}

// CreateDomainKey stores a wrapped domain key (ErrConflict if its ID is
// taken).
func (s *Store) CreateDomainKey(ctx context.Context, dk *keyhold.DomainKey) error {
	what := fmt.Sprintf("create domain key %q", dk.ID)
	created, err := encodeTime(dk.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO domain_keys
			(id, region, wrapped, creation_date) VALUES (?, ?, ?, ?)`,
			dk.ID, dk.Region, encodeBlob(dk.Wrapped), created)
		return err
	})
	return mapError(err, what)
}

// ListDomainKeys returns every domain key of every region, oldest
// CreationDate first, equal dates in the order they were stored.
func (s *Store) ListDomainKeys(ctx context.Context) ([]*keyhold.DomainKey, error) {
	const what = "list domain keys"
	rows, err := s.reader.QueryContext(ctx, `SELECT id, region, wrapped, creation_date
		FROM domain_keys ORDER BY creation_date, rowid`)
	if err != nil {
		return nil, mapError(err, what)
	}
	defer rows.Close()
	dks := []*keyhold.DomainKey{}
	for rows.Next() {
		var (
			dk      keyhold.DomainKey
			created sql.NullInt64
		)
		if err := rows.Scan(&dk.ID, &dk.Region, &dk.Wrapped, &created); err != nil {
			return nil, mapError(err, what)
		}
		dk.CreationDate = decodeTime(created)
		dks = append(dks, &dk)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, what)
	}
	return dks, nil
}
