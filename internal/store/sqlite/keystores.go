package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyhold/keyhold"
)

const customKeyStoreColumns = `id, account, region, name, type, connection_state,
	connection_error_code, creation_date, xks_connectivity, xks_uri_endpoint,
	xks_uri_path, xks_vpc_service_name, xks_vpc_service_owner,
	xks_access_key_id, xks_sealed_secret`

func scanCustomKeyStore(row scanner) (*keyhold.CustomKeyStore, error) {
	var (
		c       keyhold.CustomKeyStore
		created sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.Account, &c.Region, &c.Name, &c.Type, &c.ConnectionState,
		&c.ConnectionErrorCode, &created, &c.XKSProxyConnectivity, &c.XKSProxyURIEndpoint,
		&c.XKSProxyURIPath, &c.XKSProxyVPCEndpointServiceName, &c.XKSProxyVPCEndpointServiceOwner,
		&c.XKSProxyAccessKeyID, &c.XKSProxySealedSecret); err != nil {
		return nil, err
	}
	c.CreationDate = decodeTime(created)
	return &c, nil
}

// CreateCustomKeyStore inserts cks (ErrConflict for a duplicate id, or a
// name or proxy URI already used in the account and region).
func (s *Store) CreateCustomKeyStore(ctx context.Context, cks *keyhold.CustomKeyStore) error {
	what := fmt.Sprintf("create custom key store %q", cks.ID)
	created, err := encodeTime(cks.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO custom_key_stores (`+customKeyStoreColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			cks.ID, cks.Account, cks.Region, cks.Name, cks.Type, cks.ConnectionState,
			cks.ConnectionErrorCode, created, cks.XKSProxyConnectivity, cks.XKSProxyURIEndpoint,
			cks.XKSProxyURIPath, cks.XKSProxyVPCEndpointServiceName, cks.XKSProxyVPCEndpointServiceOwner,
			cks.XKSProxyAccessKeyID, encodeBlob(cks.XKSProxySealedSecret))
		return err
	})
	return mapError(err, what)
}

// GetCustomKeyStore returns the custom key store id of (account, region).
func (s *Store) GetCustomKeyStore(ctx context.Context, account, region, id string) (*keyhold.CustomKeyStore, error) {
	c, err := scanCustomKeyStore(s.reader.QueryRowContext(ctx, `SELECT `+customKeyStoreColumns+`
		FROM custom_key_stores WHERE account = ? AND region = ? AND id = ?`, account, region, id))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get custom key store %q", id))
	}
	return c, nil
}

// ListCustomKeyStores returns up to limit custom key stores of (account,
// region) whose id sorts after afterID, in ascending byte order of id.
func (s *Store) ListCustomKeyStores(ctx context.Context, account, region, afterID string, limit int) ([]*keyhold.CustomKeyStore, error) {
	what := fmt.Sprintf("list custom key stores of %s/%s", account, region)
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: %s: limit %d is not positive", what, limit)
	}
	return queryAll(ctx, s, what, scanCustomKeyStore, `SELECT `+customKeyStoreColumns+` FROM custom_key_stores
		WHERE account = ? AND region = ? AND id > ? ORDER BY id LIMIT ?`, account, region, afterID, limit)
}

// UpdateCustomKeyStore replaces the mutable fields of cks and applies keys
// to the store's KMS keys, in one transaction.
func (s *Store) UpdateCustomKeyStore(ctx context.Context, cks *keyhold.CustomKeyStore, keys keyhold.KeyAvailability) error {
	what := fmt.Sprintf("update custom key store %q", cks.ID)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := mustAffect(tx.ExecContext(ctx, `UPDATE custom_key_stores SET
			name = ?, connection_state = ?, connection_error_code = ?,
			xks_connectivity = ?, xks_uri_endpoint = ?, xks_uri_path = ?,
			xks_vpc_service_name = ?, xks_vpc_service_owner = ?,
			xks_access_key_id = ?, xks_sealed_secret = ?
			WHERE account = ? AND region = ? AND id = ?`,
			cks.Name, cks.ConnectionState, cks.ConnectionErrorCode,
			cks.XKSProxyConnectivity, cks.XKSProxyURIEndpoint, cks.XKSProxyURIPath,
			cks.XKSProxyVPCEndpointServiceName, cks.XKSProxyVPCEndpointServiceOwner,
			cks.XKSProxyAccessKeyID, encodeBlob(cks.XKSProxySealedSecret),
			cks.Account, cks.Region, cks.ID)); err != nil {
			return err
		}
		return setKeyAvailability(ctx, tx, cks.ID, keys)
	})
	return mapError(err, what)
}

// setKeyAvailability moves the KMS keys of a store to or from Unavailable.
// A disconnect remembers each key's state in available_state; a connect
// restores it. Keys pending deletion are never touched: AWS keeps them
// PendingDeletion so their deletion can still be cancelled.
func setKeyAvailability(ctx context.Context, tx *sql.Tx, id string, keys keyhold.KeyAvailability) error {
	switch keys {
	case keyhold.KeysUnchanged:
		return nil
	case keyhold.KeysUnavailable:
		if _, err := tx.ExecContext(ctx, `UPDATE custom_key_store_keys SET available_state =
			(SELECT k.state FROM keys k WHERE k.arn = custom_key_store_keys.key_arn)
			WHERE custom_key_store_id = ? AND key_arn IN
			(SELECT arn FROM keys WHERE state IN (?, ?))`,
			id, string(keyhold.KeyStateEnabled), string(keyhold.KeyStateDisabled)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE keys SET state = ? WHERE state IN (?, ?) AND arn IN
			(SELECT key_arn FROM custom_key_store_keys WHERE custom_key_store_id = ?)`,
			string(keyhold.KeyStateUnavailable), string(keyhold.KeyStateEnabled), string(keyhold.KeyStateDisabled), id)
		return err
	case keyhold.KeysAvailable:
		if _, err := tx.ExecContext(ctx, `UPDATE keys SET state =
			(SELECT CASE l.available_state WHEN '' THEN ? ELSE l.available_state END
			 FROM custom_key_store_keys l WHERE l.key_arn = keys.arn)
			WHERE state = ? AND arn IN
			(SELECT key_arn FROM custom_key_store_keys WHERE custom_key_store_id = ?)`,
			string(keyhold.KeyStateEnabled), string(keyhold.KeyStateUnavailable), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE custom_key_store_keys SET available_state = ''
			WHERE custom_key_store_id = ?`, id)
		return err
	}
	return fmt.Errorf("unknown key availability %d", keys)
}

// DeleteCustomKeyStore removes a custom key store that holds no KMS key
// (ErrConflict if it holds any, ErrNotFound if it does not exist).
func (s *Store) DeleteCustomKeyStore(ctx context.Context, account, region, id string) error {
	what := fmt.Sprintf("delete custom key store %q", id)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM custom_key_store_keys l
			JOIN custom_key_stores c ON c.id = l.custom_key_store_id
			WHERE c.account = ? AND c.region = ? AND c.id = ?`, account, region, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d KMS keys in the store: %w", n, keyhold.ErrConflict)
		}
		if err := mustAffect(tx.ExecContext(ctx, `DELETE FROM custom_key_stores WHERE account = ? AND region = ? AND id = ?`,
			account, region, id)); err != nil {
			return err
		}
		return nil
	})
	return mapError(err, what)
}

