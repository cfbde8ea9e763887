package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

func sampleEvent() *Event {
	return &Event{
		EventVersion: EventVersion,
		UserIdentity: &UserIdentity{Type: "AssumedRole", PrincipalID: "AROAEXAMPLE:s", ARN: "arn:aws:sts::111122223333:assumed-role/r/s",
			AccountID: "111122223333", AccessKeyID: "ASIAEXAMPLE", SessionContext: json.RawMessage(`{"sessionIssuer":{"type":"Role"}}`)},
		EventTime: "2026-11-22T10:00:00Z", EventSource: "kms.amazonaws.com", EventName: "Encrypt", AWSRegion: "us-east-1",
		SourceIPAddress: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.0 \"quoted\" <tag> & \u2028 é \x01\t\n",
		ErrorCode: "NotFoundException", ErrorMessage: "Key 'arn:aws:kms:us-east-1:111122223333:key/x' does not exist",
		RequestParameters: json.RawMessage(`{"keyId":"alias/a","encryptionContext":{"k":"v"}}`),
		AdditionalData:    json.RawMessage(`{"x":1}`),
		RequestID:         "req", EventID: "id", ReadOnly: true,
		Resources: []Resource{KeyResource("111122223333", "arn:aws:kms:us-east-1:111122223333:key/x"), {Type: "AWS::KMS::Key", ARN: "arn2"}},
		EventType: TypeAPICall, ManagementEvent: true, RecipientAccountID: "111122223333", EventCategory: CategoryMgmt,
	}
}

func TestAppendEventMatchesMarshal(t *testing.T) {
	for _, ev := range []*Event{sampleEvent(), {}, {UserIdentity: &UserIdentity{}, ResponseElements: json.RawMessage(`null`)}} {
		ev.Chain = &Chain{Sequence: 42, PreviousHash: zeroHash}
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b, err := appendEventBody(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		got := appendChain(b, 42, zeroHash)
		if !bytes.Equal(got, want) {
			t.Fatalf("hand-written encoding differs from json.Marshal:\n got %s\nwant %s", got, want)
		}
	}
}

func TestAppendEventRejectsInvalidRaw(t *testing.T) {
	ev := sampleEvent()
	ev.RequestParameters = json.RawMessage(`{"keyId":`)
	if _, err := appendEventBody(nil, ev); err == nil {
		t.Fatal("an invalid raw member was accepted")
	}
}

// FuzzAppendJSONString: every string is escaped exactly as encoding/json
// escapes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/<>&", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "é漢字🙂", "\b\f\n\r\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

func BenchmarkAppendEvent(b *testing.B) {
	ev := sampleEvent()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendEventBody(buf[:0], ev)
		buf = appendChain(buf, 1, zeroHash)
	}
}

func BenchmarkMarshalEvent(b *testing.B) {
	ev := sampleEvent()
	ev.Chain = &Chain{Sequence: 1, PreviousHash: zeroHash}
	b.ReportAllocs()
	for b.Loop() {
		json.Marshal(ev)
	}
}
