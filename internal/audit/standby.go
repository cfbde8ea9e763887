package audit

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// The standby file. A preallocated audit file is extended with zeros (and
// fsynced) whenever its records reach the end of what is allocated; done
// by the writer, each extension stalls every caller waiting for the audit
// (several milliseconds to tens of them under load). So once the current
// file is half used, a helper goroutine prepares the next file in advance:
// standbyName, filled with zeros for a whole file (RotateBytes and one
// Preallocate chunk more, at most maxStandby) and fsynced. At the next
// rotation, or when the current file runs out of room, the writer renames
// it into place instead of creating an empty file, and the new file needs
// no extension at all. The zeros go out in small steps, each written out
// before the next and paced, so that the writer's fdatasyncs never have a
// large write to wait behind. A start
// removes a standby a crash left; Close removes it too. Its name has no
// ".jsonl" suffix: verify and lookup never see it.
const (
	standbyName = "audit-next.tmp"
	maxStandby  = 256 << 20
	// standbyStep is how much of the standby is written and pushed to the
	// disk at a time, and standbyPause the rest between two steps: a flush
	// of the writer's then waits behind at most one step, and the disk
	// stays mostly free for it. A 68 MiB standby is 272 steps, so about
	// half a second of pauses: the current file's second half takes
	// longer to fill at any rate the audit can write.
	standbyStep  = 256 << 10
	standbyPause = 2 * time.Millisecond
)

type standbyState int

const (
	standbyNone standbyState = iota
	standbyPreparing
	standbyReady
)

// standbySize is the size of a prepared standby file.
func (l *Log) standbySize() int64 {
	n := l.opts.RotateBytes + l.opts.Preallocate
	if n > maxStandby {
		n = maxStandby
	}
	return (n + 4095) &^ 4095
}

// maybePrepareStandby starts preparing the next file once the current one
// has used half of its room (the room it may use before it rotates).
func (l *Log) maybePrepareStandby() {
	if l.opts.Preallocate <= 0 || l.standby != standbyNone {
		return
	}
	room := min(l.allocated, l.opts.RotateBytes)
	if l.fileSize*2 < room {
		return
	}
	l.standby = standbyPreparing
	done := make(chan error, 1)
	l.standbyDone = done
	path, size := filepath.Join(l.opts.Dir, standbyName), l.standbySize()
	go func() { done <- prepareStandby(path, size) }()
}

// pollStandby notes a finished preparation without waiting for one that
// is still running (unless wait).
func (l *Log) pollStandby(wait bool) {
	if l.standby != standbyPreparing {
		return
	}
	var err error
	if wait {
		err = <-l.standbyDone
	} else {
		select {
		case err = <-l.standbyDone:
		default:
			return
		}
	}
	if err != nil {
		l.opts.Logger.Warn("audit: preparing the next audit file in advance failed; files are extended as they fill", "error", err.Error())
		l.standby = standbyNone
		return
	}
	l.standby = standbyReady
}

// adoptStandby makes the prepared standby file the current file, number
// seq. It reports false (and leaves the writer as it was) if there is no
// prepared standby or it cannot be used.
func (l *Log) adoptStandby(seq uint64) bool {
	l.pollStandby(l.opts.waitStandby)
	if l.standby != standbyReady {
		return false
	}
	l.standby = standbyNone
	from, to := filepath.Join(l.opts.Dir, standbyName), filepath.Join(l.opts.Dir, fileName(seq))
	if err := l.useStandby(from, to, seq); err != nil {
		l.opts.Logger.Warn("audit: the file prepared in advance could not be used; creating one", "error", err.Error())
		os.Remove(from)
		return false
	}
	l.adopted++
	return true
}

func (l *Log) useStandby(from, to string, seq uint64) error {
	if _, err := os.Lstat(to); err == nil {
		return errors.New(fileName(seq) + " exists")
	}
	if err := os.Rename(from, to); err != nil {
		return err
	}
	f, err := os.OpenFile(to, os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil {
		err = syncDir(l.opts.Dir)
	}
	if err != nil {
		f.Close()
		return err
	}
	l.setFile(f, seq, 0, fi.Size())
	return nil
}

// removeStandby waits for a preparation still running and removes the
// standby file (at Close).
func (l *Log) removeStandby() {
	l.pollStandby(true)
	l.standby = standbyNone
	os.Remove(filepath.Join(l.opts.Dir, standbyName))
}

// prepareStandby writes size bytes of zeros to a new file at path, a step
// at a time, each step written out before the next (without a cache
// flush), then fsyncs the file once for its size and its data.
func prepareStandby(path string, size int64) error {
	os.Remove(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(path)
		return err
	}
	for off := int64(0); off < size; {
		step := min(size-off, standbyStep)
		for end := off + step; off < end; {
			chunk := zeros[:min(end-off, int64(len(zeros)))]
			if _, err := f.WriteAt(chunk, off); err != nil {
				return fail(err)
			}
			off += int64(len(chunk))
		}
		if err := writeOut(f, off-step, step); err != nil {
			return fail(err)
		}
		time.Sleep(standbyPause)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	return f.Close()
}
