package iamapi

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
)

// API versions, sent as the Version parameter.
const (
	IAMVersion = "2010-05-08"
	STSVersion = "2011-06-15"
)

// Services keyhold serves with the Query protocol, by SigV4 signing name.
const (
	ServiceIAM = "iam"
	ServiceSTS = "sts"
)

// Input is a decoded, validated request of one operation.
type Input interface {
	OperationName() string
}

// operation is one Query operation: its service and its decoder.
type operation struct {
	service string
	decode  func(d *decoder) Input
}

// operations is filled by the ops files' init functions.
var operations = map[string]operation{}

func register(service, action string, decode func(d *decoder) Input) {
	if _, dup := operations[action]; dup {
		panic("iamapi: operation registered twice: " + action)
	}
	operations[action] = operation{service: service, decode: decode}
}

// ServiceOf returns the service of action ("iam", "sts") and whether keyhold
// implements it.
func ServiceOf(action string) (string, bool) {
	op, ok := operations[action]
	return op.service, ok
}

// Operations returns the names of the operations of service.
func Operations(service string) []string {
	var out []string
	for name, op := range operations {
		if op.service == service {
			out = append(out, name)
		}
	}
	return out
}

// Decode decodes and validates the request in v for service: the Action
// and Version parameters, then the operation's members. Errors are
// *keyhold.Error with IAM's codes: MissingAction, InvalidAction,
// ValidationError.
func Decode(service string, v Values) (Input, error) {
	action, ok := v["Action"]
	if !ok || action == "" {
		return nil, keyhold.NewError(ErrCodeMissingAction, "Missing Action")
	}
	version := IAMVersion
	switch service {
	case ServiceSTS:
		version = STSVersion
	case ServiceKeyhold:
		version = KeyholdVersion
	}
	op, ok := operations[action]
	if ok && op.service != service {
		ok = false
	}
	if ver, given := v["Version"]; given && ver != version {
		ok = false
		version = ver
	}
	if !ok {
		return nil, keyhold.Errorf(ErrCodeInvalidAction, "Could not find operation %s for version %s", clip(action), clip(version))
	}
	d := &decoder{v: v}
	in := op.decode(d)
	if err := d.err(); err != nil {
		return nil, err
	}
	return in, nil
}

// A stringShape is a string type of the API model with its constraints.
type stringShape struct {
	name     string // the model's shape name, for the conformance test
	min, max int    // in characters; max 0 is unbounded
	pattern  string // as in the model (Java syntax), "" for none
	re       *regexp.Regexp
	enum     []string
}

