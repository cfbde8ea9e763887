package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keyhold/keyhold"
)

// CreateSession inserts temporary credentials.
func (s *Store) CreateSession(ctx context.Context, ss *keyhold.Session) error {
	what := fmt.Sprintf("create session %q", ss.AccessKeyID)
	created, err := encodeTime(ss.CreationDate)
	if err != nil {
		return fmt.Errorf("sqlite: %s: creation date: %w", what, err)
	}
	expires, err := encodeTime(ss.Expiration)
	if err != nil {
		return fmt.Errorf("sqlite: %s: expiration: %w", what, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions
			(access_key_id, account, sealed_secret, token_hash, role_arn, role_id, role_name,
			 session_name, source_identity, source_arn, tags, transitive_tag_keys, policy,
			 policy_arns, creation_date, expiration)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ss.AccessKeyID, ss.Account, encodeBlob(ss.SealedSecret), encodeBlob(ss.TokenHash),
			ss.RoleARN, ss.RoleID, ss.RoleName, ss.SessionName, ss.SourceIdentity, ss.SourceARN,
			encodeTags(ss.Tags), encodeStrings(ss.TransitiveTagKeys), ss.Policy,
			encodeStrings(ss.PolicyARNs), created, expires)
		return err
	})
	return mapError(err, what)
}

// GetSession returns temporary credentials by access key id.
func (s *Store) GetSession(ctx context.Context, accessKeyID string) (*keyhold.Session, error) {
	what := fmt.Sprintf("get session %q", accessKeyID)
	var (
		ss                           keyhold.Session
		tags, transitive, policyARNs string
		created, expires             sql.NullInt64
	)
	err := s.reader.QueryRowContext(ctx, `SELECT access_key_id, account, sealed_secret, token_hash,
		role_arn, role_id, role_name, session_name, source_identity, source_arn, tags,
		transitive_tag_keys, policy, policy_arns, creation_date, expiration
		FROM sessions WHERE access_key_id = ?`, accessKeyID).Scan(
		&ss.AccessKeyID, &ss.Account, &ss.SealedSecret, &ss.TokenHash, &ss.RoleARN, &ss.RoleID,
		&ss.RoleName, &ss.SessionName, &ss.SourceIdentity, &ss.SourceARN, &tags, &transitive,
		&ss.Policy, &policyARNs, &created, &expires)
	if err != nil {
		return nil, mapError(err, what)
	}
	ss.CreationDate = decodeTime(created)
	ss.Expiration = decodeTime(expires)
	if ss.Tags, err = decodeTags(tags); err != nil {
		return nil, mapError(err, what)
	}
	if ss.TransitiveTagKeys, err = decodeStrings(transitive); err != nil {
		return nil, mapError(err, what)
	}
	if ss.PolicyARNs, err = decodeStrings(policyARNs); err != nil {
		return nil, mapError(err, what)
	}
	return &ss, nil
}

// DeleteExpiredSessions removes the sessions that expired before t.
func (s *Store) DeleteExpiredSessions(ctx context.Context, t time.Time) (int, error) {
	const what = "delete expired sessions"
	before, err := encodeTime(t)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	var n int64
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expiration < ?`, before)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), mapError(err, what)
}
