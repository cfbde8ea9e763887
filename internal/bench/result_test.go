package bench

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	h := newHistogram()
	// 1ms .. 10ms in 1µs steps: percentile p is p% of 10ms.
	for us := 1; us <= 10000; us++ {
		recordLatency(h, time.Duration(us)*time.Microsecond)
	}
	s := Summarize(h, 10*time.Millisecond)
	near := func(name string, got, want time.Duration) {
		t.Helper()
		// Three significant digits: within 0.1% (plus a step).
		if d := got - want; d < -want/1000-time.Microsecond || d > want/1000+time.Microsecond {
			t.Errorf("%s = %v, want %v ± 0.1%%", name, got, want)
		}
	}
	near("p50", s.P50, 5*time.Millisecond)
	near("p90", s.P90, 9*time.Millisecond)
	near("p99", s.P99, 9900*time.Microsecond)
	near("p99.9", s.P999, 9990*time.Microsecond)
	near("mean", s.Mean, 5000*time.Microsecond)
	if s.Max != 10*time.Millisecond || s.Count != 10000 {
		t.Errorf("max %v count %d", s.Max, s.Count)
	}
	if !(s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.P999 && s.P999 <= s.Max) {
		t.Errorf("percentiles out of order: %+v", s)
	}
}

func TestSummarizeTail(t *testing.T) {
	h := newHistogram()
	for range 999 {
		recordLatency(h, 500*time.Microsecond)
	}
	recordLatency(h, 2*time.Second) // one in a thousand
	s := Summarize(h, 2*time.Second+123*time.Microsecond)
	if s.P99 != 500*time.Microsecond {
		t.Errorf("p99 = %v, want 500µs", s.P99)
	}
	if s.P999 != 500*time.Microsecond {
		t.Errorf("p99.9 = %v, want 500µs (999 of 1000 are)", s.P999)
	}
	if s.Max != 2*time.Second+123*time.Microsecond {
		t.Errorf("max = %v, want the exact max", s.Max)
	}
}

func TestSummarizeEdges(t *testing.T) {
	if s := Summarize(newHistogram(), 0); s != (Summary{}) {
		t.Errorf("empty histogram: %+v", s)
	}
	h := newHistogram()
	recordLatency(h, -time.Second)        // clock trouble: counted as 0
	recordLatency(h, 10*365*24*time.Hour) // beyond the range: clamped
	if h.TotalCount() != 2 {
		t.Fatalf("recorded %d values, want 2", h.TotalCount())
	}
	s := Summarize(h, 0)
	if s.Max < 10*time.Minute-time.Second || s.P50 != 0 {
		t.Errorf("clamped summary %+v", s)
	}
	// A percentile's bucket top never exceeds the exact max.
	h = newHistogram()
	recordLatency(h, 123456*time.Microsecond)
	if s := Summarize(h, 123456*time.Microsecond); s.P50 != s.Max || s.P999 != s.Max {
		t.Errorf("single value: %+v", s)
	}
}
