package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keyhold/keyhold"
)

// TestQueriesUseIndexes: the queries the background workers and /metrics
// run on a timer do not scan the keys table (with a million keys a scan
// costs seconds of CPU; see migration 0008).
func TestQueriesUseIndexes(t *testing.T) {
	s := openTemp(t)
	now, _ := encodeTime(time.Now())
	for _, q := range []struct {
		name, sql string
		args      []any
		want      []string // in the plan
	}{
		{"ListKeysDue", "SELECT arn FROM keys" + keysDueWhere,
			[]any{string(keyhold.KeyStatePendingDeletion), now.Int64, string(keyhold.KeyStateEnabled), now.Int64}, []string{"keys_deletion_due", "keys_rotation_due"}},
		{"KeyStats next rotation", nextRotationSQL, nil, []string{"keys_rotation_due"}},
		{"KeyStats counts", keyCountsSQL, nil, []string{"COVERING INDEX keys_state_spec"}},
	} {
		p := queryPlan(t, s, q.sql, q.args...)
		for _, w := range q.want {
			if !strings.Contains(p, w) {
				t.Errorf("%s: plan %q does not use %s", q.name, p, w)
			}
		}
		t.Logf("%s: %s", q.name, p)
	}
}

// queryPlan returns SQLite's plan for query, its steps joined with "; ".
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.reader.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