// CreateCustomKeyStoreKey inserts k (with its tags and first backing key)
// and its link to a custom key store in one transaction.
func (s *Store) CreateCustomKeyStoreKey(ctx context.Context, k *keyhold.Key, tags []keyhold.Tag, bk *keyhold.BackingKey, link *keyhold.CustomKeyStoreKey) error {
	what := fmt.Sprintf("create key %q in custom key store %q", k.ARN, link.CustomKeyStoreID)
	if link.KeyARN != k.ARN {
		return fmt.Errorf("sqlite: %s: link belongs to another key", what)
	}
	ins, err := newKeyInsert(k, tags, bk)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM custom_key_stores
			WHERE id = ? AND account = ? AND region = ?)`, link.CustomKeyStoreID, k.Account, k.Region).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("custom key store %q: %w", link.CustomKeyStoreID, keyhold.ErrNotFound)
		}
		if err := ins.exec(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO custom_key_store_keys
			(key_arn, custom_key_store_id, xks_key_id) VALUES (?, ?, ?)`,
			link.KeyARN, link.CustomKeyStoreID, link.XKSKeyID)
		return err
	})
	return mapError(err, what)
}

// GetCustomKeyStoreKey returns the link of the KMS key keyARN.
func (s *Store) GetCustomKeyStoreKey(ctx context.Context, keyARN string) (*keyhold.CustomKeyStoreKey, error) {
	var l keyhold.CustomKeyStoreKey
	err := s.reader.QueryRowContext(ctx, `SELECT key_arn, custom_key_store_id, xks_key_id
		FROM custom_key_store_keys WHERE key_arn = ?`, keyARN).Scan(&l.KeyARN, &l.CustomKeyStoreID, &l.XKSKeyID)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get custom key store link of key %q", keyARN))
	}
	return &l, nil
}

