package kmsapi

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keyhold/keyhold"
)

// This file is the hand-written half of validation; the generated check
// functions and validate methods call it. It produces AWS's messages:
//
//	1 validation error detected: Value 'FOO' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [...]
//	2 validation errors detected: <first>; <second>
//
// Nothing here allocates unless a constraint fails: paths are linked lists
// of stack values and are only rendered into text on failure.

// validator collects the failures of one Validate call.
type validator struct {
	msgs []string
}

// path is the position of a value in the request, as AWS names it: member
// names with their first letter lowercased, list elements as "<i>.member"
// (1-based), joined by dots: "tags.1.member.tagValue".
type path struct {
	parent *path
	name   string // member name; "" for a list element or map entry
	index  int    // 1-based list index when name == "" and key == nil
	key    *string
}

func (p *path) String() string {
	// Two passes over the chain, copying bytes rather than keeping
	// references, so that the nodes (stack values) do not escape.
	var scratch [32]byte
	size := -1
	for q := p; q != nil; q = q.parent {
		size += len(q.segment(scratch[:0])) + 1
	}
	b := make([]byte, size)
	i := size
	for q := p; q != nil; q = q.parent {
		s := q.segment(scratch[:0])
		i -= len(s)
		copy(b[i:], s)
		if q.parent != nil {
			i--
			b[i] = '.'
		}
	}
	return string(b)
}

// segment appends the node's part of the path to buf.
func (p *path) segment(buf []byte) []byte {
	switch {
	case p.name != "":
		return append(buf, p.name...)
	case p.key != nil:
		return append(buf, *p.key...)
	}
	return append(strconv.AppendInt(buf, int64(p.index), 10), ".member"...)
}

func (c *validator) add(msg string) { c.msgs = append(c.msgs, msg) }

// null reports a required member that is absent (or null).
func (c *validator) null(p *path) {
	c.add("Value null at '" + p.String() + "' failed to satisfy constraint: Member must not be null")
}

// fail reports a constraint failure, quoting the value as AWS does.
func (c *validator) fail(p *path, value, constraint string) {
	c.add("Value '" + value + "' at '" + p.String() + "' failed to satisfy constraint: " + constraint)
}

// failHidden reports a constraint failure of a sensitive value without the
// value, as AWS does: "Value at 'plaintext' failed to satisfy constraint".
func (c *validator) failHidden(p *path, constraint string) {
	c.add("Value at '" + p.String() + "' failed to satisfy constraint: " + constraint)
}

// err returns the ValidationException for the failures, or nil.
func (c *validator) err() error {
	switch len(c.msgs) {
	case 0:
		return nil
	case 1:
		return &keyhold.Error{Code: keyhold.ErrCodeValidation, Message: "1 validation error detected: " + c.msgs[0]}
	}
	return &keyhold.Error{
		Code:    keyhold.ErrCodeValidation,
		Message: strconv.Itoa(len(c.msgs)) + " validation errors detected: " + strings.Join(c.msgs, "; "),
	}
}

// lenUTF16 is the length AWS's length constraints count: UTF-16 code units
// (Java's String.length()), so a character outside the BMP counts twice.
func lenUTF16(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			n := 0
			for _, r := range s {
				n++
				if r >= 0x10000 {
					n++
				}
			}
			return n
		}
	}
	return len(s)
}

// blobValue is how AWS's Java front end shows a blob in a message: the
// toString of a java.nio.ByteBuffer, which gives the length and nothing of
// the content. Blobs of sensitive shapes are not shown at all.
func blobValue(n int) string {
	l := strconv.Itoa(n)
	return "java.nio.HeapByteBuffer[pos=0 lim=" + l + " cap=" + l + "]"
}

// listValue shows a list of strings as Java's List.toString does: [a, b].
func listValue[S ~string](l []S) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range l {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(s))
	}
	b.WriteByte(']')
	return b.String()
}

func itoa(n int32) string { return strconv.FormatInt(int64(n), 10) }
