package audit

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// appendRedacted writes v as JSON the way CloudTrail shows request
// parameters: members in lowerCamelCase, nil members left out, and every
// redacted member (and every []byte, whatever its name) dropped without
// being encoded at all, so plaintext never even passes through the
// encoder. It handles the kinds the generated API types use; ok is false
// for anything else, and Redact then falls back to the generic path.
func appendRedacted(b []byte, v reflect.Value, depth int) ([]byte, bool) {
	if depth > 32 {
		return b, false
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		if t, ok := v.Interface().(interface{ Time() time.Time }); ok && v.Kind() == reflect.Pointer {
			return strconv.AppendQuote(b, FormatTime(t.Time())), true
		}
		return appendRedacted(b, v.Elem(), depth+1)
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return strconv.AppendQuote(b, FormatTime(t)), true
		}
		if t, ok := v.Interface().(interface{ Time() time.Time }); ok {
			return strconv.AppendQuote(b, FormatTime(t.Time())), true
		}
		b = append(b, '{')
		first := true
		tp := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := tp.Field(i)
			if !f.IsExported() || redacted[f.Name] {
				continue
			}
			fv := v.Field(i)
			switch fv.Kind() {
			case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
				if fv.IsNil() {
					continue
				}
			}
			if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Uint8 {
				continue // blobs never enter the audit trail
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, lowerFirst(f.Name))
			b = append(b, ':')
			var ok bool
			if b, ok = appendRedacted(b, fv, depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return b, false
		}
		// Encryption contexts: keys as the caller wrote them, sorted (as
		// json.Marshal writes a map).
		kv := make([][2]string, 0, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			kv = append(kv, [2]string{iter.Key().String(), iter.Value().String()})
		}
		slices.SortFunc(kv, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
		b = append(b, '{')
		for i, e := range kv {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, e[0])
			b = append(b, ':')
			b = appendJSONString(b, e[1])
		}
		return append(b, '}'), true
	case reflect.Slice:
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendRedacted(b, v.Index(i), depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case reflect.String:
		s := v.String()
		if !utf8.ValidString(s) {
			return b, false
		}
		return appendJSONString(b, s), true
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), true
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64), true
	}
	return b, false
}
