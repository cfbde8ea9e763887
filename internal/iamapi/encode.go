package iamapi

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// Namespaces of the XML responses.
const (
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// ContentType is the Content-Type of every response, errors included.
const ContentType = "text/xml"

func namespace(service string) string {
	switch service {
	case ServiceSTS:
		return STSNamespace
	case ServiceKeyhold:
		return KeyholdNamespace
	}
	return IAMNamespace
}

// MarshalResponse encodes the response of action:
//
//	<ActionResponse xmlns="...">
//	  <ActionResult>...out...</ActionResult>
//	  <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
//	</ActionResponse>
//
// out nil means an operation without output (no Result element).
func MarshalResponse(service, action, requestID string, out any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, namespace(service))
	if out != nil {
		enc := xml.NewEncoder(&b)
		if err := enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return nil, fmt.Errorf("iamapi: encoding %s result: %w", action, err)
		}
		if err := enc.Flush(); err != nil {
			return nil, err
		}
	}
	b.WriteString(`<ResponseMetadata><RequestId>`)
	xml.EscapeText(&b, []byte(requestID))
	fmt.Fprintf(&b, `</RequestId></ResponseMetadata></%sResponse>`, action)
	return b.Bytes(), nil
}

type errorResponse struct {
	XMLName   xml.Name    `xml:"ErrorResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	Error     errorDetail `xml:"Error"`
	RequestID string      `xml:"RequestId"`
}

type errorDetail struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// MarshalError encodes an error response. sender says whether the fault
// is the caller's (Type Sender) or the server's (Receiver).
func MarshalError(service, code, message, requestID string, sender bool) []byte {
	typ := "Receiver"
	if sender {
		typ = "Sender"
	}
	e := errorResponse{
		Xmlns:     namespace(service),
		Error:     errorDetail{Type: typ, Code: code, Message: message},
		RequestID: requestID,
	}
	b, err := xml.Marshal(e)
	if err != nil {
		// Strings always encode (encoding/xml replaces characters XML
		// cannot carry), so this is only a guard.
		b = []byte(`<ErrorResponse><Error><Type>Receiver</Type><Code>` + ErrCodeInternalFailure + `</Code><Message></Message></Error></ErrorResponse>`)
	}
	return append([]byte(xml.Header), b...)
}
