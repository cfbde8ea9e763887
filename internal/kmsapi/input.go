package kmsapi

import "github.com/keyhold/keyhold"

// Input is the decoded request of one operation: a *<Operation>Input.
type Input interface {
	// OperationName is the operation's name as in X-Amz-Target
	// ("TrentService.<OperationName>").
	OperationName() string
	// Validate checks the request against every constraint of the model
	// (required members, lengths, ranges, patterns, enums), in and below
	// the request, and returns a *keyhold.Error with code
	// ValidationException listing all failures, or nil. It does not check
	// rules the model states only in prose (for example "KeySpec or
	// NumberOfBytes, not both"); the service does.
	Validate() error

	decodeJSON(*decoder) error
}

// DecodeInput decodes body, the JSON request of operation op, into a new
// *<op>Input. It does not validate; call Validate on the result.
//
// An empty body is read as {}. Members are matched by their exact wire
// names; unknown members are ignored and null means absent, as AWS does.
// Errors are *keyhold.Error values: UnknownOperationException for an
// unknown op, SerializationException (with AWS's message, or none for
// malformed JSON as AWS sends none) when body is not a JSON object of the
// operation's shape, and ValidationException for a number too large for
// an integer member (beyond int32), worded as the member's range
// constraint as AWS does. No error quotes a blob.
func DecodeInput(op string, body []byte) (Input, error) {
	in := NewInput(op)
	if in == nil {
		return nil, &keyhold.Error{Code: keyhold.ErrCodeUnknownOperation}
	}
	if err := decodeObject(in, body); err != nil {
		if e, ok := err.(*decodeError); ok {
			return nil, e.toKeyhold()
		}
		return nil, err
	}
	return in, nil
}
