package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keyhold/keyhold"
)

// Imported key material (keyhold.ImportStore): the import_parameters and
// key_materials tables of migration 0004.

// CreateImportParameters stores one GetParametersForImport answer.
func (s *Store) CreateImportParameters(ctx context.Context, p *keyhold.ImportParameters) error {
	what := fmt.Sprintf("create import parameters %q of key %q", p.TokenID, p.KeyARN)
	created, err := encodeTime(p.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	validTo, err := encodeTime(p.ValidTo)
	if err != nil {
		return fmt.Errorf("sqlite: %s: valid to: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := keyExists(ctx, tx, p.KeyARN); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO import_parameters
			(key_arn, token_id, domain_key_id, sealed_wrapping_key, creation_date, valid_to)
			VALUES (?, ?, ?, ?, ?, ?)`,
			p.KeyARN, p.TokenID, p.DomainKeyID, encodeBlob(p.SealedWrappingKey), created, validTo)
		return err
	})
	return mapError(err, what)
}

// GetImportParameters returns the parameters of one import token.
func (s *Store) GetImportParameters(ctx context.Context, keyARN, tokenID string) (*keyhold.ImportParameters, error) {
	var (
		p                keyhold.ImportParameters
		created, validTo sql.NullInt64
	)
	err := s.reader.QueryRowContext(ctx, `SELECT key_arn, token_id, domain_key_id,
		sealed_wrapping_key, creation_date, valid_to FROM import_parameters
		WHERE key_arn = ? AND token_id = ?`, keyARN, tokenID).Scan(
		&p.KeyARN, &p.TokenID, &p.DomainKeyID, &p.SealedWrappingKey, &created, &validTo)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get import parameters %q of key %q", tokenID, keyARN))
	}
	p.CreationDate = decodeTime(created)
	p.ValidTo = decodeTime(validTo)
	return &p, nil
}

// DeleteExpiredImportParameters removes parameters whose ValidTo has
// passed.
func (s *Store) DeleteExpiredImportParameters(ctx context.Context, now time.Time) (int, error) {
	const what = "delete expired import parameters"
	t, err := encodeTime(now)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	var n int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM import_parameters
			WHERE valid_to IS NOT NULL AND valid_to <= ?`, t.Int64)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), mapError(err, what)
}

const keyMaterialColumns = `m.key_arn, m.material_id, m.description, m.import_state,
	m.expiration_model, m.valid_to, m.pending_rotation, m.import_date`

func scanKeyMaterial(row scanner) (*keyhold.KeyMaterial, error) {
	var (
		m                   keyhold.KeyMaterial
		validTo, importDate sql.NullInt64
		pending             int
	)
	if err := row.Scan(&m.KeyARN, &m.MaterialID, &m.Description, &m.ImportState,
		&m.ExpirationModel, &validTo, &pending, &importDate); err != nil {
		return nil, err
	}
	m.ValidTo = decodeTime(validTo)
	m.ImportDate = decodeTime(importDate)
	m.PendingRotation = pending != 0
	return &m, nil
}

// ListKeyMaterials returns the key's import records in backing key order.
func (s *Store) ListKeyMaterials(ctx context.Context, keyARN string) ([]*keyhold.KeyMaterial, error) {
	what := fmt.Sprintf("list key materials of key %q", keyARN)
	if err := keyExists(ctx, s.reader, keyARN); err != nil {
		return nil, mapError(err, what)
	}
	return queryAll(ctx, s, what, scanKeyMaterial, `SELECT `+keyMaterialColumns+`
		FROM key_materials m JOIN backing_keys b
		  ON b.key_arn = m.key_arn AND b.material_id = m.material_id
		WHERE m.key_arn = ? ORDER BY b.creation_date, b.rowid`, keyARN)
}

// ListExpiredKeyMaterials returns imported materials whose ValidTo has
// passed.
func (s *Store) ListExpiredKeyMaterials(ctx context.Context, now time.Time) ([]*keyhold.KeyMaterial, error) {
	const what = "list expired key materials"
	t, err := encodeTime(now)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return queryAll(ctx, s, what, scanKeyMaterial, `SELECT `+keyMaterialColumns+`
		FROM key_materials m
		WHERE m.import_state = ? AND m.expiration_model = ?
		  AND m.valid_to IS NOT NULL AND m.valid_to <= ?
		ORDER BY m.valid_to, m.key_arn, m.material_id`,
		keyhold.ImportStateImported, keyhold.ExpirationModelExpires, t.Int64)
}

// KeyMaterialExpiryStats finds the soonest expiry of imported material and
// counts those expiring at or before by, on the key_materials_expiry index.
func (s *Store) KeyMaterialExpiryStats(ctx context.Context, by time.Time) (time.Time, int, error) {
	const what = "key material expiry stats"
	t, err := encodeTime(by)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	var (
		soonest sql.NullInt64
		n       int
	)
	// The conditions are literals, as in the partial index's WHERE, so
	// that the planner can use it.
	err = s.reader.QueryRowContext(ctx, `SELECT MIN(valid_to), COUNT(CASE WHEN valid_to <= ? THEN 1 END)
		FROM key_materials
		WHERE import_state = '`+keyhold.ImportStateImported+`'
		  AND expiration_model = '`+keyhold.ExpirationModelExpires+`'
		  AND valid_to IS NOT NULL`, t).Scan(&soonest, &n)
	if err != nil {
		return time.Time{}, 0, mapError(err, what)
	}
	return decodeTime(soonest), n, nil
}

// keyUpdate encodes k for updateKey.
func keyUpdate(ctx context.Context, tx *sql.Tx, k *keyhold.Key) error {
	deleted, err := encodeTime(k.DeletionDate)
	if err != nil {
		return fmt.Errorf("deletion date: %w", err)
	}
	rot, err := encodeRotation(k)
	if err != nil {
		return err
	}
	return updateKey(ctx, tx, k, deleted, rot)
}

// ImportKeyMaterial stores one import: it consumes the token, stores the
// backing key and the record, and updates the key.
func (s *Store) ImportKeyMaterial(ctx context.Context, k *keyhold.Key, tokenID string, bk *keyhold.BackingKey, m *keyhold.KeyMaterial) error {
	what := fmt.Sprintf("import key material %q into key %q", bk.MaterialID, k.ARN)
	if bk.KeyARN != k.ARN || m.KeyARN != k.ARN || m.MaterialID != bk.MaterialID {
		return fmt.Errorf("sqlite: %s: the backing key and the record must belong to the key and to each other", what)
	}
	validTo, err := encodeTime(m.ValidTo)
	if err != nil {
		return fmt.Errorf("sqlite: %s: valid to: %w", what, err)
	}
	imported, err := encodeTime(m.ImportDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: import date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := mustAffect(tx.ExecContext(ctx, `DELETE FROM import_parameters
			WHERE key_arn = ? AND token_id = ?`, k.ARN, tokenID)); err != nil {
			return fmt.Errorf("import parameters %q: %w", tokenID, err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE backing_keys SET ekt = ?, domain_key_id = ?
			WHERE key_arn = ? AND material_id = ?`,
			encodeBlob(bk.EKT), bk.DomainKeyID, bk.KeyARN, bk.MaterialID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if err := insertBackingKey(ctx, tx, bk); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO key_materials
			(key_arn, material_id, description, import_state, expiration_model,
			 valid_to, pending_rotation, import_date)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key_arn, material_id) DO UPDATE SET
			  description = excluded.description,
			  import_state = excluded.import_state,
			  expiration_model = excluded.expiration_model,
			  valid_to = excluded.valid_to,
			  pending_rotation = excluded.pending_rotation,
			  import_date = excluded.import_date`,
			m.KeyARN, m.MaterialID, m.Description, m.ImportState, m.ExpirationModel,
			validTo, boolInt(m.PendingRotation), imported); err != nil {
			return err
		}
		return keyUpdate(ctx, tx, k)
	})
	return mapError(err, what)
}

// EraseKeyMaterial empties the EKT of imported material and marks it
// pending import.
func (s *Store) EraseKeyMaterial(ctx context.Context, k *keyhold.Key, materialID string) error {
	what := fmt.Sprintf("erase key material %q of key %q", materialID, k.ARN)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := mustAffect(tx.ExecContext(ctx, `UPDATE key_materials SET import_state = ?,
			expiration_model = '', valid_to = NULL
			WHERE key_arn = ? AND material_id = ?`,
			keyhold.ImportStatePendingImport, k.ARN, materialID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE backing_keys SET ekt = x''
			WHERE key_arn = ? AND material_id = ?`, k.ARN, materialID); err != nil {
			return err
		}
		return keyUpdate(ctx, tx, k)
	})
	return mapError(err, what)
}

// ForgetKeyMaterial removes material pending rotation altogether.
func (s *Store) ForgetKeyMaterial(ctx context.Context, k *keyhold.Key, materialID string) error {
	what := fmt.Sprintf("forget key material %q of key %q", materialID, k.ARN)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := mustAffect(tx.ExecContext(ctx, `DELETE FROM key_materials
			WHERE key_arn = ? AND material_id = ?`, k.ARN, materialID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM backing_keys
			WHERE key_arn = ? AND material_id = ?`, k.ARN, materialID); err != nil {
			return err
		}
		return keyUpdate(ctx, tx, k)
	})
	return mapError(err, what)
}

// RotateToKeyMaterial makes pending material current.
func (s *Store) RotateToKeyMaterial(ctx context.Context, k *keyhold.Key, materialID, rotationType string, date time.Time) error {
	what := fmt.Sprintf("rotate key %q to key material %q", k.ARN, materialID)
	if k.CurrentMaterialID != materialID {
		return fmt.Errorf("sqlite: %s: the material must be the key's current material", what)
	}
	d, err := encodeTime(date)
	if err != nil {
		return fmt.Errorf("sqlite: %s: rotation date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := mustAffect(tx.ExecContext(ctx, `UPDATE key_materials SET pending_rotation = 0
			WHERE key_arn = ? AND material_id = ?`, k.ARN, materialID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE backing_keys SET rotation_type = ?, creation_date = ?
			WHERE key_arn = ? AND material_id = ?`, rotationType, d, k.ARN, materialID); err != nil {
			return err
		}
		return keyUpdate(ctx, tx, k)
	})
	return mapError(err, what)
}
