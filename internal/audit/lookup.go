package audit

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Filter selects events for Lookup; zero fields match everything.
type Filter struct {
	Start, End time.Time
	// Key matches a key id, key ARN or alias name/ARN in the resources or
	// the request parameters.
	Key       string
	Principal string // userIdentity ARN, principalId or access key id
	EventName string
	ErrorCode string
	// Limit stops after this many events (0: no limit).
	Limit int
}

// Lookup returns the events in dir that match f, oldest first, like
// CloudTrail's LookupEvents.
func Lookup(dir string, f Filter) ([]*Event, error) {
	files, err := listFiles(dir, filePrefix, fileSuffix)
	if err != nil {
		return nil, err
	}
	var out []*Event
	for _, seq := range files {
		fh, err := os.Open(filepath.Join(dir, fileName(seq)))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var ev Event
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			if f.match(&ev) {
				out = append(out, &ev)
				if f.Limit > 0 && len(out) >= f.Limit {
					fh.Close()
					return out, nil
				}
			}
		}
		err = sc.Err()
		fh.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (f *Filter) match(ev *Event) bool {
	if !f.Start.IsZero() || !f.End.IsZero() {
		t, err := time.Parse(time.RFC3339, ev.EventTime)
		if err != nil {
			return false
		}
		if !f.Start.IsZero() && t.Before(f.Start.Truncate(time.Second)) {
			return false
		}
		if !f.End.IsZero() && t.After(f.End) {
			return false
		}
	}
	if f.EventName != "" && ev.EventName != f.EventName {
		return false
	}
	if f.ErrorCode != "" && ev.ErrorCode != f.ErrorCode {
		return false
	}
	if f.Principal != "" {
		u := ev.UserIdentity
		if u == nil || (u.ARN != f.Principal && u.PrincipalID != f.Principal && u.AccessKeyID != f.Principal) {
			return false
		}
	}
	if f.Key != "" && !f.matchKey(ev) {
		return false
	}
	return true
}

func (f *Filter) matchKey(ev *Event) bool {
	same := func(v string) bool {
		if v == "" {
			return false
		}
		return v == f.Key || strings.HasSuffix(v, "/"+f.Key) || strings.HasSuffix(f.Key, "/"+v) ||
			strings.HasSuffix(v, ":"+f.Key) || strings.HasSuffix(f.Key, ":"+v)
	}
	for _, r := range ev.Resources {
		if same(r.ARN) {
			return true
		}
	}
	var params map[string]any
	if json.Unmarshal(ev.RequestParameters, &params) == nil {
		for _, k := range []string{"keyId", "targetKeyId", "aliasName", "sourceKeyId", "destinationKeyId"} {
			if s, ok := params[k].(string); ok && same(s) {
				return true
			}
		}
	}
	return false
}
