//go:build race

package kmsapi

// raceEnabled: the race detector makes sync.Pool drop items, so regexp
// allocates and allocation counts are meaningless.
const raceEnabled = true
