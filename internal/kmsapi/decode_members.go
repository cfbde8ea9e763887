package kmsapi

import (
	"encoding/base64"
	"strconv"
)

// The readers of member values that the generated decodeJSON methods call,
// one per kind of member. Each accepts null as "absent", reports a JSON
// value of the wrong type with AWS's message (mismatch), and otherwise sets
// the member.

// null consumes a null if one is next and reports whether it did. AWS treats
// a member whose value is null as absent.
func (d *decoder) null() (bool, error) {
	if d.peek() != kindNull {
		return false, nil
	}
	return true, d.literal("null")
}

// str reads a string value for a member of type t.
func (d *decoder) str(t target) (string, error) {
	k := d.peek()
	if k != kindString {
		return "", mismatch(k, t)
	}
	raw, escaped, err := d.scanString()
	if err != nil {
		return "", err
	}
	if escaped {
		return unescape(raw), nil
	}
	return string(raw), nil
}

// decodeString reads a string, enum or sensitive string member.
func decodeString[S ~string](d *decoder, p **S) error {
	if isNull, err := d.null(); isNull || err != nil {
		*p = nil
		return err
	}
	s, err := d.str(targetString)
	if err != nil {
		return err
	}
	v := S(s)
	*p = &v
	return nil
}

// decodeBool reads a boolean member.
func (d *decoder) decodeBool(p **bool) error {
	var v bool
	switch k := d.peek(); k {
	case kindNull:
		*p = nil
		return d.literal("null")
	case kindTrue:
		v = true
		if err := d.literal("true"); err != nil {
			return err
		}
	case kindFalse:
		if err := d.literal("false"); err != nil {
			return err
		}
	default:
		return mismatch(k, targetBoolean)
	}
	*p = &v
	return nil
}

// decodeInt32 reads an integer member whose model range is lo..hi.
//
// A fraction is cut off (1.9 reads as 1), as AWS does. A number outside the
// int32 range cannot be held, so it is reported as the ValidationException of
// the member's range that AWS answers for it, quoting the number as sent.
func (d *decoder) decodeInt32(p **int32, lo, hi int64) error {
	k := d.peek()
	if k == kindNull {
		*p = nil
		return d.literal("null")
	}
	if k != kindNumber {
		return mismatch(k, targetInteger)
	}
	lit, err := d.scanNumber()
	if err != nil {
		return err
	}
	n, inRange := parseInt32(lit)
	if !inRange {
		e := &decodeError{validation: true, value: string(lit)}
		if lit[0] == '-' {
			e.constraint = "Member must have value greater than or equal to " + strconv.FormatInt(lo, 10)
		} else {
			e.constraint = "Member must have value less than or equal to " + strconv.FormatInt(hi, 10)
		}
		return e
	}
	*p = &n
	return nil
}

// parseInt32 converts a JSON number to an int32, truncating any fraction.
func parseInt32(lit []byte) (int32, bool) {
	sec, _, ok := parseDecimal(lit)
	if !ok || sec < -1<<31 || sec > 1<<31-1 {
		return 0, false
	}
	return int32(sec), true
}

// decodeTimestamp reads a timestamp member: epoch seconds as a JSON number.
func (d *decoder) decodeTimestamp(p **Timestamp) error {
	k := d.peek()
	if k == kindNull {
		*p = nil
		return d.literal("null")
	}
	if k != kindNumber {
		return mismatch(k, targetTimestamp)
	}
	lit, err := d.scanNumber()
	if err != nil {
		return err
	}
	t, ok := parseEpoch(lit)
	if !ok {
		return errTimestampRange
	}
	*p = &t
	return nil
}

