//go:build !race

package kmsapi

const raceEnabled = false
