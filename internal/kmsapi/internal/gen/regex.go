package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// javaToRE2 translates a pattern of the model (java.util.regex syntax, as
// AWS's Java front end evaluates it) into Go RE2 syntax with the same
// meaning, anchored so that it must match the whole value, as AWS applies
// it (Matcher.matches). It handles what the model uses and refuses anything
// else rather than guess:
//
//   - \uXXXX becomes \x{XXXX};
//   - \s is Java's [ \t\n\x0B\f\r] (RE2's \s lacks \x0B);
//   - . is Java's "any character but a line terminator"
//     [^\n\r\x{85}\x{2028}\x{2029}] (RE2's . only excludes \n);
//   - a '-' in a class that Java reads as a literal is escaped;
//   - \d and \w are ASCII in both; $ at the end is the end of the value in
//     both once the whole pattern is anchored with ^(?:...)$.
func javaToRE2(p string) (string, error) {
	t := &translator{src: []rune(p)}
	out, err := t.run()
	if err != nil {
		return "", fmt.Errorf("pattern %q: %w", p, err)
	}
	out = "^(?:" + out + ")$"
	if _, err := regexp.Compile(out); err != nil {
		return "", fmt.Errorf("pattern %q: translated %q does not compile: %w", p, out, err)
	}
	return out, nil
}

type translator struct {
	src []rune
	i   int
	out strings.Builder
}

const javaSpace = `\t\n\x0B\f\r `

func (t *translator) run() (string, error) {
	for t.i < len(t.src) {
		c := t.src[t.i]
		switch c {
		case '\\':
			r, class, err := t.escape()
			if err != nil {
				return "", err
			}
			switch {
			case class == `\s`:
				t.out.WriteString("[" + javaSpace + "]")
			case class == `\S`:
				t.out.WriteString("[^" + javaSpace + "]")
			case class != "":
				t.out.WriteString(class)
			default:
				t.out.WriteString(literal(r, false))
			}
		case '[':
			if err := t.class(); err != nil {
				return "", err
			}
		case '.':
			t.i++
			t.out.WriteString(`[^\n\r\x{85}\x{2028}\x{2029}]`)
		case '(':
			if t.i+1 < len(t.src) && t.src[t.i+1] == '?' {
				return "", fmt.Errorf("unsupported group construct at %d", t.i)
			}
			t.i++
			t.out.WriteRune(c)
		case '*', '+', '?', '}':
			t.i++
			t.out.WriteRune(c)
			if t.i < len(t.src) && t.src[t.i] == '+' {
				return "", fmt.Errorf("possessive quantifier at %d", t.i)
			}
		default:
			t.i++
			t.out.WriteRune(c)
		}
	}
	return t.out.String(), nil
}

// escape reads the escape at t.i. It returns either a literal rune or, for
// a predefined class, its RE2 text (\d, \w, ...; \s and \S for the caller to
// expand).
func (t *translator) escape() (r rune, class string, err error) {
	if t.i+1 >= len(t.src) {
		return 0, "", fmt.Errorf("trailing backslash")
	}
	c := t.src[t.i+1]
	t.i += 2
	switch c {
	case 'u':
		if t.i+4 > len(t.src) {
			return 0, "", fmt.Errorf("short \\u escape")
		}
		v, err := strconv.ParseUint(string(t.src[t.i:t.i+4]), 16, 32)
		if err != nil {
			return 0, "", fmt.Errorf("bad \\u escape: %w", err)
		}
		t.i += 4
		return rune(v), "", nil
	case 't':
		return '\t', "", nil
	case 'n':
		return '\n', "", nil
	case 'r':
		return '\r', "", nil
	case 'f':
		return '\f', "", nil
	case 'd', 'D', 'w', 'W', 's', 'S':
		return 0, `\` + string(c), nil
	}
	if c < unicode.MaxASCII && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
		return c, "", nil // escaped punctuation: the character itself
	}
	return 0, "", fmt.Errorf("unsupported escape \\%c", c)
}

// class translates a character class starting at t.i ('[').
func (t *translator) class() error {
	t.i++
	t.out.WriteByte('[')
	if t.i < len(t.src) && t.src[t.i] == '^' {
		t.out.WriteByte('^')
		t.i++
	}
	n := 0
	for {
		if t.i >= len(t.src) {
			return fmt.Errorf("unterminated class")
		}
		c := t.src[t.i]
		switch {
		case c == ']' && n > 0:
			t.i++
			t.out.WriteByte(']')
			return nil
		case c == '[' || (c == '&' && t.i+1 < len(t.src) && t.src[t.i+1] == '&'):
			return fmt.Errorf("nested class or intersection at %d", t.i)
		}
		lo, class, err := t.classAtom()
		if err != nil {
			return err
		}
		n++
		if class != "" {
			t.out.WriteString(class)
			continue
		}
		// A range needs a single character on both sides of the '-'; any
		// other '-' is a literal in Java.
		if t.i+1 < len(t.src) && t.src[t.i] == '-' && t.src[t.i+1] != ']' {
			t.i++
			hi, hiClass, err := t.classAtom()
			if err != nil {
				return err
			}
			if hiClass != "" || hi < lo {
				return fmt.Errorf("bad range at %d", t.i)
			}
			t.out.WriteString(literal(lo, true) + "-" + literal(hi, true))
			continue
		}
		t.out.WriteString(literal(lo, true))
	}
}

// classAtom reads one element of a class: a character or, for \d \w \s and
// their negations, RE2 class text.
func (t *translator) classAtom() (rune, string, error) {
	c := t.src[t.i]
	if c != '\\' {
		t.i++
		return c, "", nil
	}
	r, class, err := t.escape()
	switch class {
	case `\s`:
		return 0, javaSpace, err
	case `\S`:
		return 0, "", fmt.Errorf(`\S inside a class`)
	}
	return r, class, err
}

// literal writes r so that RE2 reads it as that character.
func literal(r rune, inClass bool) string {
	switch {
	case r < 0x20 || r > 0x7e:
		return fmt.Sprintf(`\x{%04X}`, r)
	case inClass && strings.ContainsRune(`\]^-[`, r):
		return `\` + string(r)
	case !inClass && strings.ContainsRune(`\.+*?()|[]{}^$`, r):
		return `\` + string(r)
	}
	return string(r)
}