// decodeBlob reads a blob member: standard base64 with padding. The bytes
// (possibly plaintext) never appear in an error.
func decodeBlob[B ~[]byte](d *decoder, p *B) error {
	k := d.peek()
	if k == kindNull {
		*p = nil
		return d.literal("null")
	}
	if k != kindString {
		return mismatch(k, targetBlob)
	}
	raw, escaped, err := d.scanString()
	if err != nil {
		return err
	}
	if escaped {
		raw = []byte(unescape(raw))
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Strict().Decode(out, raw)
	if err != nil {
		return base64Error(raw)
	}
	*p = B(out[:n])
	return nil
}

// base64Error explains why raw is not acceptable base64.
func base64Error(raw []byte) error {
	n := 0
	invalid := false
	for _, c := range raw {
		switch {
		case c == '\r' || c == '\n':
			continue
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/', c == '=':
		default:
			invalid = true
		}
		n++
	}
	if n%4 != 0 {
		return &decodeError{message: "Base64 encoded length is expected a multiple of 4 bytes but found: " + strconv.Itoa(n)}
	}
	if invalid {
		return errBase64Char
	}
	return errBase64LastChar
}

// list begins reading a list member. It returns false (and sets nothing) for
// null.
func (d *decoder) list() (bool, error) {
	switch k := d.peek(); k {
	case kindNull:
		return false, d.literal("null")
	case kindArray:
		if d.depth++; d.depth > maxDepth {
			return false, errMalformed
		}
		d.off++
		return true, nil
	default:
		return false, mismatch(k, targetList)
	}
}

// decodeStringList reads a list of strings or enum values. Null elements are
// dropped, as AWS does.
func decodeStringList[S ~string](d *decoder, p *[]S) error {
	ok, err := d.list()
	if !ok || err != nil {
		*p = nil
		return err
	}
	l := []S{}
	for n := 0; ; n++ {
		more, err := d.element(n)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if isNull, err := d.null(); isNull || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		s, err := d.str(targetString)
		if err != nil {
			return err
		}
		l = append(l, S(s))
	}
	d.depth--
	*p = l
	return nil
}

// decodeStructList reads a list of structures. Null elements are dropped.
func decodeStructList[T any, PT interface {
	*T
	decodeJSON(*decoder) error
}](d *decoder, p *[]T) error {
	ok, err := d.list()
	if !ok || err != nil {
		*p = nil
		return err
	}
	l := []T{}
	for n := 0; ; n++ {
		more, err := d.element(n)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		switch k := d.peek(); k {
		case kindNull:
			if err := d.literal("null"); err != nil {
				return err
			}
			continue
		case kindObject:
		default:
			return mismatch(k, targetStructure)
		}
		var v T
		if err := PT(&v).decodeJSON(d); err != nil {
			return atIndex(err, len(l)+1)
		}
		l = append(l, v)
	}
	d.depth--
	*p = l
	return nil
}

// decodeStringMap reads a map of strings (EncryptionContextType). A null
// value drops its entry, like a null list element; a repeated key keeps the
// last value.
func decodeStringMap[K ~string, V ~string](d *decoder, p *map[K]V) error {
	switch k := d.peek(); k {
	case kindNull:
		*p = nil
		return d.literal("null")
	case kindObject:
	default:
		return mismatch(k, targetMap)
	}
	if d.depth++; d.depth > maxDepth {
		return errMalformed
	}
	d.openObject()
	m := map[K]V{}
	for n := 0; ; n++ {
		key, more, err := d.member(n)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		if isNull, err := d.null(); isNull || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		s, err := d.str(targetString)
		if err != nil {
			return err
		}
		m[K(key)] = V(s)
	}
	d.depth--
	*p = m
	return nil
}

// decodeStruct reads a structure member.
func decodeStruct[T any, PT interface {
	*T
	decodeJSON(*decoder) error
}](d *decoder, p **T) error {
	switch k := d.peek(); k {
	case kindNull:
		*p = nil
		return d.literal("null")
	case kindObject:
	default:
		return mismatch(k, targetStructure)
	}
	if d.depth++; d.depth > maxDepth {
		return errMalformed
	}
	v := new(T)
	if err := PT(v).decodeJSON(d); err != nil {
		return err
	}
	d.depth--
	*p = v
	return nil
}
