package kmsapi

import (
	"strconv"
	"time"
)

// Timestamp is the model's timestamp shape (DateType). On the wire it is a
// JSON number of seconds since the Unix epoch, with a fraction when the time
// has one (1700000000.123); AWS itself sends forms like 1.700000000123E9,
// which are read too. Precision is the nanosecond; the range is the years
// 1 to 9999.
type Timestamp time.Time

// NewTimestamp returns a *Timestamp for t, for filling output members.
func NewTimestamp(t time.Time) *Timestamp {
	ts := Timestamp(t.Round(0).UTC())
	return &ts
}

// Time returns t as a time.Time in UTC.
func (t Timestamp) Time() time.Time { return time.Time(t) }

// Equal reports whether t and u are the same instant.
func (t Timestamp) Equal(u Timestamp) bool { return time.Time(t).Equal(time.Time(u)) }

// String formats t as RFC 3339 with nanoseconds.
func (t Timestamp) String() string { return time.Time(t).UTC().Format(time.RFC3339Nano) }

// MarshalJSON writes t as epoch seconds.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return appendEpoch(nil, time.Time(t)), nil
}

// UnmarshalJSON reads epoch seconds, for encoding/json users (tests,
// clients). The server decodes requests with DecodeInput instead.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	d := decoder{data: b}
	if d.peek() != kindNumber {
		return mismatch(d.peek(), targetTimestamp)
	}
	lit, err := d.scanNumber()
	if err != nil {
		return err
	}
	if d.skipSpace(); d.off != len(b) {
		return errMalformed
	}
	v, ok := parseEpoch(lit)
	if !ok {
		return errTimestampRange
	}
	*t = v
	return nil
}

const (
	minEpoch = -62135596800 // 0001-01-01T00:00:00Z
	maxEpoch = 253402300799 // 9999-12-31T23:59:59Z
)

// appendEpoch appends t as a JSON number of epoch seconds: the shortest
// exact decimal, so that reading it back gives the same time.
func appendEpoch(b []byte, t time.Time) []byte {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	if nsec == 0 {
		return strconv.AppendInt(b, sec, 10)
	}
	if sec < 0 {
		// -1.5 s is sec -2 + 0.5 s.
		sec++
		nsec = 1e9 - nsec
		b = append(b, '-')
		if sec < 0 {
			sec = -sec
		}
	}
	b = strconv.AppendInt(b, sec, 10)
	var frac [10]byte
	frac[0] = '.'
	for i := 9; i >= 1; i-- {
		frac[i] = byte('0' + nsec%10)
		nsec /= 10
	}
	n := 10
	for frac[n-1] == '0' {
		n--
	}
	return append(b, frac[:n]...)
}

// parseEpoch converts a JSON number of epoch seconds to a Timestamp.
func parseEpoch(lit []byte) (Timestamp, bool) {
	sec, nsec, ok := parseDecimal(lit)
	if !ok || sec < minEpoch || sec > maxEpoch || (sec == maxEpoch && nsec > 0) || (sec == minEpoch && nsec < 0) {
		return Timestamp{}, false
	}
	return Timestamp(time.Unix(sec, nsec).UTC()), true
}

// parseDecimal splits a JSON number (already checked against the grammar)
// into its integer part and nanoseconds, both truncated toward zero and
// carrying the number's sign, exactly (no floating point). ok is false when
// the integer part has more than 15 digits.
func parseDecimal(lit []byte) (intPart, nanos int64, ok bool) {
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	mant, exp := lit, 0
	for i, c := range lit {
		if c == 'e' || c == 'E' {
			mant = lit[:i]
			e, err := strconv.Atoi(string(lit[i+1:]))
			if err != nil {
				// More exponent digits than an int holds: the number is
				// either enormous or as good as zero.
				if lit[i+1] == '-' {
					return 0, 0, true
				}
				return 0, 0, false
			}
			exp = e
			break
		}
	}
	// digits holds the mantissa without its point; point is where the
	// decimal point sits in digits once the exponent is applied.
	var buf [64]byte
	digits := buf[:0]
	point := -1
	for _, c := range mant {
		if c == '.' {
			point = len(digits)
			continue
		}
		if len(digits) == 0 && c == '0' && point < 0 {
			continue // leading zero of the integer part
		}
		digits = append(digits, c)
	}
	if point < 0 {
		point = len(digits)
	}
	// Drop the leading zeros of a fraction like 0.000123 by moving the point.
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
		point--
	}
	if len(digits) == 0 {
		return 0, 0, true
	}
	if exp > 1000 || point+exp > 15 {
		return 0, 0, false
	}
	if exp < -1000 {
		return 0, 0, true
	}
	point += exp
	for i := 0; i < point; i++ {
		d := int64(0)
		if i < len(digits) {
			d = int64(digits[i] - '0')
		}
		intPart = intPart*10 + d
	}
	for i := point; i < point+9; i++ {
		d := int64(0)
		if i >= 0 && i < len(digits) {
			d = int64(digits[i] - '0')
		}
		nanos = nanos*10 + d
	}
	if neg {
		intPart, nanos = -intPart, -nanos
	}
	return intPart, nanos, true
}