// str returns a string shape. The model's patterns are Java regular
// expressions matched against the whole value; \uXXXX escapes become RE2's
// \x{XXXX}.
func str(name string, min, max int, pattern string) *stringShape {
	s := &stringShape{name: name, min: min, max: max, pattern: pattern}
	if pattern != "" {
		re := regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`).ReplaceAllString(pattern, `\x{$1}`)
		s.re = regexp.MustCompile(`^(?:` + re + `)$`)
	}
	return s
}

func enum(name string, values ...string) *stringShape {
	return &stringShape{name: name, enum: values}
}

// A listShape is a list type with its length constraints.
type listShape struct {
	name     string
	min, max int
}

// decoder reads members from Values and collects validation failures in
// AWS's wording, so that one response lists every fault as AWS does.
type decoder struct {
	v      Values
	faults []string
	// record, when set, is told about every member decoded (the
	// conformance test against the model uses it).
	record func(member string, shape any, required bool)
}

// maxListedFaults bounds how many faults one message lists (the count
// still says how many there are), so a request with a thousand bad list
// members cannot make a huge response.
const maxListedFaults = 10

func (d *decoder) err() error {
	switch n := len(d.faults); n {
	case 0:
		return nil
	case 1:
		return keyhold.NewError(ErrCodeValidationError, "1 validation error detected: "+d.faults[0])
	default:
		listed := d.faults[:min(n, maxListedFaults)]
		return keyhold.Errorf(ErrCodeValidationError, "%d validation errors detected: %s", n, strings.Join(listed, "; "))
	}
}

// memberPath is the name AWS's messages use for a member: lowerCamel, and
// for list members "tags.1.member.key".
func memberPath(name string) string {
	if name == "" {
		return name
	}
	// "PolicyArns.member.1.arn" → "policyArns.1.member.arn"
	parts := strings.Split(name, ".")
	parts[0] = lowerFirst(parts[0])
	if len(parts) >= 3 && parts[1] == "member" {
		parts[1], parts[2] = parts[2], parts[1]
	}
	for i := 3; i < len(parts); i++ {
		parts[i] = lowerFirst(parts[i])
	}
	return strings.Join(parts, ".")
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func (d *decoder) fault(name, value, constraint string) {
	d.faults = append(d.faults, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s",
		clip(value), memberPath(name), constraint))
}

func (d *decoder) missing(name string) {
	d.faults = append(d.faults, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", memberPath(name)))
}

// check validates value against shape and records the faults.
func (d *decoder) check(name, value string, s *stringShape) {
	if s.enum != nil {
		for _, e := range s.enum {
			if value == e {
				return
			}
		}
		d.fault(name, value, "Member must satisfy enum value set: ["+strings.Join(s.enum, ", ")+"]")
		return
	}
	n := utf8.RuneCountInString(value)
	switch {
	case n < s.min:
		d.fault(name, value, fmt.Sprintf("Member must have length greater than or equal to %d", s.min))
	case s.max > 0 && n > s.max:
		d.fault(name, value, fmt.Sprintf("Member must have length less than or equal to %d", s.max))
	case s.re != nil && n <= maxPatternCheck && !s.re.MatchString(value):
		d.fault(name, value, "Member must satisfy regular expression pattern: "+s.pattern)
	}
}

// maxPatternCheck: values longer than any shape's maximum already failed;
// skip the pattern for them rather than scan megabytes.
const maxPatternCheck = 1 << 18

// string returns the member name (a string of shape s), "" when absent.
func (d *decoder) string(name string, s *stringShape, required bool) string {
	if d.record != nil {
		d.record(name, s, required)
	}
	v, ok := d.v[name]
	if !ok {
		if required {
			d.missing(name)
		}
		return ""
	}
	d.check(name, v, s)
	return v
}

// optString is string for an optional member, nil when absent.
func (d *decoder) optString(name string, s *stringShape) *string {
	if _, ok := d.v[name]; !ok {
		if d.record != nil {
			d.record(name, s, false)
		}
		return nil
	}
	v := d.string(name, s, false)
	return &v
}

// An intShape is an integer type with its range.
type intShape struct {
	name     string
	min, max int64
}

// int returns the integer member name, nil when absent.
func (d *decoder) int(name string, s *intShape, required bool) *int {
	if d.record != nil {
		d.record(name, s, required)
	}
	raw, ok := d.v[name]
	if !ok {
		if required {
			d.missing(name)
		}
		return nil
	}
	n, err := strconv.ParseInt(raw, 10, 32)
	if err != nil {
		d.fault(name, raw, "Member must be an integer")
		return nil
	}
	if n < s.min {
		d.fault(name, raw, fmt.Sprintf("Member must have value greater than or equal to %d", s.min))
	}
	if n > s.max {
		d.fault(name, raw, fmt.Sprintf("Member must have value less than or equal to %d", s.max))
	}
	i := int(n)
	return &i
}

// bool returns the boolean member name (false when absent).
func (d *decoder) bool(name string) bool {
	if d.record != nil {
		d.record(name, "boolean", false)
	}
	raw, ok := d.v[name]
	if !ok {
		return false
	}
	switch raw {
	case "true":
		return true
	case "false":
		return false
	}
	d.fault(name, raw, "Member must be true or false")
	return false
}

// count returns how many members list name has: name.member.1 ...
// name.member.N without gaps. An empty list is sent as "name=" (botocore)
// or not at all; present says whether the list was given.
func (d *decoder) count(name string, sub string) (n int, present bool) {
	if _, ok := d.v[name]; ok {
		present = true
	}
	for n = 0; n < MaxParams; n++ {
		prefix := name + ".member." + strconv.Itoa(n+1)
		if _, ok := d.v[prefix+sub]; ok {
			continue
		}
		break
	}
	return n, present || n > 0
}

func (d *decoder) checkList(name string, s *listShape, n int) {
	if n < s.min {
		d.fault(name, fmt.Sprintf("%d items", n), fmt.Sprintf("Member must have length greater than or equal to %d", s.min))
	}
	if s.max > 0 && n > s.max {
		d.fault(name, fmt.Sprintf("%d items", n), fmt.Sprintf("Member must have length less than or equal to %d", s.max))
	}
}

// strings returns the string list name, nil when absent.
func (d *decoder) strings(name string, ls *listShape, s *stringShape, required bool) []string {
	if d.record != nil {
		d.record(name, ls, required)
		d.record(name+".member.N", s, true)
	}
	n, present := d.count(name, "")
	if !present {
		if required {
			d.missing(name)
		}
		return nil
	}
	d.checkList(name, ls, n)
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		m := name + ".member." + strconv.Itoa(i)
		v := d.v[m]
		d.check(m, v, s)
		out = append(out, v)
	}
	return out
}

// tags returns the tag list name (Key and Value members), nil when absent.
func (d *decoder) tags(name string, ls *listShape, required bool) []Tag {
	if d.record != nil {
		d.record(name, ls, required)
		d.record(name+".member.N.Key", tagKeyType, true)
		d.record(name+".member.N.Value", tagValueType, true)
	}
	n, present := d.count(name, ".Key")
	if !present {
		if required {
			d.missing(name)
		}
		return nil
	}
	d.checkList(name, ls, n)
	out := make([]Tag, 0, n)
	for i := 1; i <= n; i++ {
		m := name + ".member." + strconv.Itoa(i)
		t := Tag{Key: d.v[m+".Key"]}
		d.check(m+".Key", t.Key, tagKeyType)
		v, ok := d.v[m+".Value"]
		if !ok {
			d.missing(m + ".Value")
		}
		d.check(m+".Value", v, tagValueType)
		t.Value = v
		out = append(out, t)
	}
	return out
}

// Shapes of the IAM and STS models that the operations use. The
// conformance test compares them with testdata/model/.
var (
	userNameType         = str("userNameType", 1, 64, `[\w+=,.@-]+`)
	existingUserNameType = str("existingUserNameType", 1, 128, `[\w+=,.@-]+`)
	roleNameType         = str("roleNameType", 1, 64, `[\w+=,.@-]+`)
	policyNameType       = str("policyNameType", 1, 128, `[\w+=,.@-]+`)
	pathType             = str("pathType", 1, 512, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	pathPrefixType       = str("pathPrefixType", 1, 512, `\u002F[\u0021-\u007F]*`)
	policyPathType       = str("policyPathType", 1, 512, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`)
	markerType           = str("markerType", 1, 320, `[\u0020-\u00FF]+`)
	arnType              = str("arnType", 20, 2048, ``)
	accessKeyIDType      = str("accessKeyIdType", 16, 128, `[\w]+`)
	policyDocumentType   = str("policyDocumentType", 1, 131072, `[\u0009\u000A\u000D\u0020-\u00FF]+`)
	roleDescriptionType  = str("roleDescriptionType", 0, 1000, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	policyDescription    = str("policyDescriptionType", 0, 1000, ``)
	policyVersionIDType  = str("policyVersionIdType", 0, 0, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	tagKeyType           = str("tagKeyType", 1, 128, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
	tagValueType         = str("tagValueType", 0, 256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
	statusType           = enum("statusType", "Active", "Inactive", "Expired")
	policyScopeType      = enum("policyScopeType", "All", "AWS", "Local")
	policyUsageType      = enum("PolicyUsageType", "PermissionsPolicy", "PermissionsBoundary")

	tagListType    = &listShape{name: "tagListType", max: 50}
	tagKeyListType = &listShape{name: "tagKeyListType", max: 50}

	maxItemsType               = &intShape{name: "maxItemsType", min: 1, max: 1000}
	roleMaxSessionDurationType = &intShape{name: "roleMaxSessionDurationType", min: 3600, max: 43200}

	// STS shapes.
	stsArnType               = str("arnType", 20, 2048, `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`)
	roleSessionNameType      = str("roleSessionNameType", 2, 64, `[\w+=,.@-]*`)
	sessionPolicyDocument    = str("unrestrictedSessionPolicyDocumentType", 1, 0, `[\u0009\u000A\u000D\u0020-\u00FF]+`)
	externalIDType           = str("externalIdType", 2, 1224, `[\w+=,.@:\/-]*`)
	serialNumberType         = str("serialNumberType", 9, 256, `[\w+=/:,.@-]*`)
	tokenCodeType            = str("tokenCodeType", 6, 6, `[\d]*`)
	sourceIdentityType       = str("sourceIdentityType", 2, 64, `[\w+=,.@-]*`)
	roleDurationSecondsType  = &intShape{name: "roleDurationSecondsType", min: 900, max: 43200}
	policyDescriptorListType = &listShape{name: "policyDescriptorListType"}
	providedContextsListType = &listShape{name: "ProvidedContextsListType", min: 1, max: 5}
	stsTagKeyType            = tagKeyType
)
