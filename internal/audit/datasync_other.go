//go:build !linux

package audit

import "os"

// defaultPreallocate: elsewhere, plain appends and fsync.
const defaultPreallocate = -1

func datasync(f *os.File) error { return f.Sync() }
