package bench

import (
	"maps"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds with three significant digits
// (0.1% resolution) from 1µs to 10 minutes.
const (
	histLowest   = 1
	histHighest  = int64(10 * time.Minute / time.Microsecond)
	histSigFigs  = 3
	maxErrorKeys = 64 // distinct error codes kept per recorder
	otherCode    = "other"
)

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histSigFigs)
}

// recordLatency records d in h, clamped to the histogram's range.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	us := min(max(d.Microseconds(), 0), histHighest)
	_ = h.RecordValue(us) // cannot fail within the range
}

// recorder is one worker's measurements, merged at the end of the run so
// that the hot path takes no lock.
type recorder struct {
	hist     []*hdrhistogram.Histogram // per mix entry
	max      []time.Duration
	requests []int64
	errors   []map[string]int64
	examples map[string]string // first message seen per error code
	last     time.Time         // when the latest request completed
	lag      *hdrhistogram.Histogram
	maxLag   time.Duration
}

func newRecorder(entries int) *recorder {
	r := &recorder{
		hist:     make([]*hdrhistogram.Histogram, entries),
		max:      make([]time.Duration, entries),
		requests: make([]int64, entries),
		errors:   make([]map[string]int64, entries),
	}
	for i := range r.hist {
		r.hist[i] = newHistogram()
	}
	return r
}

// recordLag records how late an open-loop request was sent.
func (r *recorder) recordLag(d time.Duration) {
	if r.lag == nil {
		r.lag = newHistogram()
	}
	recordLatency(r.lag, d)
	r.maxLag = max(r.maxLag, d)
}

func (r *recorder) record(entry int, latency time.Duration, done time.Time, code, msg string) {
	r.last = done
	recordLatency(r.hist[entry], latency)
	r.max[entry] = max(r.max[entry], latency)
	r.requests[entry]++
	if code == "" {
		return
	}
	if r.errors[entry] == nil {
		r.errors[entry] = map[string]int64{}
	}
	if _, ok := r.errors[entry][code]; !ok && len(r.errors[entry]) >= maxErrorKeys {
		code = otherCode
	}
	r.errors[entry][code]++
	if r.examples == nil {
		r.examples = map[string]string{}
	}
	if _, ok := r.examples[code]; !ok {
		r.examples[code] = msg
	}
}

// Summary is a latency distribution.
type Summary struct {
	Count                          int64
	Mean, P50, P90, P99, P999, Max time.Duration
}

// Summarize reads the percentiles of h (microseconds) and its exact max
// if known (0 means take the histogram's).
func Summarize(h *hdrhistogram.Histogram, exactMax time.Duration) Summary {
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	s := Summary{Count: h.TotalCount()}
	if s.Count == 0 {
		return s
	}
	s.Mean = time.Duration(h.Mean() * float64(time.Microsecond))
	s.P50 = us(h.ValueAtQuantile(50))
	s.P90 = us(h.ValueAtQuantile(90))
	s.P99 = us(h.ValueAtQuantile(99))
	s.P999 = us(h.ValueAtQuantile(99.9))
	s.Max = us(h.Max())
	if exactMax > 0 {
		s.Max = exactMax
	}
	// A percentile is the top of its bucket and can exceed the exact max
	// by the histogram's resolution; keep the summary ordered.
	for _, p := range []*time.Duration{&s.P50, &s.P90, &s.P99, &s.P999} {
		*p = min(*p, s.Max)
	}
	return s
}

// OpResult is the measurements of one operation, or of all of them.
type OpResult struct {
	Op       string
	Requests int64
	// Errors counts failed requests by error code: the service's
	// (NotFoundException, ThrottlingException, ...) or client:* for
	// requests without a response.
	Errors  map[string]int64
	Latency Summary
	// RequestsPerSecond counts every completed request, failed or not.
	RequestsPerSecond float64
}

// ErrorCount is the number of failed requests.
func (o OpResult) ErrorCount() int64 {
	var n int64
	for _, c := range o.Errors {
		n += c
	}
	return n
}

