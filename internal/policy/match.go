package policy

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a policy string compiled once: literal text, the wildcards
// "*" (any run of characters) and "?" (one character), and policy
// variables ("${aws:username}"), which are filled in from the request's
// Context at evaluation time. A variable's value is always literal text:
// a "*" in it matches only "*".
type pattern struct {
	raw  string
	segs []segment
	// vars is set when segs has a variable (else lit is ready to use).
	vars bool
	lit  []rune
}

type segKind uint8

const (
	segLit segKind = iota
	segStar
	segQuest
	segVar
)

type segment struct {
	kind segKind
	text string // literal text, or the variable's key (lower case)
	// def is the default of "${key, 'default'}"; hasDef says it is there.
	def    string
	hasDef bool
}

// Wildcard tokens in a resolved pattern. Literal characters are their
// runes, always >= 0.
const (
	tokStar  rune = -1
	tokQuest rune = -2
)

// compilePattern compiles s. wild says whether "*" and "?" are wildcards;
// vars whether "${...}" is a policy variable (policy version 2012-10-17).
func compilePattern(s string, vars bool) pattern { return compile(s, true, vars) }

func compile(s string, wild, vars bool) pattern {
	p := pattern{raw: s}
	lit := func(t string) {
		if n := len(p.segs); n > 0 && p.segs[n-1].kind == segLit {
			p.segs[n-1].text += t
			return
		}
		p.segs = append(p.segs, segment{kind: segLit, text: t})
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wild && c == '*':
			p.segs = append(p.segs, segment{kind: segStar})
			i++
		case wild && c == '?':
			p.segs = append(p.segs, segment{kind: segQuest})
			i++
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				lit(s[i:])
				i = len(s)
				continue
			}
			inner := s[i+2 : i+end]
			i += end + 1
			switch inner {
			case "*", "?", "$":
				lit(inner)
				continue
			}
			seg := segment{kind: segVar}
			key, def, hasDef := strings.Cut(inner, ",")
			seg.text = strings.ToLower(strings.TrimSpace(key))
			if hasDef {
				def = strings.TrimSpace(def)
				if len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
					seg.def, seg.hasDef = def[1:len(def)-1], true
				} else {
					// Not the documented form: keep the text literally.
					lit("${" + inner + "}")
					continue
				}
			}
			p.segs = append(p.segs, seg)
			p.vars = true
		default:
			j := i + 1
			for j < len(s) && !(wild && (s[j] == '*' || s[j] == '?')) && !(vars && s[j] == '$') {
				j++
			}
			lit(s[i:j])
			i = j
		}
	}
	if !p.vars {
		p.lit = p.tokens(nil)
	}
	return p
}

// tokens returns the pattern as runes and wildcard tokens, with variables
// filled in from ctx. ok is false if a variable has no single value and no
// default: such a pattern matches nothing.
func (p *pattern) resolve(ctx Context) (toks []rune, ok bool) {
	if !p.vars {
		return p.lit, true
	}
	for _, s := range p.segs {
		if s.kind != segVar {
			continue
		}
		if vs, found := ctx.get(s.text); (!found || len(vs) != 1) && !s.hasDef {
			return nil, false
		}
	}
	return p.tokens(ctx), true
}

func (p *pattern) tokens(ctx Context) []rune {
	var out []rune
	for _, s := range p.segs {
		switch s.kind {
		case segStar:
			out = append(out, tokStar)
		case segQuest:
			out = append(out, tokQuest)
		case segLit:
			out = append(out, []rune(s.text)...)
		case segVar:
			v := s.def
			if vs, ok := ctx.get(s.text); ok && len(vs) == 1 {
				v = vs[0]
			}
			out = append(out, []rune(v)...)
		}
	}
	return out
}

// glob reports whether the token pattern p matches all of s.
func glob(p []rune, s string) bool {
	// Iterative wildcard matching with one backtrack point: O(len(p) *
	// len(s)) at worst, no recursion, so no input can make it blow up.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		r, size := utf8.DecodeRuneInString(s[si:])
		if pi < len(p) && (p[pi] == tokQuest || p[pi] == r) {
			pi++
			si += size
			continue
		}
		if pi < len(p) && p[pi] == tokStar {
			starP, starS = pi, si
			pi++
			continue
		}
		if starP >= 0 {
			_, size := utf8.DecodeRuneInString(s[starS:])
			starS += size
			pi, si = starP+1, starS
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == tokStar {
		pi++
	}
	return pi == len(p)
}

// literal returns the token pattern as plain text (wildcard tokens never
// occur in patterns compiled without wildcards).
func literal(toks []rune) string { return string(toks) }

// matchARN matches an ARN pattern against an ARN the way IAM does for
// Resource and the Arn* condition operators: each of the six
// colon-separated parts separately (the last one, the resource, may hold
// more colons), so a wildcard never reaches across parts. A pattern that is
// not a six-part ARN ("*", say) is matched against the whole string.
func matchARN(p []rune, s string) bool {
	pp := splitTokens(p, ':', 6)
	if len(pp) != 6 {
		return glob(p, s)
	}
	sp := strings.SplitN(s, ":", 6)
	if len(sp) != 6 {
		return false
	}
	for i := range pp {
		if !glob(pp[i], sp[i]) {
			return false
		}
	}
	return true
}

// splitTokens splits toks at literal sep runes into at most n parts.
func splitTokens(toks []rune, sep rune, n int) [][]rune {
	var parts [][]rune
	start := 0
	for i, t := range toks {
		if len(parts) == n-1 {
			break
		}
		if t == sep {
			parts = append(parts, toks[start:i])
			start = i + 1
		}
	}
	return append(parts, toks[start:])
}
