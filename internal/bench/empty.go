package bench

import (
	"io"
	"net/http"
	"strconv"
)

// emptyResponse is the empty server's one response. It is small, but
// carries the few fields the bench's set-up reads (a key id, a ciphertext,
// a signature), so that the same bench command, with the same flags, runs
// against the empty server and against keyhold.
var emptyResponse = []byte(`{"KeyId":"arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000",` +
	`"KeyMetadata":{"KeyId":"00000000-0000-4000-8000-000000000000"},` +
	`"CiphertextBlob":"AAAAAAAAAAAAAAAAAAAAAA==","Signature":"AAAAAAAAAAAAAAAAAAAAAA=="}`)

var emptyResponseLength = []string{strconv.Itoa(len(emptyResponse))}

// EmptyHandler reads the request body and answers every request with a
// fixed small JSON document: the net/http stack with no KMS work, as the
// ceiling keyhold's throughput is compared with.
func EmptyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body like the KMS handler does (it is capped at 1 MiB
		// there too).
		if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)); err != nil {
			http.Error(w, "reading body", http.StatusBadRequest)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{contentType}
		h["Content-Length"] = emptyResponseLength
		_, _ = w.Write(emptyResponse)
	})
}
