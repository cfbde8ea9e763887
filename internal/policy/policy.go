// Package policy is keyhold's policy language: it parses and validates IAM
// policy documents (identity policies, role trust policies, and the
// resource policies that key policies will be) and evaluates requests
// against them with IAM's rules: an explicit Deny wins, then an Allow, and
// without either the request is implicitly denied.
//
// The package is pure: no I/O, no clock, no keyhold service. Callers build
// a Request (action, resource, principal, condition keys) and combine the
// decisions of the policy sets that apply (identity policies, session
// policies, trust or key policies) the way AWS's evaluation logic says.
//
// Parse accepts what IAM accepts as far as keyhold knows it and rejects
// everything else with a *SyntaxError whose message is IAM's where IAM's
// wording is known. It is stricter than IAM in one way, on purpose:
// duplicate keys in a JSON object are an error, since two readers of the
// same document could otherwise disagree about what it says.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDocumentBytes bounds what Parse reads. IAM's own limits are smaller
// (2 KiB to 10 KiB for identity policies, 32 KiB for key policies); callers
// enforce those with their own messages.
const MaxDocumentBytes = 128 << 10

// Policy language versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Kind says where a policy is used, which decides the elements it must and
// must not have.
type Kind int

const (
	// KindIdentity is an identity policy (inline or managed) or a session
	// policy: no Principal, and every statement names resources.
	KindIdentity Kind = iota
	// KindTrust is a role's trust policy: every statement names
	// principals, and none names resources.
	KindTrust
	// KindResource is a resource-based policy such as a key policy: every
	// statement names principals and resources.
	KindResource
)

// Effect is a statement's effect.
type Effect string

const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Policy is a parsed, validated policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []*Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid    string
	Effect Effect
	// Principal and NotPrincipal are nil when absent.
	Principal, NotPrincipal *Principals
	// Action and NotAction: exactly one is set. Patterns are kept as
	// written; matching is case-insensitive.
	Action, NotAction []string
	// Resource and NotResource: at most one is set.
	Resource, NotResource []string
	Conditions            []*Condition

	actions   []pattern // of Action or NotAction, lower-cased
	resources []pattern // of Resource or NotResource
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	// Any is set for "Principal": "*".
	Any bool
	// ByType maps a principal type ("AWS", "Service", "Federated",
	// "CanonicalUser") to its values.
	ByType map[string][]string
}

// SyntaxError is a policy document that IAM would refuse
// (MalformedPolicyDocument). Msg is safe to show to the caller.
type SyntaxError struct {
	Msg string
}

func (e *SyntaxError) Error() string { return e.Msg }

