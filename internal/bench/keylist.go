package bench

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
)

// maxKeyRef is the longest key id, ARN or alias the API accepts.
const maxKeyRef = 2048

// ReadKeyList reads a list of keys for Workload.Keys: one key id, key ARN
// or alias a line (as `keyhold bench seed --keys-out` writes them). Blank
// lines and lines starting with # are skipped.
func ReadKeyList(r io.Reader) ([]string, error) {
	var keys []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if !validKeyRef(line) {
			return nil, fmt.Errorf("line %d: %q is not a key id, key ARN or alias", n, truncateRef(line))
		}
		keys = append(keys, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("the key list is empty")
	}
	return keys, nil
}

// validKeyRef accepts the characters of key ids, ARNs and alias names, so
// a key can go into a JSON string without escaping.
func validKeyRef(s string) bool {
	if len(s) > maxKeyRef {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == ':' || c == '/' || c == '.') {
			return false
		}
	}
	return true
}

func truncateRef(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// keyListOps are the operations that can take their key from a key list:
// those whose request needs nothing but the key (and the payload).
var keyListOps = []Op{Encrypt, GenerateDataKey, DescribeKey}

func isKeyListOp(op Op) bool { return slices.Contains(keyListOps, op) }

// keyList hands out the keys of Workload.Keys: request i of the run (over
// all workers) gets key (start + i) mod n, so no key comes twice before
// every key has come once, and a run over a long list meets keys the
// server has not used since it started. start is random, so that two runs
// over the same list begin at different keys.
type keyList struct {
	keys  []string
	start uint64
	next  atomic.Uint64
	// suffix[op] follows the key in op's request body (body: keyListPrefix
	// + key + suffix[op]).
	suffix [numOps][]byte
}

const keyListPrefix = `{"KeyId":"`

func newKeyList(keys []string, payload []byte) *keyList {
	l := &keyList{keys: keys, start: rand.Uint64N(uint64(len(keys)))}
	l.suffix[Encrypt] = []byte(`","Plaintext":"` + base64.StdEncoding.EncodeToString(payload) + `"}`)
	l.suffix[GenerateDataKey] = []byte(`","KeySpec":"AES_256"}`)
	l.suffix[DescribeKey] = []byte(`"}`)
	return l
}

// key returns the key of the next request.
func (l *keyList) key() string {
	i := l.next.Add(1) - 1
	return l.keys[(l.start+i)%uint64(len(l.keys))]
}

// last is the key the list hands out last in its first round.
func (l *keyList) last() string {
	n := uint64(len(l.keys))
	return l.keys[(l.start+n-1)%n]
}

// body returns the request body of op for key.
func (l *keyList) body(op Op, key string) []byte {
	s := l.suffix[op]
	b := make([]byte, 0, len(keyListPrefix)+len(key)+len(s))
	b = append(b, keyListPrefix...)
	b = append(b, key...)
	return append(b, s...)
}

// do sends op with the list's next key. The body is new for every request,
// so each is signed on its own (a full SigV4 signature, about what one
// request of an SDK client costs; BenchmarkKeyListRequest).
func (l *keyList) do(ctx context.Context, c *Client, op Op) (code, message string) {
	return c.sendSigned(ctx, op.String(), l.body(op, l.key()))
}

// prepareKeyList is Prepare for a workload with a key list: it checks one
// key of the list with DescribeKey and builds the body templates.
func prepareKeyList(ctx context.Context, c *Client, w Workload, payload []byte) (*Target, error) {
	l := newKeyList(w.Keys, payload)
	k := l.last()
	if err := c.Call(ctx, "DescribeKey", map[string]any{"KeyId": k}, nil); err != nil {
		return nil, fmt.Errorf("checking the key list with key %s: %w", k, err)
	}
	return &Target{c: c, list: l}, nil
}
