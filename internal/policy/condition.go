package policy

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Context holds a request's condition keys and their values. Keys are
// case-insensitive (stored in lower case); values are compared as the
// operator says. A key that is absent and a key with no values are the
// same to every operator.
type Context map[string][]string

// Set sets key to values.
func (c Context) Set(key string, values ...string) {
	c[strings.ToLower(key)] = values
}

func (c Context) get(lowerKey string) ([]string, bool) {
	vs, ok := c[lowerKey]
	return vs, ok && len(vs) > 0
}

// Condition is one (operator, key, values) test of a statement's Condition
// element. A statement applies only if all its conditions hold.
type Condition struct {
	// Operator is as written, e.g. "ForAnyValue:StringLikeIfExists".
	Operator string
	// Key is the condition key as written; Values its values as strings.
	Key    string
	Values []string

	op       opKind
	negated  bool
	ifExists bool
	set      setKind
	key      string    // lower case
	patterns []pattern // compiled Values, for string and ARN operators
	nums     []float64
	times    []time.Time
	prefixes []netip.Prefix
}

type opKind uint8

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

type setKind uint8

const (
	setNone setKind = iota
	setAnyValue
	setAllValues
)

// operators maps every base operator name to its test and negation.
var operators = map[string]struct {
	op      opKind
	negated bool
}{
	"StringEquals":              {opStringEquals, false},
	"StringNotEquals":           {opStringEquals, true},
	"StringEqualsIgnoreCase":    {opStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike":                {opStringLike, false},
	"StringNotLike":             {opStringLike, true},
	"NumericEquals":             {opNumericEquals, false},
	"NumericNotEquals":          {opNumericEquals, true},
	"NumericLessThan":           {opNumericLessThan, false},
	"NumericLessThanEquals":     {opNumericLessThanEquals, false},
	"NumericGreaterThan":        {opNumericGreaterThan, false},
	"NumericGreaterThanEquals":  {opNumericGreaterThanEquals, false},
	"DateEquals":                {opDateEquals, false},
	"DateNotEquals":             {opDateEquals, true},
	"DateLessThan":              {opDateLessThan, false},
	"DateLessThanEquals":        {opDateLessThanEquals, false},
	"DateGreaterThan":           {opDateGreaterThan, false},
	"DateGreaterThanEquals":     {opDateGreaterThanEquals, false},
	"Bool":                      {opBool, false},
	"BinaryEquals":              {opBinaryEquals, false},
	"IpAddress":                 {opIPAddress, false},
	"NotIpAddress":              {opIPAddress, true},
	"ArnEquals":                 {opArnLike, false},
	"ArnLike":                   {opArnLike, false},
	"ArnNotEquals":              {opArnLike, true},
	"ArnNotLike":                {opArnLike, true},
	"Null":                      {opNull, false},
}

func parseConditions(raw json.RawMessage, version string) ([]*Condition, error) {
	ops, err := object(raw)
	if err != nil {
		return nil, err
	}
	var out []*Condition
	// Sorted, so that evaluation order (and so any error) is stable.
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		keys, err := object(ops[name])
		if err != nil {
			return nil, err
		}
		keyNames := make([]string, 0, len(keys))
		for k := range keys {
			keyNames = append(keyNames, k)
		}
		sort.Strings(keyNames)
		for _, k := range keyNames {
			c, err := newCondition(name, k, keys[k], version)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func newCondition(operator, key string, raw json.RawMessage, version string) (*Condition, error) {
	c := &Condition{Operator: operator, Key: key, key: strings.ToLower(key)}
	name := operator
	if rest, ok := strings.CutPrefix(name, "ForAnyValue:"); ok {
		c.set, name = setAnyValue, rest
	} else if rest, ok := strings.CutPrefix(name, "ForAllValues:"); ok {
		c.set, name = setAllValues, rest
	}
	if rest, ok := strings.CutSuffix(name, "IfExists"); ok && rest != "Null" {
		c.ifExists, name = true, rest
	}
	o, ok := operators[name]
	if !ok || (o.op == opNull && (c.set != setNone || c.ifExists)) {
		return nil, syntaxErr("Invalid Condition type : %s", clip(operator))
	}
	c.op, c.negated = o.op, o.negated
	if key == "" || strings.ContainsAny(key, " \t\r\n") {
		return nil, syntaxErr("Invalid Condition key : %s", clip(key))
	}
	// A value is a scalar or an array of scalars.
	var raws []json.RawMessage
	if firstByte(raw) == '[' {
		if err := json.Unmarshal(raw, &raws); err != nil {
			return nil, syntaxErr(msgSyntax)
		}
	} else {
		raws = []json.RawMessage{raw}
	}
	if len(raws) == 0 {
		return nil, syntaxErr("Condition %s for key %s has no values.", clip(operator), clip(key))
	}
	vars := version == Version2012
	for _, r := range raws {
		v, ok := scalarString(r)
		if !ok {
			return nil, syntaxErr(msgSyntax)
		}
		c.Values = append(c.Values, v)
		bad := false
		switch c.op {
		case opStringEquals, opStringEqualsIgnoreCase:
			c.patterns = append(c.patterns, compile(v, false, vars))
		case opStringLike, opArnLike:
			c.patterns = append(c.patterns, compile(v, true, vars))
		case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
			n, err := parseNumber(v)
			bad = err != nil
			c.nums = append(c.nums, n)
		case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
			t, ok := parseDate(v)
			bad = !ok
			c.times = append(c.times, t)
		case opBool, opNull:
			bad = !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false")
		case opBinaryEquals:
			_, err := base64.StdEncoding.DecodeString(v)
			bad = err != nil
		case opIPAddress:
			p, ok := parsePrefix(v)
			bad = !ok
			c.prefixes = append(c.prefixes, p)
		}
		if bad {
			return nil, syntaxErr("Invalid value %q for Condition %s.", clip(v), clip(operator))
		}
	}
	return c, nil
}

func parseNumber(s string) (float64, error) {
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err == nil && (math.IsNaN(n) || math.IsInf(n, 0)) {
		return 0, strconv.ErrSyntax
	}
	return n, err
}

// parseDate accepts the forms IAM documents: ISO 8601 dates and times, and
// epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if isDigits(s) && len(s) <= 12 {
		n, _ := strconv.ParseInt(s, 10, 64)
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// holds evaluates the condition against ctx.
func (c *Condition) holds(ctx Context) bool {
	vals, present := ctx.get(c.key)
	if c.op == opNull {
		// "Null": {"k": "true"} holds when k is absent.
		want := strings.EqualFold(c.Values[0], "true")
		return !present == want
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == setAllValues:
			return true // vacuously: every one of no values
		case c.set == setAnyValue:
			return false
		}
		// IAM: a missing key fails a positive test and passes a negated
		// one (StringNotEquals of nothing).
		return c.negated
	}
	one := func(v string) bool { return c.matchesAny(v, ctx) != c.negated }
	switch c.set {
	case setAllValues:
		for _, v := range vals {
			if !one(v) {
				return false
			}
		}
		return true
	case setAnyValue:
		for _, v := range vals {
			if one(v) {
				return true
			}
		}
		return false
	}
	if c.negated {
		// None of the request's values matches any of the policy's.
		for _, v := range vals {
			if c.matchesAny(v, ctx) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if c.matchesAny(v, ctx) {
			return true
		}
	}
	return false
}

// matchesAny reports whether the request value v matches any of the
// condition's values under the (un-negated) operator.
func (c *Condition) matchesAny(v string, ctx Context) bool {
	switch c.op {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArnLike:
		for i := range c.patterns {
			toks, ok := c.patterns[i].resolve(ctx)
			if !ok {
				continue // an unresolvable variable matches nothing
			}
			switch c.op {
			case opStringEquals:
				if literal(toks) == v {
					return true
				}
			case opStringEqualsIgnoreCase:
				if strings.EqualFold(literal(toks), v) {
					return true
				}
			case opStringLike:
				if glob(toks, v) {
					return true
				}
			case opArnLike:
				if matchARN(toks, v) {
					return true
				}
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, err := parseNumber(v)
		if err != nil {
			return false
		}
		for _, want := range c.nums {
			if compare(c.op-opNumericEquals, cmpFloat(n, want)) {
				return true
			}
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, want := range c.times {
			if compare(c.op-opDateEquals, t.Compare(want)) {
				return true
			}
		}
	case opBool:
		for _, want := range c.Values {
			if strings.EqualFold(v, want) {
				return true
			}
		}
	case opBinaryEquals:
		for _, want := range c.Values {
			if v == want {
				return true
			}
		}
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		for _, p := range c.prefixes {
			if p.Contains(a.Unmap()) || p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// compare applies the comparison rel (0 =, 1 <, 2 <=, 3 >, 4 >=, in the
// order of the op constants) to the result of a three-way comparison.
func compare(rel opKind, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	case 4:
		return cmp >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
