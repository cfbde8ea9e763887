package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/keyhold/keyhold"
)

// foldName folds ASCII letters to lower case, the way IAM compares user,
// role and policy names (and the way SQLite's lower() folds, which the
// 0003 migration uses). Other bytes are kept as they are.
func foldName(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

type jsonTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// encodeTags encodes tags as a JSON array, in the order given. The
// encoding is deterministic, so the compare-and-swap of UpdateUserTags can
// compare encodings.
func encodeTags(tags []keyhold.Tag) string {
	js := make([]jsonTag, len(tags))
	for i, t := range tags {
		js[i] = jsonTag(t)
	}
	b, _ := json.Marshal(js) // a slice of string pairs always encodes
	return string(b)
}

func decodeTags(s string) ([]keyhold.Tag, error) {
	var js []jsonTag
	if err := json.Unmarshal([]byte(s), &js); err != nil {
		return nil, fmt.Errorf("decoding tags: %w", err)
	}
	if len(js) == 0 {
		return nil, nil
	}
	tags := make([]keyhold.Tag, len(js))
	for i, t := range js {
		tags[i] = keyhold.Tag(t)
	}
	return tags, nil
}

func encodeStrings(ss []string) string {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss)
	return string(b)
}

func decodeStrings(s string) ([]string, error) {
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("decoding list: %w", err)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	return ss, nil
}

// entityTable returns the table of an entity type.
func entityTable(entityType string) (string, error) {
	switch entityType {
	case keyhold.EntityUser:
		return "users", nil
	case keyhold.EntityRole:
		return "roles", nil
	}
	return "", fmt.Errorf("unknown entity type %q", entityType)
}

// entityExists returns nil if the user or role exists in account, and
// keyhold.ErrNotFound if it does not.
func entityExists(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, account, entityType, name string) error {
	_, err := entityName(ctx, q, account, entityType, name)
	return err
}

// entityName returns the stored name (with its case) of a user or role.
func entityName(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, account, entityType, name string) (string, error) {
	table, err := entityTable(entityType)
	if err != nil {
		return "", err
	}
	var stored string
	err = q.QueryRowContext(ctx, `SELECT name FROM `+table+` WHERE account = ? AND name_key = ?`,
		account, foldName(name)).Scan(&stored)
	if err == sql.ErrNoRows {
		return "", fmt.Errorf("%s %q: %w", entityType, name, keyhold.ErrNotFound)
	}
	return stored, err
}

// countRows returns the number of rows query finds.
func countRows(ctx context.Context, tx *sql.Tx, query string, args ...any) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// prefixMatch is the SQL condition "column starts with ?" without LIKE,
// whose wildcards a path may contain. It takes the prefix twice.
func prefixMatch(column string) string {
	return `substr(` + column + `, 1, length(?)) = ?`
}
