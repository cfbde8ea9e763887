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
