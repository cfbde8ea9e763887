//go:build linux

package bench

import (
	"runtime"
	"syscall"
	"time"
)

// newWaiter returns how the open-loop dispatcher waits for a send time.
//
// Go's timers wake up to a millisecond late on Linux (the runtime sleeps in
// epoll_pwait, whose timeout is in milliseconds), and that lateness would
// be charged to the endpoint as latency: at a few thousand requests/s it is
// a large part of a 2 ms p99. So the dispatcher locks its goroutine to an
// OS thread, sets that thread's timer slack to 1µs and sleeps with
// nanosleep, which uses the kernel's high-resolution timers. The goroutine
// never unlocks the thread, so the runtime discards the thread, with its
// changed slack, when the dispatcher returns. What lateness remains is
// measured and reported as the send lag.
func newWaiter() func(until time.Time, stop <-chan struct{}) bool {
	runtime.LockOSThread()
	const prSetTimerSlack = 29
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
	return func(until time.Time, stop <-chan struct{}) bool {
		for {
			d := time.Until(until)
			if d <= 0 {
				return true
			}
			select {
			case <-stop:
				return false
			default:
			}
			// Sleep in slices so that an interrupt is seen promptly.
			ts := syscall.NsecToTimespec(int64(min(d, 20*time.Millisecond)))
			for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
			}
		}
	}
}
