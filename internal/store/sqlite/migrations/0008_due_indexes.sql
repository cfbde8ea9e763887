-- 0008_due_indexes: the background workers (deletion, rotation) and the
-- /metrics key gauges find what they need without reading every key: with
-- a million keys, ListKeysDue scanned the table for about 5 s of CPU every
-- 10 s, and the gauges took 1-2 s a scrape. Partial indexes hold only the
-- few keys pending deletion or with rotation on.

CREATE INDEX keys_deletion_due ON keys (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE INDEX keys_rotation_due ON keys (next_rotation_date) WHERE rotation_enabled = 1 AND next_rotation_date IS NOT NULL;
-- Keys by state and key spec: an index-only count.
CREATE INDEX keys_state_spec ON keys (state, key_spec);
