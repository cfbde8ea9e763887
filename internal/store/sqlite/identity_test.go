package sqlite

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/store/storetest"
)

// TestIdentityStore runs the identity part of the conformance suite.
func TestIdentityStore(t *testing.T) {
	storetest.RunIdentity(t, storetest.Factory{
		New: func(t *testing.T) keyhold.Store { return openTemp(t) },
		Reopen: func(t *testing.T, s keyhold.Store) keyhold.Store {
			st := s.(*Store)
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return openPath(t, st.path)
		},
	})
}

func TestFoldName(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "abc", "AbC+=,.@-_9": "abc+=,.@-_9", "ÄÖ": "ÄÖ"} {
		if got := foldName(in); got != want {
			t.Errorf("foldName(%q) = %q, want %q", in, got, want)
		}
	}
}
