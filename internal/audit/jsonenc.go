package audit

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// The audit writer is on every request's path, so events are encoded by
// hand rather than through encoding/json's reflection: appendEvent writes
// exactly the bytes json.Marshal would write for an Event (same member
// order, omitempty, escaping), which TestAppendEventMatchesMarshal checks.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it by default: control characters, quote and backslash; <, > and
// & as \u003c, \u003e, \u0026; U+2028 and U+2029; invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

var errInvalidRaw = errors.New("audit: a raw JSON member of the event is not valid JSON")

// appendRaw appends a raw JSON member; nil or empty is null, as
// json.Marshal writes a nil json.RawMessage.
func appendRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return append(b, "null"...), nil
	}
	if !json.Valid(raw) {
		return b, errInvalidRaw
	}
	return append(b, raw...), nil
}

// appendMember appends ,"name":"value" (or without the comma first).
func appendMember(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

// appendOmitEmpty appends ,"name":"value" unless value is empty (a member
// tagged omitempty).
func appendOmitEmpty(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendMember(b, name, value)
}

// appendEventBody appends the event's JSON without its chain member and
// without the closing brace: the writer adds the chain, which it knows only
// when the event takes its place in the log.
func appendEventBody(b []byte, ev *Event) ([]byte, error) {
	var err error
	b = append(b, `{"eventVersion":`...)
	b = appendJSONString(b, ev.EventVersion)
	if u := ev.UserIdentity; u != nil {
		b = append(b, `,"userIdentity":{"type":`...)
		b = appendJSONString(b, u.Type)
		b = appendOmitEmpty(b, "principalId", u.PrincipalID)
		b = appendOmitEmpty(b, "arn", u.ARN)
		b = appendOmitEmpty(b, "accountId", u.AccountID)
		b = appendOmitEmpty(b, "accessKeyId", u.AccessKeyID)
		b = appendOmitEmpty(b, "userName", u.UserName)
		if len(u.SessionContext) > 0 {
			b = append(b, `,"sessionContext":`...)
			if b, err = appendRaw(b, u.SessionContext); err != nil {
				return b, err
			}
		}
		b = appendOmitEmpty(b, "invokedBy", u.InvokedBy)
		b = append(b, '}')
	}
	b = appendMember(b, "eventTime", ev.EventTime)
	b = appendMember(b, "eventSource", ev.EventSource)
	b = appendMember(b, "eventName", ev.EventName)
	b = appendMember(b, "awsRegion", ev.AWSRegion)
	b = appendOmitEmpty(b, "sourceIPAddress", ev.SourceIPAddress)
	b = appendOmitEmpty(b, "userAgent", ev.UserAgent)
	b = appendOmitEmpty(b, "errorCode", ev.ErrorCode)
	b = appendOmitEmpty(b, "errorMessage", ev.ErrorMessage)
	b = append(b, `,"requestParameters":`...)
	if b, err = appendRaw(b, ev.RequestParameters); err != nil {
		return b, err
	}
	b = append(b, `,"responseElements":`...)
	if b, err = appendRaw(b, ev.ResponseElements); err != nil {
		return b, err
	}
	if len(ev.AdditionalData) > 0 {
		b = append(b, `,"additionalEventData":`...)
		if b, err = appendRaw(b, ev.AdditionalData); err != nil {
			return b, err
		}
	}
	b = appendOmitEmpty(b, "requestID", ev.RequestID)
	b = appendMember(b, "eventID", ev.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, ev.ReadOnly)
	if len(ev.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, r := range ev.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if r.AccountID != "" {
				b = append(b, `"accountId":`...)
				b = appendJSONString(b, r.AccountID)
				b = append(b, ',')
			}
			b = append(b, `"type":`...)
			b = appendJSONString(b, r.Type)
			b = appendMember(b, "ARN", r.ARN)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendMember(b, "eventType", ev.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, ev.ManagementEvent)
	b = appendMember(b, "recipientAccountId", ev.RecipientAccountID)
	b = appendMember(b, "eventCategory", ev.EventCategory)
	return b, nil
}

// appendChain appends the chain member and closes the record.
func appendChain(b []byte, seq uint64, prevHash string) []byte {
	b = append(b, `,"keyholdChain":{"sequence":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"previousHash":`...)
	b = appendJSONString(b, prevHash)
	return append(b, '}', '}')
}
