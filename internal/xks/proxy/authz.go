package proxy

import (
	"strings"

	"github.com/keyhold/keyhold/internal/xks"
)

// Rule is a logical key store's secondary authorization: which callers of
// the KMS that uses the store may use its external keys, judged on the
// requestMetadata the KMS sends. Each list holds patterns in which '*'
// matches any run of characters (including none) and '?' any one
// character; an empty list allows everything. A request is allowed when
// every non-empty list has a pattern that matches its field. The rule is
// never applied to GetHealthStatus, as the specification requires.
type Rule struct {
	// Principals match awsPrincipalArn (for example
	// "arn:aws:iam::111122223333:role/*").
	Principals []string `yaml:"principals"`
	// Operations match kmsOperation (for example "Decrypt"). A KMS
	// operation this list does not name is denied, never rejected as
	// invalid.
	Operations []string `yaml:"operations"`
	// KeyARNs match kmsKeyArn. GetKeyMetadata may come without one (when
	// a KMS checks a key before it exists); the list is then not applied.
	KeyARNs []string `yaml:"key_arns"`
}

// Empty reports whether r allows everything.
func (r *Rule) Empty() bool {
	return r == nil || len(r.Principals) == 0 && len(r.Operations) == 0 && len(r.KeyARNs) == 0
}

// Check returns "" if r allows a request with metadata m, or the reason it
// does not, for the log. The reason names the rule list that denied, never
// the request's values.
func (r *Rule) Check(m *xks.RequestMetadata) string {
	if r.Empty() {
		return ""
	}
	if len(r.Principals) > 0 && !matchAny(r.Principals, m.AWSPrincipalARN) {
		return "requestMetadata.awsPrincipalArn matches no pattern of authorization.principals"
	}
	if len(r.Operations) > 0 && !matchAny(r.Operations, m.KMSOperation) {
		return "requestMetadata.kmsOperation matches no pattern of authorization.operations"
	}
	if len(r.KeyARNs) > 0 && m.KMSKeyARN != "" && !matchAny(r.KeyARNs, m.KMSKeyARN) {
		return "requestMetadata.kmsKeyArn matches no pattern of authorization.key_arns"
	}
	return ""
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches pattern, where '*' matches any run of
// bytes and '?' any one byte. It runs in O(len(pattern) * len(s)) time at
// worst (no backtracking blow-up).
func Match(pattern, s string) bool {
	// Greedy matching with one backtrack point: the classic linear
	// wildcard algorithm.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	return strings.Trim(pattern[p:], "*") == ""
}