// GetCustomKeyStoreKeyByXKSKeyID returns the link that uses xksKeyID in
// the store customKeyStoreID.
func (s *Store) GetCustomKeyStoreKeyByXKSKeyID(ctx context.Context, customKeyStoreID, xksKeyID string) (*keyhold.CustomKeyStoreKey, error) {
	var l keyhold.CustomKeyStoreKey
	err := s.reader.QueryRowContext(ctx, `SELECT key_arn, custom_key_store_id, xks_key_id
		FROM custom_key_store_keys WHERE custom_key_store_id = ? AND xks_key_id = ?`,
		customKeyStoreID, xksKeyID).Scan(&l.KeyARN, &l.CustomKeyStoreID, &l.XKSKeyID)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get key of external key %q in custom key store %q", xksKeyID, customKeyStoreID))
	}
	return &l, nil
}

const xksKeyColumns = `key_store, id, allow_encrypt, allow_decrypt, enabled,
	creation_date, key_arn, material_id, domain_key_id, ekt`

func scanXKSKey(row scanner) (*keyhold.XKSKey, error) {
	var (
		k                 keyhold.XKSKey
		bk                keyhold.BackingKey
		enc, dec, enabled int
		created           sql.NullInt64
	)
	if err := row.Scan(&k.KeyStore, &k.ID, &enc, &dec, &enabled, &created,
		&bk.KeyARN, &bk.MaterialID, &bk.DomainKeyID, &bk.EKT); err != nil {
		return nil, err
	}
	k.AllowEncrypt, k.AllowDecrypt, k.Enabled = enc != 0, dec != 0, enabled != 0
	k.CreationDate = decodeTime(created)
	bk.CreationDate = k.CreationDate
	k.BackingKey = &bk
	return &k, nil
}

// CreateXKSKey inserts an XKS key (ErrConflict if the key store already has
// the id, ErrNotFound if the backing key's domain key is not stored).
func (s *Store) CreateXKSKey(ctx context.Context, k *keyhold.XKSKey) error {
	what := fmt.Sprintf("create XKS key %q in key store %q", k.ID, k.KeyStore)
	if k.BackingKey == nil {
		return fmt.Errorf("sqlite: %s: no backing key", what)
	}
	created, err := encodeTime(k.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	bk := k.BackingKey
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO xks_keys (`+xksKeyColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.KeyStore, k.ID, boolInt(k.AllowEncrypt), boolInt(k.AllowDecrypt), boolInt(k.Enabled),
			created, bk.KeyARN, bk.MaterialID, bk.DomainKeyID, encodeBlob(bk.EKT))
		return err
	})
	return mapError(err, what)
}

// GetXKSKey returns the XKS key id of keyStore.
func (s *Store) GetXKSKey(ctx context.Context, keyStore, id string) (*keyhold.XKSKey, error) {
	k, err := scanXKSKey(s.reader.QueryRowContext(ctx, `SELECT `+xksKeyColumns+`
		FROM xks_keys WHERE key_store = ? AND id = ?`, keyStore, id))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get XKS key %q in key store %q", id, keyStore))
	}
	return k, nil
}

// ListXKSKeys returns the XKS keys of keyStore (all when it is ""), sorted
// by key store and id.
func (s *Store) ListXKSKeys(ctx context.Context, keyStore string) ([]*keyhold.XKSKey, error) {
	what := fmt.Sprintf("list XKS keys of key store %q", keyStore)
	return queryAll(ctx, s, what, scanXKSKey, `SELECT `+xksKeyColumns+` FROM xks_keys
		WHERE ? = '' OR key_store = ? ORDER BY key_store, id`, keyStore, keyStore)
}

// UpdateXKSKey replaces the operations and status of an XKS key.
func (s *Store) UpdateXKSKey(ctx context.Context, k *keyhold.XKSKey) error {
	what := fmt.Sprintf("update XKS key %q in key store %q", k.ID, k.KeyStore)
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := mustAffect(tx.ExecContext(ctx, `UPDATE xks_keys SET allow_encrypt = ?, allow_decrypt = ?, enabled = ?
			WHERE key_store = ? AND id = ?`,
			boolInt(k.AllowEncrypt), boolInt(k.AllowDecrypt), boolInt(k.Enabled), k.KeyStore, k.ID)); err != nil {
			return err
		}
		return nil
	})
	return mapError(err, what)
}
