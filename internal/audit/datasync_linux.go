package audit

import (
	"os"
	"syscall"
)

// defaultPreallocate: on Linux, preallocate and fdatasync (see
// Options.Preallocate).
const defaultPreallocate = 4 << 20

func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

// writeOut starts writeback of the n bytes at off and waits for it
// (sync_file_range: no metadata, no cache flush). It only paces the
// standby's zeros; durability comes from the fsync after them.
func writeOut(f *os.File, off, n int64) error {
	const waitBefore, write, waitAfter = 1, 2, 4
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), uintptr(n), waitBefore|write|waitAfter, 0, 0)
		switch e {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return e
		}
	}
}
