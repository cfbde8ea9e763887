package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestReadKeyList(t *testing.T) {
	in := "# seeded keys\n" +
		"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n" +
		"\n" +
		"  0987dcba-09fe-87dc-65ba-ab0987654321  \r\n" +
		"alias/my-key\n"
	keys, err := ReadKeyList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"0987dcba-09fe-87dc-65ba-ab0987654321", "alias/my-key"}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("keys %q, want %q", keys, want)
	}
	for _, tt := range []struct{ in, wantErr string }{
		{"", "empty"},
		{"# nothing\n\n", "empty"},
		{"key-1\nkey\"2\n", `line 2: "key\"2"`},
		{"key 1\n", "line 1"},
		{strings.Repeat("a", 2049) + "\n", "line 1"},
	} {
		if _, err := ReadKeyList(strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ReadKeyList(%.40q): %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestKeyListValidate(t *testing.T) {
	keys := []string{"k1", "k2"}
	tests := []struct {
		name    string
		w       Workload
		wantErr string
	}{
		{"ok", Workload{Mix: Mix{{Encrypt, 2}, {GenerateDataKey, 1}, {DescribeKey, 1}}, Keys: keys, Size: 1}, ""},
		{"with --key", Workload{Mix: Mix{{Encrypt, 1}}, Keys: keys, Key: "k", Size: 1}, "exclude each other"},
		{"Decrypt", Workload{Mix: Mix{{Encrypt, 1}, {Decrypt, 1}}, Keys: keys, Size: 1}, "Decrypt cannot take its key from a key list"},
		{"Sign", Workload{Mix: Mix{{Sign, 1}}, Keys: keys, Size: 1}, "Sign cannot"},
		{"CreateKey", Workload{Mix: Mix{{CreateKey, 1}}, Keys: keys}, "CreateKey cannot"},
	}
	for _, tt := range tests {
		err := tt.w.Validate()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

// TestKeyListOrder: consecutive requests take consecutive keys of the
// list from the start offset, wrapping around.
func TestKeyListOrder(t *testing.T) {
	keys := []string{"a", "b", "c", "d", "e"}
	l := newKeyList(keys, []byte("x"))
	if l.start >= uint64(len(keys)) {
		t.Fatalf("start %d", l.start)
	}
	if want := keys[(l.start+4)%5]; l.last() != want {
		t.Errorf("last %q, want %q", l.last(), want)
	}
	for i := range uint64(12) {
		if got, want := l.key(), keys[(l.start+i)%5]; got != want {
			t.Fatalf("request %d: key %q, want %q", i, got, want)
		}
	}
	starts := map[uint64]bool{}
	for range 200 {
		starts[newKeyList(keys, nil).start] = true
	}
	if len(starts) != len(keys) {
		t.Errorf("200 lists started at %d different offsets of 5", len(starts))
	}
}

// TestKeyListSpreadsRequests runs the bench with a key list against the
// fake KMS (which verifies every signature): the requests are spread
// evenly over the keys, each signed for its own body.
func TestKeyListSpreadsRequests(t *testing.T) {
	f, srv := newFakeKMS(t)
	c := newTestClient(t, srv.URL)
	var keys []string
	for i := range 50 {
		k := fmt.Sprintf("arn:aws:kms:us-east-1:111122223333:key/seeded-%02d", i)
		f.keys[k] = "SYMMETRIC_DEFAULT"
		keys = append(keys, k)
	}
	mix := mustMix(t, "Encrypt=2,GenerateDataKey=1,DescribeKey=1")
	target, err := Prepare(context.Background(), c, Workload{Mix: mix, Keys: keys, Size: 48})
	if err != nil {
		t.Fatal(err)
	}
	if len(target.CreatedKeys) != 0 {
		t.Errorf("created keys %v with a key list", target.CreatedKeys)
	}
	const requests = 120 // 2 rounds of the list and 20 keys more
	res, err := Run(context.Background(), Config{Mix: mix, Concurrency: 4, MaxRequests: requests, Drain: time.Second}, target)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Requests != requests || res.Total.ErrorCount() != 0 {
		t.Fatalf("%d requests, errors %v %v", res.Total.Requests, res.Total.Errors, res.ErrorExamples)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	uses := map[string]int{}
	total := 0
	for op, bodies := range f.bodies {
		if op == "DescribeKey" {
			bodies = bodies[1:] // Prepare's check of the list
		}
		for _, b := range bodies {
			k, _ := b["KeyId"].(string)
			uses[k]++
			total++
			if op == "Encrypt" {
				if p, _ := b["Plaintext"].(string); len(p) != base64.StdEncoding.EncodedLen(48) {
					t.Errorf("Encrypt plaintext %q", p)
				}
			}
			if op == "GenerateDataKey" && b["KeySpec"] != "AES_256" {
				t.Errorf("GenerateDataKey body %v", b)
			}
		}
	}
	if total != requests {
		t.Fatalf("the fake KMS got %d requests, want %d", total, requests)
	}
	twice, thrice := 0, 0
	for _, k := range keys {
		switch uses[k] {
		case 2:
			twice++
		case 3:
			thrice++
		default:
			t.Errorf("key %s used %d times, want 2 or 3", k, uses[k])
		}
	}
	if twice != 30 || thrice != 20 {
		t.Errorf("%d keys used twice and %d three times, want 30 and 20", twice, thrice)
	}
	if len(f.bodies["Encrypt"]) != 60 {
		t.Errorf("%d Encrypt requests of 120, want 60 (weight 2 of 4)", len(f.bodies["Encrypt"]))
	}
}

// TestKeyListUnknownKey: Prepare checks the list with the service.
func TestKeyListUnknownKey(t *testing.T) {
	_, srv := newFakeKMS(t)
	c := newTestClient(t, srv.URL)
	_, err := Prepare(context.Background(), c, Workload{Mix: mustMix(t, "DescribeKey"), Keys: []string{"missing"}})
	if err == nil || !strings.Contains(err.Error(), "NotFoundException") || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Prepare with an unknown key: %v", err)
	}
}

// BenchmarkKeyListRequest is the generator's cost of one request of the
// key-list mode before it reaches the network: the body for the next key,
// and a SigV4 signature of its own (compare BenchmarkSignedRequest; the
// single-key mode signs once a second).
func BenchmarkKeyListRequest(b *testing.B) {
	c, err := NewClient(ClientConfig{Endpoint: "http://127.0.0.1:4599", Region: "us-east-1", Credentials: testCreds})
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 100_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("arn:aws:kms:us-east-1:111122223333:key/%08x-0000-4000-8000-000000000000", i)
	}
	l := newKeyList(keys, make([]byte, 1024)) // an Encrypt of 1 KiB
	target := targetPrefix + Encrypt.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.request(context.Background(), target, l.body(Encrypt, l.key()), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzReadKeyList: whatever a key list file holds, ReadKeyList returns an
// error or keys that each go into every request body as valid JSON whose
// KeyId is the key itself.
func FuzzReadKeyList(f *testing.F) {
	for _, s := range []string{
		"1234abcd-12ab-34cd-56ef-1234567890ab\n",
		"# keys\n\narn:aws:kms:us-east-1:111122223333:key/k1\r\nalias/x\n",
		"bad\"key\n", "", "\n\n", "a\x00b", strings.Repeat("k", maxKeyRef+1),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ReadKeyList(strings.NewReader(s))
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("no error and no keys")
		}
		l := newKeyList(keys, []byte("payload"))
		for _, k := range keys {
			if k == "" || strings.HasPrefix(k, "#") || k != strings.TrimSpace(k) {
				t.Fatalf("key %q: a blank, comment or untrimmed line came through", k)
			}
			for _, op := range keyListOps {
				var body struct{ KeyId string }
				if err := json.Unmarshal(l.body(op, k), &body); err != nil || body.KeyId != k {
					t.Fatalf("%s body for key %q: %s (KeyId %q, %v)", op, k, l.body(op, k), body.KeyId, err)
				}
			}
		}
	})
}