// Result is the outcome of a run.
type Result struct {
	Mix         Mix
	Concurrency int
	// TargetRate is the open-loop rate asked for; 0 for a closed loop.
	TargetRate float64
	Warmup     time.Duration
	// Elapsed is the measured time the rates are computed over.
	Elapsed time.Duration
	// Interrupted is set when the run was cut short.
	Interrupted bool
	Total       OpResult
	// PerOp has one entry per operation of the mix, in its order.
	PerOp []OpResult
	// SendLag is, for an open loop, how late requests were sent after
	// their intended time: the generator's own delay (timer wake-up, a
	// wait for a free connection when all are busy), which the latencies
	// include.
	SendLag Summary
	// ErrorExamples holds one message per error code, to tell a
	// misconfiguration (AccessDeniedException: ...) at a glance.
	ErrorExamples map[string]string
}

func (r *run) result(recs []*recorder, notSent []int64) *Result {
	res := &Result{
		Mix:           r.cfg.Mix,
		Concurrency:   r.cfg.Concurrency,
		TargetRate:    r.cfg.Rate,
		Warmup:        r.cfg.Warmup,
		Interrupted:   r.interrupted.Load(),
		ErrorExamples: map[string]string{},
	}
	// The measured window: to the planned end, or to the interrupt (or
	// the last of MaxRequests) if that came first.
	end := r.mEnd
	if at := r.stopAt.Load(); at > 0 {
		if t := r.start.Add(time.Duration(at)); t.Before(end) {
			end = t
		}
	}
	window := max(end.Sub(r.mStart), 0)

	total := newHistogram()
	var totalMax time.Duration
	res.Total = OpResult{Op: r.cfg.Mix.String(), Errors: map[string]int64{}}
	for e, w := range r.cfg.Mix {
		h := newHistogram()
		var m time.Duration
		op := OpResult{Op: w.Op.String(), Errors: map[string]int64{}}
		for _, rec := range recs {
			h.Merge(rec.hist[e])
			m = max(m, rec.max[e])
			op.Requests += rec.requests[e]
			for code, n := range rec.errors[e] {
				op.Errors[code] += n
			}
		}
		if notSent != nil && notSent[e] > 0 {
			op.Errors[CodeNotSent] += notSent[e]
		}
		op.Latency = Summarize(h, m)
		total.Merge(h)
		totalMax = max(totalMax, m)
		res.Total.Requests += op.Requests
		for code, n := range op.Errors {
			res.Total.Errors[code] += n
		}
		res.PerOp = append(res.PerOp, op)
	}
	for _, rec := range recs {
		for code, msg := range rec.examples {
			if _, ok := res.ErrorExamples[code]; !ok {
				res.ErrorExamples[code] = msg
			}
		}
	}
	if res.Total.Errors[CodeNotSent] > 0 {
		res.ErrorExamples[CodeNotSent] = "the endpoint did not keep up with the rate: these requests were still waiting for a free connection when the run ended"
	}
	res.Total.Latency = Summarize(total, totalMax)
	lag := newHistogram()
	var maxLag time.Duration
	for _, rec := range recs {
		if rec.lag != nil {
			lag.Merge(rec.lag)
			maxLag = max(maxLag, rec.maxLag)
		}
	}
	res.SendLag = Summarize(lag, maxLag)
	res.Elapsed = window
	if r.cfg.Rate > 0 {
		// Open loop: requests due in the window may complete after it when
		// the endpoint falls behind; the rate is over the time they took.
		var last time.Time
		for _, rec := range recs {
			if rec.last.After(last) {
				last = rec.last
			}
		}
		res.Elapsed = max(window, last.Sub(r.mStart))
	}
	if s := res.Elapsed.Seconds(); s > 0 {
		res.Total.RequestsPerSecond = float64(res.Total.Requests) / s
		for i := range res.PerOp {
			res.PerOp[i].RequestsPerSecond = float64(res.PerOp[i].Requests) / s
		}
	}
	return res
}

// ErrorCodes lists the codes of errs, most frequent first.
func ErrorCodes(errs map[string]int64) []string {
	codes := slices.Collect(maps.Keys(errs))
	slices.SortFunc(codes, func(a, b string) int {
		if errs[a] != errs[b] {
			if errs[a] > errs[b] {
				return -1
			}
			return 1
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return codes
}
