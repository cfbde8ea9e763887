//go:build !linux

package bench

import "time"

// newWaiter returns how the open-loop dispatcher waits for a send time:
// with a Go timer. Its lateness is measured and reported as the send lag.
func newWaiter() func(until time.Time, stop <-chan struct{}) bool {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	return func(until time.Time, stop <-chan struct{}) bool {
		d := time.Until(until)
		if d <= 0 {
			return true
		}
		timer.Reset(d)
		select {
		case <-timer.C:
			return true
		case <-stop:
			timer.Stop()
			return false
		}
	}
}
