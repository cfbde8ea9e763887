//go:build !unix

package sqlite

// OpenedBy cannot tell on this platform whether another process has the
// database open; it always reports 0.
func OpenedBy(path string) (int, error) { return 0, nil }
