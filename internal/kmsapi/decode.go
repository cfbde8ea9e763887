package kmsapi

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
)

// This file is the hand-written half of request decoding: a strict RFC 8259
// reader that the generated decodeJSON methods drive member by member.
//
// Why not encoding/json: it matches member names case-insensitively (AWS
// matches them exactly and ignores "keyid"), it cannot tell us which JSON type
// arrived where another was expected in the words AWS uses, and it accepts
// invalid UTF-8 by rewriting it. The generated code knows every member's type,
// so the reader only has to be strict and fast; it never uses reflection.
//
// The messages of SerializationException are the ones AWS's JSON 1.1 front
// end (Coral) sends. They were measured against real AWS by others; see
// messages.go for the sources. None of them ever quotes a value from the
// request, so no plaintext can leak through them.

// maxDepth bounds the nesting of values the reader skips (unknown members).
// The model's own shapes nest at most four levels.
const maxDepth = 512

// decoder reads one JSON document held in memory.
type decoder struct {
	data  []byte
	off   int
	depth int
}

// kind is the JSON type of the next value, decided by its first byte.
type kind uint8

const (
	kindEOF kind = iota
	kindInvalid
	kindObject
	kindArray
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindNull
)

// target is the kind of Go value a member decodes into; together with the
// JSON kind found it picks the SerializationException message.
type target uint8

const (
	targetString target = iota
	targetInteger
	targetBoolean
	targetTimestamp
	targetBlob
	targetList
	targetMap
	targetStructure
)

// decodeError is a failure found while decoding. Most are
// SerializationExceptions with a fixed message (shared, immutable values).
// A number too large for an integer member is reported the way AWS reports
// it, as a ValidationException of that member's range; those carry the
// member path, built innermost first while the error unwinds.
type decodeError struct {
	message string // SerializationException message; "" for malformed JSON

	validation bool
	value      string   // the number as sent
	constraint string   // "Member must have value ..."
	path       []string // innermost segment first
}

func (e *decodeError) Error() string { return e.toKeyhold().Error() }

// toKeyhold turns e into the error a client sees.
func (e *decodeError) toKeyhold() *keyhold.Error {
	if !e.validation {
		return &keyhold.Error{Code: keyhold.ErrCodeSerialization, Message: e.message}
	}
	var c validator
	c.add("Value '" + e.value + "' at '" + joinReversed(e.path) + "' failed to satisfy constraint: " + e.constraint)
	return c.err().(*keyhold.Error)
}

func joinReversed(segs []string) string {
	s := ""
	for i := len(segs) - 1; i >= 0; i-- {
		s += segs[i]
		if i > 0 {
			s += "."
		}
	}
	return s
}

// atMember adds the member name (lowerCamel) to the path of a validation
// error raised inside that member; other errors pass through.
func atMember(err error, name string) error {
	if e, ok := err.(*decodeError); ok && e.validation {
		e.path = append(e.path, name)
	}
	return err
}

// atIndex adds "<i>.member" for the i-th (1-based) element of a list.
func atIndex(err error, i int) error {
	if e, ok := err.(*decodeError); ok && e.validation {
		e.path = append(e.path, "member", strconv.Itoa(i))
	}
	return err
}

// decodeObject fills v from body, which must hold one JSON object. An empty
// body counts as {} (keyhold's choice; see DecodeInput).
func decodeObject(v interface{ decodeJSON(*decoder) error }, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	d := decoder{data: body}
	switch d.peek() {
	case kindObject:
	case kindArray:
		// AWS names a top-level array; every other non-object body gets a
		// bare SerializationException.
		return errStartOfList
	default:
		return errMalformed
	}
	if err := v.decodeJSON(&d); err != nil {
		return err
	}
	d.skipSpace()
	if d.off != len(d.data) {
		return errMalformed
	}
	return nil
}

func (d *decoder) skipSpace() {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return
		}
	}
}

// peek skips white space and reports the kind of the next value.
func (d *decoder) peek() kind {
	d.skipSpace()
	if d.off >= len(d.data) {
		return kindEOF
	}
	switch c := d.data[d.off]; c {
	case '{':
		return kindObject
	case '[':
		return kindArray
	case '"':
		return kindString
	case 't':
		return kindTrue
	case 'f':
		return kindFalse
	case 'n':
		return kindNull
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			return kindNumber
		}
		return kindInvalid
	}
}

// literal consumes the keyword lit ("true", "false" or "null").
func (d *decoder) literal(lit string) error {
	if len(d.data)-d.off < len(lit) || string(d.data[d.off:d.off+len(lit)]) != lit {
		return errMalformed
	}
	d.off += len(lit)
	return nil
}

// openObject consumes the '{' that peek found.
func (d *decoder) openObject() { d.off++ }

