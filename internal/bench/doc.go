// Package bench is keyhold's load generator: it sends SigV4-signed AWS KMS
// requests to an endpoint (keyhold or any KMS-compatible service) in a
// closed loop (a fixed number in flight, for throughput) or an open loop (a
// fixed rate on a schedule, for latency at a given load without coordinated
// omission), and records latencies in HDR histograms.
//
// It builds every request body once and signs each request itself with
// internal/sigv4 over a plain net/http transport, so that the generator
// takes little of a machine it usually shares with the server. It imports
// nothing of the server.
//
// EmptyHandler is the ceiling to compare against: the same net/http
// server stack doing no KMS work.
package bench