func syntaxErr(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

// msgSyntax is IAM's message for a document that is not valid JSON or has
// an unexpected shape.
const msgSyntax = "Syntax errors in policy."

// Parse parses and validates a policy document of the given kind.
func Parse(doc string, kind Kind) (*Policy, error) {
	if len(doc) > MaxDocumentBytes {
		return nil, syntaxErr("Policy document is larger than %d bytes.", MaxDocumentBytes)
	}
	if !utf8.ValidString(doc) {
		return nil, syntaxErr(msgSyntax)
	}
	if err := checkJSON([]byte(doc)); err != nil {
		return nil, err
	}
	top, err := object([]byte(doc))
	if err != nil {
		return nil, err
	}
	p := &Policy{Version: Version2008}
	var statements json.RawMessage
	for k, v := range top {
		switch k {
		case "Version":
			if err := json.Unmarshal(v, &p.Version); err != nil {
				return nil, syntaxErr(msgSyntax)
			}
			if p.Version != Version2012 && p.Version != Version2008 {
				return nil, syntaxErr("The policy document has an unsupported Version %q; use %q.", p.Version, Version2012)
			}
		case "Id":
			if err := json.Unmarshal(v, &p.ID); err != nil {
				return nil, syntaxErr(msgSyntax)
			}
		case "Statement":
			statements = v
		default:
			return nil, syntaxErr(msgSyntax)
		}
	}
	if statements == nil {
		return nil, syntaxErr("Missing required field Statement")
	}
	var raws []json.RawMessage
	switch firstByte(statements) {
	case '{':
		raws = []json.RawMessage{statements}
	case '[':
		if err := json.Unmarshal(statements, &raws); err != nil {
			return nil, syntaxErr(msgSyntax)
		}
	default:
		return nil, syntaxErr(msgSyntax)
	}
	sids := map[string]bool{}
	for _, raw := range raws {
		st, err := parseStatement(raw, kind, p.Version)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, syntaxErr("Statement IDs (SID) in a single policy must be unique")
			}
			sids[st.Sid] = true
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage, kind Kind, version string) (*Statement, error) {
	fields, err := object(raw)
	if err != nil {
		return nil, err
	}
	st := &Statement{}
	for k, v := range fields {
		var err error
		switch k {
		case "Sid":
			if e := json.Unmarshal(v, &st.Sid); e != nil {
				err = syntaxErr(msgSyntax)
			} else if kind != KindResource && !validSid(st.Sid) {
				// Resource policies (key policies) allow any text in Sid:
				// AWS's own default key policy has "Enable IAM User
				// Permissions".
				err = syntaxErr("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
			}
		case "Effect":
			var e string
			if json.Unmarshal(v, &e) != nil || (e != string(Allow) && e != string(Deny)) {
				err = syntaxErr("Invalid effect: %s", clip(string(v)))
			}
			st.Effect = Effect(e)
		case "Action":
			st.Action, err = stringList(v)
		case "NotAction":
			st.NotAction, err = stringList(v)
		case "Resource":
			st.Resource, err = stringList(v)
		case "NotResource":
			st.NotResource, err = stringList(v)
		case "Principal":
			st.Principal, err = parsePrincipals(v)
		case "NotPrincipal":
			st.NotPrincipal, err = parsePrincipals(v)
		case "Condition":
			st.Conditions, err = parseConditions(v, version)
		default:
			err = syntaxErr(msgSyntax)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := st.validate(kind, version); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *Statement) validate(kind Kind, version string) error {
	if st.Effect == "" {
		return syntaxErr("Missing required field Effect")
	}
	switch {
	case st.Action == nil && st.NotAction == nil:
		return syntaxErr("Policy statement must contain actions.")
	case st.Action != nil && st.NotAction != nil:
		return syntaxErr(msgSyntax)
	case st.Resource != nil && st.NotResource != nil:
		return syntaxErr(msgSyntax)
	case st.Principal != nil && st.NotPrincipal != nil:
		return syntaxErr(msgSyntax)
	}
	hasPrincipal := st.Principal != nil || st.NotPrincipal != nil
	hasResource := st.Resource != nil || st.NotResource != nil
	switch kind {
	case KindIdentity:
		if hasPrincipal {
			return syntaxErr("Policy document should not specify a principal.")
		}
		if !hasResource {
			return syntaxErr("Policy statement must contain resources.")
		}
	case KindTrust:
		if !hasPrincipal {
			return syntaxErr("AssumeRolepolicy contained an invalid principal.")
		}
		if hasResource {
			return syntaxErr("Has prohibited field Resource")
		}
	case KindResource:
		if !hasPrincipal {
			return syntaxErr("Policy statement must contain a principal.")
		}
		if !hasResource {
			return syntaxErr("Policy statement must contain resources.")
		}
	}
	actions := st.Action
	if actions == nil {
		actions = st.NotAction
	}
	if len(actions) == 0 {
		return syntaxErr("Policy statement must contain actions.")
	}
	for _, a := range actions {
		if !validAction(a) {
			return syntaxErr("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
		}
		st.actions = append(st.actions, compilePattern(strings.ToLower(a), false))
	}
	resources := st.Resource
	if resources == nil {
		resources = st.NotResource
	}
	if hasResource && len(resources) == 0 {
		return syntaxErr("Policy statement must contain resources.")
	}
	for _, r := range resources {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return syntaxErr("Resource %s must be in ARN format or \"*\".", clip(r))
		}
		st.resources = append(st.resources, compilePattern(r, version == Version2012))
	}
	for _, ps := range []*Principals{st.Principal, st.NotPrincipal} {
		if err := ps.validate(); err != nil {
			return err
		}
	}
	return nil
}

// validAction: "*", or "vendor:pattern" with a vendor of letters, digits
// and "-" and a pattern of letters, digits and the wildcards.
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	vendor, name, ok := strings.Cut(a, ":")
	if !ok || vendor == "" || name == "" {
		return false
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(isAlnum(c) || c == '-') {
			return false
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '*' || c == '?' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validSid(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parsePrincipals parses "*" or {"AWS": "..." | [...], "Service": ...}.
func parsePrincipals(raw json.RawMessage) (*Principals, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "*" {
			return nil, syntaxErr("Invalid principal in policy: %s", clip(string(raw)))
		}
		return &Principals{Any: true}, nil
	}
	fields, err := object(raw)
	if err != nil {
		return nil, err
	}
	ps := &Principals{ByType: map[string][]string{}}
	for typ, v := range fields {
		switch typ {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return nil, syntaxErr("Invalid principal in policy: %q", typ)
		}
		vals, err := stringList(v)
		if err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			return nil, syntaxErr("Invalid principal in policy: %q:[]", typ)
		}
		ps.ByType[typ] = vals
	}
	if len(ps.ByType) == 0 {
		return nil, syntaxErr("Invalid principal in policy: {}")
	}
	return ps, nil
}

func (ps *Principals) validate() error {
	if ps == nil || ps.Any {
		return nil
	}
	for typ, vals := range ps.ByType {
		for _, v := range vals {
			ok := true
			switch typ {
			case "AWS":
				ok = validAWSPrincipal(v)
			default:
				ok = v != "" && !strings.ContainsAny(v, " \t\r\n")
			}
			if !ok {
				return syntaxErr("Invalid principal in policy: %q:%q", typ, clip(v))
			}
		}
	}
	return nil
}

// validAWSPrincipal: "*", a 12-digit account id, or the ARN of an account
// root, user, role or role session.
func validAWSPrincipal(v string) bool {
	if v == "*" || (len(v) == 12 && isDigits(v)) {
		return true
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[3] != "" ||
		len(parts[4]) != 12 || !isDigits(parts[4]) || strings.ContainsAny(v, "*?") {
		return false
	}
	res := parts[5]
	switch parts[2] {
	case "iam":
		return res == "root" || strings.HasPrefix(res, "user/") && len(res) > 5 || strings.HasPrefix(res, "role/") && len(res) > 5
	case "sts":
		return strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") == 2
	}
	return false
}

// AWSPrincipals returns every AWS principal value the policy names
// (Principal and NotPrincipal), for a caller that checks they exist.
func (p *Policy) AWSPrincipals() []string {
	var out []string
	for _, st := range p.Statements {
		for _, ps := range []*Principals{st.Principal, st.NotPrincipal} {
			if ps != nil {
				out = append(out, ps.ByType["AWS"]...)
			}
		}
	}
	return out
}

// stringList parses a string or a non-empty array of strings.
func stringList(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var ss []string
	if firstByte(raw) != '[' || json.Unmarshal(raw, &ss) != nil {
		return nil, syntaxErr(msgSyntax)
	}
	if ss == nil {
		ss = []string{}
	}
	return ss, nil
}

// object decodes a JSON object into its members, keys compared exactly
// (encoding/json would match "effect" to a field Effect).
func object(raw []byte) (map[string]json.RawMessage, error) {
	if firstByte(raw) != '{' {
		return nil, syntaxErr(msgSyntax)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, syntaxErr(msgSyntax)
	}
	return m, nil
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// checkJSON checks that doc is one JSON value, nested at most maxDepth
// deep, without duplicate keys in any object.
func checkJSON(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := checkValue(dec, 0); err != nil {
		return err
	}
	// Anything after the value (json.Decoder stops at it) is an error.
	if rest := bytes.TrimSpace(doc[dec.InputOffset():]); len(rest) > 0 {
		return syntaxErr(msgSyntax)
	}
	return nil
}

const maxDepth = 16

func checkValue(dec *json.Decoder, depth int) error {
	if depth > maxDepth {
		return syntaxErr(msgSyntax)
	}
	tok, err := dec.Token()
	if err != nil {
		return syntaxErr(msgSyntax)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return syntaxErr(msgSyntax)
			}
			k, _ := kt.(string)
			if seen[k] {
				return syntaxErr("Duplicate key %q in policy.", clip(k))
			}
			seen[k] = true
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	default:
		return syntaxErr(msgSyntax)
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return syntaxErr(msgSyntax)
	}
	return nil
}

// clip bounds how much of the caller's input an error message repeats.
func clip(s string) string {
	const max = 128
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// scalarString renders a JSON scalar condition value as IAM compares it:
// strings as they are, numbers and booleans as written.
func scalarString(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return strconv.FormatBool(b), true
	}
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&n) == nil {
		return n.String(), true
	}
	return "", false
}