// member advances to the n-th (0-based) member of the object being read and
// returns its name. more is false once the closing '}' is consumed.
func (d *decoder) member(n int) (key []byte, more bool, err error) {
	d.skipSpace()
	if d.off >= len(d.data) {
		return nil, false, errMalformed
	}
	switch c := d.data[d.off]; {
	case c == '}':
		d.off++
		return nil, false, nil
	case n > 0 && c == ',':
		d.off++
		d.skipSpace()
	case n > 0:
		return nil, false, errMalformed
	}
	if d.off >= len(d.data) || d.data[d.off] != '"' {
		return nil, false, errMalformed
	}
	raw, escaped, err := d.scanString()
	if err != nil {
		return nil, false, err
	}
	if escaped {
		raw = []byte(unescape(raw))
	}
	d.skipSpace()
	if d.off >= len(d.data) || d.data[d.off] != ':' {
		return nil, false, errMalformed
	}
	d.off++
	return raw, true, nil
}

// element advances to the n-th (0-based) element of the array being read.
// more is false once the closing ']' is consumed.
func (d *decoder) element(n int) (more bool, err error) {
	d.skipSpace()
	if d.off >= len(d.data) {
		return false, errMalformed
	}
	switch c := d.data[d.off]; {
	case c == ']':
		d.off++
		return false, nil
	case n > 0 && c == ',':
		d.off++
		if k := d.peek(); k == kindEOF || k == kindInvalid {
			return false, errMalformed // "[1,]" or "[1,"
		}
	case n > 0:
		return false, errMalformed
	}
	return true, nil
}

// scanString consumes a string (d.off at its opening quote) and returns its
// raw bytes between the quotes, checked for well-formedness: valid escapes,
// no control characters, valid UTF-8 (AWS's parser rejects invalid UTF-8
// too; encoding/json would silently replace it).
func (d *decoder) scanString() (raw []byte, escaped bool, err error) {
	start := d.off + 1
	i := start
	for i < len(d.data) {
		// Fast path: the bytes that need no attention.
		for i < len(d.data) && plain[d.data[i]] {
			i++
		}
		if i >= len(d.data) {
			break
		}
		c := d.data[i]
		switch {
		case c == '"':
			d.off = i + 1
			return d.data[start:i], escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d.data) {
				return nil, false, errMalformed
			}
			switch d.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d.data) {
					return nil, false, errMalformed
				}
				for _, h := range d.data[i+2 : i+6] {
					if unhex(h) < 0 {
						return nil, false, errMalformed
					}
				}
				i += 6
			default:
				return nil, false, errMalformed
			}
		case c < 0x20:
			return nil, false, errMalformed
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false, errMalformed
			}
			i += size
		}
	}
	return nil, false, errMalformed
}

// plain[c] is true for the string bytes scanString passes over: printable
// ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func unhex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

func hex4(b []byte) rune {
	return unhex(b[0])<<12 | unhex(b[1])<<8 | unhex(b[2])<<4 | unhex(b[3])
}

// unescape decodes the escapes of raw, which scanString has checked. A lone
// UTF-16 surrogate (legal in JSON, not representable in a Go string) becomes
// U+FFFD, as encoding/json does.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			out = append(out, raw[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); r2 != utf8.RuneError {
						out = utf8.AppendRune(out, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		}
		i += 2
	}
	return string(out)
}

// scanNumber consumes a number and returns its text, checked against the
// JSON grammar -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *decoder) scanNumber() ([]byte, error) {
	b, i := d.data, d.off
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return nil, errMalformed
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, errMalformed
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, errMalformed
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	lit := b[d.off:i]
	d.off = i
	return lit, nil
}

// skip consumes one value of any kind (an unknown member's value).
func (d *decoder) skip() error {
	switch d.peek() {
	case kindObject:
		if d.depth++; d.depth > maxDepth {
			return errMalformed
		}
		d.openObject()
		for n := 0; ; n++ {
			_, more, err := d.member(n)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			if err := d.skip(); err != nil {
				return err
			}
		}
		d.depth--
		return nil
	case kindArray:
		if d.depth++; d.depth > maxDepth {
			return errMalformed
		}
		d.off++
		for n := 0; ; n++ {
			more, err := d.element(n)
			if err != nil {
				return err
			}
			if !more {
				break
			}
			if err := d.skip(); err != nil {
				return err
			}
		}
		d.depth--
		return nil
	case kindString:
		_, _, err := d.scanString()
		return err
	case kindNumber:
		_, err := d.scanNumber()
		return err
	case kindTrue:
		return d.literal("true")
	case kindFalse:
		return d.literal("false")
	case kindNull:
		return d.literal("null")
	default:
		return errMalformed
	}
}
