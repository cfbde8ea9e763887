package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keyhold/keyhold"
)

const keyColumns = `arn, id, account, region, description, key_usage, key_spec,
	origin, state, multi_region, policy, creation_date, deletion_date,
	pending_window_in_days, current_material_id, rotation_enabled,
	rotation_period_days, next_rotation_date, on_demand_rotation_start,
	on_demand_rotations`

func scanKey(row scanner) (*keyhold.Key, error) {
	var (
		k                keyhold.Key
		state            string
		multiRegion      int
		created, deleted sql.NullInt64
		pendingWindow    int64
		rotation         int
		nextRot, odStart sql.NullInt64
	)
	if err := row.Scan(&k.ARN, &k.ID, &k.Account, &k.Region, &k.Description,
		&k.KeyUsage, &k.KeySpec, &k.Origin, &state, &multiRegion, &k.Policy,
		&created, &deleted, &pendingWindow, &k.CurrentMaterialID, &rotation,
		&k.RotationPeriodInDays, &nextRot, &odStart, &k.OnDemandRotations); err != nil {
		return nil, err
	}
	k.RotationEnabled = rotation != 0
	k.NextRotationDate = decodeTime(nextRot)
	k.OnDemandRotationStartDate = decodeTime(odStart)
	k.State = keyhold.KeyState(state)
	k.MultiRegion = multiRegion != 0
	k.CreationDate = decodeTime(created)
	k.DeletionDate = decodeTime(deleted)
	k.PendingWindowInDays = int(pendingWindow)
	return &k, nil
}

// CreateKey inserts k, its tags and, unless bk is nil, its first backing
// key, in one transaction: if any insert fails, nothing is stored. bk must
// belong to k (bk.KeyARN == k.ARN). Duplicate tag keys are a conflict.
func (s *Store) CreateKey(ctx context.Context, k *keyhold.Key, tags []keyhold.Tag, bk *keyhold.BackingKey) error {
	what := fmt.Sprintf("create key %q", k.ARN)
	ins, err := newKeyInsert(k, tags, bk)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return mapError(s.write(ctx, func(tx *sql.Tx) error { return ins.exec(ctx, tx) }), what)
}

// keyInsert is a new key with its tags and first backing key, encoded and
// ready to insert in a transaction (CreateKey, CreateCustomKeyStoreKey).
type keyInsert struct {
	k                *keyhold.Key
	tags             []keyhold.Tag
	bk               *keyhold.BackingKey
	created, deleted sql.NullInt64
	rot              rotationColumns
}

func newKeyInsert(k *keyhold.Key, tags []keyhold.Tag, bk *keyhold.BackingKey) (*keyInsert, error) {
	if bk != nil && bk.KeyARN != k.ARN {
		return nil, fmt.Errorf("backing key belongs to key %q", bk.KeyARN)
	}
	ins := &keyInsert{k: k, tags: tags, bk: bk}
	var err error
	if ins.created, err = encodeTime(k.CreationDate); err != nil {
		return nil, fmt.Errorf("creation date: %w", err)
	}
	if ins.deleted, err = encodeTime(k.DeletionDate); err != nil {
		return nil, fmt.Errorf("deletion date: %w", err)
	}
	if ins.rot, err = encodeRotation(k); err != nil {
		return nil, err
	}
	return ins, nil
}

