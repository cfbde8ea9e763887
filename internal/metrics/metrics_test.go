package metrics

import (
	"context"
	"github.com/keyhold/keyhold"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsExposition(t *testing.T) {
	m := New()
	m.ObserveRequest("kms", "Encrypt", "", 3*time.Millisecond)
	m.ObserveRequest("kms", "Decrypt", "InvalidCiphertextException", time.Millisecond)
	m.RequestStarted()
	m.RequestStarted()
	m.RequestStarted()
	m.RequestDone()
	m.GaugeFunc("keyhold_audit_queue_depth", "events waiting", func() float64 { return 7 })
	m.Collector(&KeysCollector{Stats: func(context.Context) ([]KeyStat, time.Time, error) {
		return []KeyStat{{State: "Enabled", Spec: "SYMMETRIC_DEFAULT", Count: 3}}, time.Unix(2000000000, 0), nil
	}})
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Body)
	for _, want := range []string{
		`keyhold_requests_total{code="",operation="Encrypt",service="kms"} 1`,
		`keyhold_requests_total{code="InvalidCiphertextException",operation="Decrypt",service="kms"} 1`,
		`keyhold_request_duration_seconds_bucket{operation="Encrypt",service="kms",le="0.005"} 1`,
		`keyhold_requests_in_flight 2`,
		`keyhold_audit_queue_depth 7`,
		`keyhold_keys{key_spec="SYMMETRIC_DEFAULT",state="Enabled"} 3`,
		`keyhold_next_rotation_timestamp_seconds 2e+09`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// fakeStore answers GetKey; every other method is nil (never called).
type fakeStore struct{ keyhold.Store }

func (fakeStore) GetKey(context.Context, string) (*keyhold.Key, error) { return &keyhold.Key{}, nil }

// TestInstrumentStore: the store decorator passes calls through and times
// them into keyhold_store_duration_seconds.
func TestInstrumentStore(t *testing.T) {
	m := New()
	st := m.InstrumentStore(fakeStore{})
	if _, err := st.GetKey(context.Background(), "arn"); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(w.Body.String(), `keyhold_store_duration_seconds_count{method="GetKey"} 1`) {
		t.Fatalf("store histogram not fed:\n%s", w.Body.String())
	}
}

// TestKeyMaterialExpiryCollector: the soonest expiry is reported in seconds
// with the 7-day count, and is absent (the count 0) when nothing expires.
func TestKeyMaterialExpiryCollector(t *testing.T) {
	scrape := func(c *KeyMaterialExpiryCollector) string {
		m := New()
		m.Collector(c)
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		return w.Body.String()
	}
	var gotWindow time.Duration
	body := scrape(&KeyMaterialExpiryCollector{Expiry: func(_ context.Context, window time.Duration) (time.Duration, bool, int, error) {
		gotWindow = window
		return 90 * time.Minute, true, 2, nil
	}})
	if gotWindow != 7*24*time.Hour {
		t.Errorf("window %v, want 7 days", gotWindow)
	}
	for _, want := range []string{
		"\nkeyhold_imported_key_material_expiry_seconds 5400\n",
		"\nkeyhold_imported_key_materials_expiring_7d 2\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	body = scrape(&KeyMaterialExpiryCollector{Expiry: func(context.Context, time.Duration) (time.Duration, bool, int, error) {
		return 0, false, 0, nil
	}})
	if strings.Contains(body, "keyhold_imported_key_material_expiry_seconds") {
		t.Errorf("expiry gauge reported though nothing expires:\n%s", body)
	}
	if !strings.Contains(body, "\nkeyhold_imported_key_materials_expiring_7d 0\n") {
		t.Errorf("/metrics lacks the 7-day count 0:\n%s", body)
	}
}
