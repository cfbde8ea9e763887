//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// SQLite's lock bytes in the database file (os.h): the PENDING byte at
// 1 GiB, then the RESERVED byte, then the 510-byte SHARED range.
const (
	lockPendingByte = 0x40000000
	lockRangeLen    = 2 + 510
)

// OpenedBy reports the process id of another process that has the
// database at path open (-1 if its id is unknown), or 0 if none does (or
// the file does not exist).
// In WAL mode, which every Store uses, a connection holds a read lock on
// SQLite's SHARED byte range for as long as it is open, so this finds a
// running keyhold server, or an sqlite3 shell, using the file. It only
// looks (fcntl F_GETLK) and takes no lock.
//
// Call it before this process opens the database: closing the descriptor
// it uses would release every POSIX lock this process holds on the file,
// those of its own SQLite connections included.
func OpenedBy(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: %w", err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: lockPendingByte, Len: lockRangeLen}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, fmt.Errorf("sqlite: probing the locks of %s: %w", path, err)
	}
	if lk.Type == syscall.F_UNLCK {
		return 0, nil
	}
	if lk.Pid <= 0 {
		return -1, nil // an open-file-description lock: no process id
	}
	return int(lk.Pid), nil
}