func (ins *keyInsert) exec(ctx context.Context, tx txExecer) error {
	k, rot := ins.k, ins.rot
	if _, err := tx.ExecContext(ctx, `INSERT INTO keys (`+keyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ARN, k.ID, k.Account, k.Region, k.Description, k.KeyUsage,
		k.KeySpec, k.Origin, string(k.State), boolInt(k.MultiRegion),
		k.Policy, ins.created, ins.deleted, k.PendingWindowInDays,
		k.CurrentMaterialID, rot.enabled, k.RotationPeriodInDays, rot.next,
		rot.odStart, k.OnDemandRotations); err != nil {
		return err
	}
	for _, t := range ins.tags {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO tags (key_arn, tag_key, tag_value) VALUES (?, ?, ?)`,
			k.ARN, t.Key, t.Value); err != nil {
			return err
		}
	}
	if ins.bk != nil {
		return insertBackingKey(ctx, tx, ins.bk)
	}
	return nil
}

// GetKey returns the key with the given ARN.
func (s *Store) GetKey(ctx context.Context, arn string) (*keyhold.Key, error) {
	k, err := scanKey(s.reader.QueryRowContext(ctx,
		`SELECT `+keyColumns+` FROM keys WHERE arn = ?`, arn))
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("get key %q", arn))
	}
	return k, nil
}

// ListKeys returns up to limit keys of (account, region) whose ID sorts
// after afterID (all when afterID is ""), in ascending byte order of ID.
// limit must be positive.
func (s *Store) ListKeys(ctx context.Context, account, region, afterID string, limit int) ([]*keyhold.Key, error) {
	what := fmt.Sprintf("list keys of %s/%s", account, region)
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: %s: limit %d is not positive", what, limit)
	}
	return queryAll(ctx, s, what, scanKey, `SELECT `+keyColumns+` FROM keys
		WHERE account = ? AND region = ? AND id > ?
		ORDER BY id LIMIT ?`, account, region, afterID, limit)
}

// UpdateKey replaces the mutable fields of the key k.ARN. ARN, ID, Account,
// Region and CreationDate of the stored key stay as they are, whatever k
// says. Tags and backing keys are not touched.
func (s *Store) UpdateKey(ctx context.Context, k *keyhold.Key) error {
	what := fmt.Sprintf("update key %q", k.ARN)
	deleted, err := encodeTime(k.DeletionDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: deletion date: %w", what, err)
	}
	rot, err := encodeRotation(k)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		return updateKey(ctx, tx, k, deleted, rot)
	})
	return mapError(err, what)
}

// rotationColumns are the encoded rotation fields of a key.
type rotationColumns struct {
	enabled       int
	next, odStart sql.NullInt64
}

func encodeRotation(k *keyhold.Key) (rotationColumns, error) {
	next, err := encodeTime(k.NextRotationDate)
	if err != nil {
		return rotationColumns{}, fmt.Errorf("next rotation date: %w", err)
	}
	od, err := encodeTime(k.OnDemandRotationStartDate)
	if err != nil {
		return rotationColumns{}, fmt.Errorf("on-demand rotation start: %w", err)
	}
	return rotationColumns{enabled: boolInt(k.RotationEnabled), next: next, odStart: od}, nil
}

func updateKey(ctx context.Context, tx *sql.Tx, k *keyhold.Key, deleted sql.NullInt64, rot rotationColumns) error {
	{
		if err := mustAffect(tx.ExecContext(ctx, `UPDATE keys SET
			description = ?, key_usage = ?, key_spec = ?, origin = ?,
			state = ?, multi_region = ?, policy = ?, deletion_date = ?,
			pending_window_in_days = ?, current_material_id = ?,
			rotation_enabled = ?, rotation_period_days = ?,
			next_rotation_date = ?, on_demand_rotation_start = ?,
			on_demand_rotations = ?
			WHERE arn = ?`,
			k.Description, k.KeyUsage, k.KeySpec, k.Origin, string(k.State),
			boolInt(k.MultiRegion), k.Policy, deleted, k.PendingWindowInDays,
			k.CurrentMaterialID, rot.enabled, k.RotationPeriodInDays, rot.next,
			rot.odStart, k.OnDemandRotations, k.ARN)); err != nil {
			return err
		}
		return nil
	}
}

// ListTags returns the key's tags sorted by tag key (byte order), or
// ErrNotFound if the key does not exist.
func (s *Store) ListTags(ctx context.Context, keyARN string) ([]keyhold.Tag, error) {
	what := fmt.Sprintf("list tags of key %q", keyARN)
	// The LEFT JOIN yields one all-NULL tag row for a key without tags and
	// no row at all for a missing key: one query tells the two apart.
	rows, err := s.reader.QueryContext(ctx, `SELECT t.tag_key, t.tag_value
		FROM keys k LEFT JOIN tags t ON t.key_arn = k.arn
		WHERE k.arn = ? ORDER BY t.tag_key`, keyARN)
	if err != nil {
		return nil, mapError(err, what)
	}
	defer rows.Close()
	var (
		tags  = []keyhold.Tag{}
		found bool
	)
	for rows.Next() {
		found = true
		var key, value sql.NullString
		if err := rows.Scan(&key, &value); err != nil {
			return nil, mapError(err, what)
		}
		if key.Valid {
			tags = append(tags, keyhold.Tag{Key: key.String, Value: value.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, what)
	}
	if !found {
		return nil, mapError(sql.ErrNoRows, what)
	}
	return tags, nil
}
