package cli

import "time"

// SetIdentityClock replaces the identity service's clock for servers
// started afterwards, and returns a function that restores it. Tests use it
// to move past the expiry of temporary credentials; it is not safe to call
// while servers of other tests start.
func SetIdentityClock(now func() time.Time) (restore func()) {
	old := identityClock
	identityClock = now
	return func() { identityClock = old }
}
