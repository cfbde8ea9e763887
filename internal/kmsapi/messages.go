package kmsapi

// SerializationException messages.
//
// AWS's JSON 1.1 services share one front end (Coral), so a wrong JSON type
// gets the same words from KMS as from Athena or DynamoDB. The messages below
// come from public recordings of real AWS responses:
//
//   - [athena] github.com/aoyagikouhei/athena-local,
//     docs/dev/measurements/errors.md and src/request.rs: 46+15 raw HTTP
//     requests against real Athena (AWS JSON 1.1), 2026-09-23. Source of
//     the STRING_VALUE/NUMBER_VALUE/TRUE_VALUE/FALSE_VALUE messages for
//     Integer and String targets, "Start of list found where not expected",
//     "Start of structure or map found where not expected." (with its final
//     period), "Expected list or null", "Expected null", of the bare
//     SerializationException (no message) for malformed JSON and for a body
//     that is null, a string or a number, and of the behaviours: null is
//     absent, null list elements are dropped, unknown members are ignored,
//     a fraction sent for an Integer is cut off, an Integer out of range is
//     a ValidationException of the member's range, type errors come before
//     model validation.
//   - [dynalite] github.com/architect/dynalite, test/helpers.js and
//     test/connection.js, recorded against real DynamoDB (AWS JSON 1.0, same
//     front end; older wording "can not be converted to an Integer" with a
//     Java class name) and the newer test-tape helpers/assertions.js. Source
//     of "Expected map or null", "only base-64-encoded strings are
//     convertible to bytes", "Base64 encoded length is expected a multiple
//     of 4 bytes but found: N", "Invalid last non-pad Base64 character
//     dectected" (sic: AWS's spelling, kept so clients matching on it work)
//     and, without the offending character, "Invalid Base64 character".
//   - [localstack#9412] github.com/localstack/localstack/issues/9412:
//     DynamoDB answering "NUMBER_VALUE cannot be converted to String".
//
// Inferred, not recorded: the Boolean and Timestamp targets follow the
// pattern of the Integer ones ("STRING_VALUE can not be converted to a
// Boolean"), and a timestamp outside years 1..9999 reads as
// "NUMBER_VALUE can not be converted to a Timestamp".
//
// No message quotes a value from the request.

func serr(msg string) *decodeError { return &decodeError{message: msg} }

var (
	// errMalformed: not well-formed JSON, or a top-level value that is not
	// an object or array. AWS sends no message for these [athena].
	errMalformed = serr("")

	errStartOfList      = serr("Start of list found where not expected")                // [athena]
	errStartOfStructure = serr("Start of structure or map found where not expected.")   // [athena]
	errExpectedList     = serr("Expected list or null")                                 // [athena]
	errExpectedMap      = serr("Expected map or null")                                  // [dynalite]
	errExpectedNull     = serr("Expected null")                                         // [athena]
	errNotBase64String  = serr("only base-64-encoded strings are convertible to bytes") // [dynalite]
	errBase64Char       = serr("Invalid Base64 character")                              // [dynalite], character left out
	errBase64LastChar   = serr("Invalid last non-pad Base64 character dectected")       // [dynalite], AWS's spelling
	errTimestampRange   = serr("NUMBER_VALUE can not be converted to a Timestamp")      // inferred
)

// scalarMismatch[t][v] is the message for JSON value v (0 string, 1 number,
// 2 true, 3 false) where a member of scalar type t was expected.
var scalarMismatch = [...][4]*decodeError{
	targetString: {
		nil,
		serr("NUMBER_VALUE can not be converted to a String"), // [athena]; also for 1.5
		serr("TRUE_VALUE can not be converted to a String"),   // [athena]
		serr("FALSE_VALUE can not be converted to a String"),  // [athena]
	},
	targetInteger: {
		serr("STRING_VALUE can not be converted to an Integer"), // [athena]
		nil,
		serr("TRUE_VALUE can not be converted to an Integer"),  // [athena]
		serr("FALSE_VALUE can not be converted to an Integer"), // [athena]
	},
	targetBoolean: {
		serr("STRING_VALUE can not be converted to a Boolean"), // inferred
		serr("NUMBER_VALUE can not be converted to a Boolean"), // inferred
	},
	targetTimestamp: {
		serr("STRING_VALUE can not be converted to a Timestamp"), // inferred
		nil,
		serr("TRUE_VALUE can not be converted to a Timestamp"),  // inferred
		serr("FALSE_VALUE can not be converted to a Timestamp"), // inferred
	},
	targetBlob: {nil, errNotBase64String, errNotBase64String, errNotBase64String},
}

// mismatch is the error for a JSON value of kind k where a member of type t
// was expected. Malformed input is reported as such.
func mismatch(k kind, t target) error {
	switch k {
	case kindArray:
		if t == targetList {
			break
		}
		return errStartOfList
	case kindObject:
		if t == targetMap || t == targetStructure {
			break
		}
		return errStartOfStructure
	case kindString, kindNumber, kindTrue, kindFalse:
		switch t {
		case targetList:
			return errExpectedList
		case targetMap:
			return errExpectedMap
		case targetStructure:
			return errExpectedNull
		}
		if e := scalarMismatch[t][k-kindString]; e != nil {
			return e
		}
	}
	return errMalformed
}
