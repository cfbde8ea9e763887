package bench

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Doer sends one request of an operation and returns "" when it
// succeeded, or its error code and message. *Target is the Doer that talks
// to a KMS endpoint; tests use fakes.
type Doer interface {
	Do(ctx context.Context, op Op) (code, message string)
}

// Config is the load a run puts on the endpoint.
type Config struct {
	Mix Mix
	// Concurrency is the number of requests in flight (closed loop), or
	// the most in flight (open loop): a request whose send time comes while
	// all are busy waits, and the wait counts in its latency.
	Concurrency int
	// Rate, if positive, makes the run open loop: request i is due at
	// start + i/Rate whatever happened to the requests before it, and its
	// latency is measured from that intended time, not from when it was
	// actually sent. This avoids coordinated omission: a stall of the
	// endpoint shows in the latency of every request that should have been
	// sent during it, as real clients would see it. Zero means closed loop.
	Rate float64
	// Warmup is run first and not measured; Duration is then measured.
	Warmup, Duration time.Duration
	// MaxRequests, if positive, ends the measured phase of a closed-loop
	// run after that many requests (for Go benchmarks).
	MaxRequests int64
	// Drain bounds how long after the end of an open-loop run the requests
	// still waiting for a free connection may be sent; those left are
	// counted as CodeNotSent. 10s if zero.
	Drain time.Duration
	// Progress, if set, is called every ProgressInterval (1s if zero)
	// while the run goes on.
	Progress         func(Progress)
	ProgressInterval time.Duration
}

// Progress is a live view of a run.
type Progress struct {
	Warmup bool
	// Elapsed is the time since the phase began, out of Length.
	Elapsed, Length time.Duration
	// Requests and Errors have completed in this phase so far.
	Requests, Errors int64
	// Rate is the requests per second completed since the last call.
	Rate float64
}

// Validate says what is wrong with c.
func (c Config) Validate() error {
	var errs []error
	if len(c.Mix) == 0 {
		errs = append(errs, errors.New("no operation"))
	}
	if c.Concurrency < 1 {
		errs = append(errs, errors.New("concurrency must be at least 1"))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, errors.New("rate must be a positive number of requests per second, or 0 for a closed loop"))
	}
	if c.Duration <= 0 && (c.MaxRequests <= 0 || c.Rate > 0) {
		errs = append(errs, errors.New("duration must be positive"))
	}
	if c.Warmup < 0 {
		errs = append(errs, errors.New("warmup must not be negative"))
	}
	return errors.Join(errs...)
}

// run is the state shared by the goroutines of one Run.
type run struct {
	cfg    Config
	d      Doer
	rctx   context.Context
	seq    []int
	start  time.Time // schedule origin (warm-up start)
	mStart time.Time // measured phase start
	mEnd   time.Time // measured phase end (planned)

	stop        chan struct{} // closed on interrupt or when MaxRequests is reached
	stopOnce    sync.Once
	stopAt      atomic.Int64 // ns since start when stop was closed; 0 if not
	interrupted atomic.Bool

	next    atomic.Int64 // closed loop: sequence position of the next request
	started atomic.Int64 // closed loop: measured requests started

	// Live counters for Progress.
	warmDone, done, failed atomic.Int64
}

// Run puts the load cfg describes on d and returns the measurements. If
// ctx is canceled (an interrupt) the run ends early: no request starts
// after that, those in flight finish, and the result covers the time
// measured until then.
func Run(ctx context.Context, cfg Config, d Doer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 10 * time.Second
	}
	duration := cfg.Duration
	if duration <= 0 {
		duration = 100 * 365 * 24 * time.Hour // until MaxRequests
	}
	r := &run{
		cfg: cfg,
		d:   d,
		// Requests in flight are not canceled by an interrupt: they finish
		// (within the client's timeout) and are counted.
		rctx: context.WithoutCancel(ctx),
		seq:  cfg.Mix.Sequence(),
		stop: make(chan struct{}),
	}
	r.start = time.Now()
	r.mStart = r.start.Add(cfg.Warmup)
	r.mEnd = r.mStart.Add(duration)

	finished := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		select {
		case <-ctx.Done():
			r.interrupted.Store(true)
			r.halt()
		case <-finished:
		}
	})
	if cfg.Progress != nil {
		bg.Go(func() { r.progress(finished) })
	}

	recs := make([]*recorder, cfg.Concurrency)
	for i := range recs {
		recs[i] = newRecorder(len(cfg.Mix))
	}
	var workers sync.WaitGroup
	var notSent []int64
	if cfg.Rate > 0 {
		jobs := make(chan job)
		for _, rec := range recs {
			workers.Go(func() { r.openWorker(jobs, rec) })
		}
		// The dispatcher gets a goroutine of its own: it may lock it to an
		// OS thread (see newWaiter).
		workers.Go(func() { notSent = r.dispatch(jobs) })
	} else {
		for _, rec := range recs {
			workers.Go(func() { r.closedWorker(rec) })
		}
	}
	workers.Wait()
	close(finished)
	bg.Wait()
	return r.result(recs, notSent), nil
}

// halt stops the run from starting requests.
func (r *run) halt() {
	r.stopOnce.Do(func() {
		r.stopAt.Store(max(int64(time.Since(r.start)), 1))
		close(r.stop)
	})
}

func (r *run) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

func (r *run) count(measured bool, code string) {
	if !measured {
		r.warmDone.Add(1)
		return
	}
	r.done.Add(1)
	if code != "" {
		r.failed.Add(1)
	}
}

func (r *run) closedWorker(rec *recorder) {
	for !r.stopped() {
		t0 := time.Now()
		if !t0.Before(r.mEnd) {
			return
		}
		measured := !t0.Before(r.mStart)
		if measured && r.cfg.MaxRequests > 0 && r.started.Add(1) > r.cfg.MaxRequests {
			r.halt()
			return
		}
		e := r.seq[int((r.next.Add(1)-1)%int64(len(r.seq)))]
		code, msg := r.d.Do(r.rctx, r.cfg.Mix[e].Op)
		t1 := time.Now()
		r.count(measured, code)
		if measured {
			rec.record(e, t1.Sub(t0), t1, code, msg)
		}
	}
}

// job is one request of an open-loop schedule.
type job struct {
	i        int64
	intended time.Time
}

// offset is when request i of an open-loop schedule at rate requests per
// second is due, counted from the schedule's start.
func offset(i int64, rate float64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / rate)
}

// countBefore is the number of requests of the schedule due before d.
func countBefore(d time.Duration, rate float64) int64 {
	if d <= 0 {
		return 0
	}
	n := int64(math.Ceil(float64(d) * rate / float64(time.Second)))
	// Guard the float rounding at the boundary.
	for n > 0 && offset(n-1, rate) >= d {
		n--
	}
	for offset(n, rate) < d {
		n++
	}
	return n
}

// dispatch hands out the schedule's requests at their intended times. It
// never skips one: when it falls behind (a busy endpoint, a late timer),
// the overdue requests go out at once, each carrying its intended time. It
// returns, per mix entry, the measured requests it never handed out
// because the run ended first.
func (r *run) dispatch(jobs chan<- job) []int64 {
	defer close(jobs)
	rate := r.cfg.Rate
	end := r.mEnd.Sub(r.start)
	measuredFrom := countBefore(r.cfg.Warmup, rate)
	wait := newWaiter()
	// Requests waiting for a free worker may still go out until the drain
	// deadline; after it the rest of the schedule counts as not sent.
	drain := time.NewTimer(time.Until(r.mEnd.Add(r.cfg.Drain)))
	defer drain.Stop()

	notSent := func(from int64, until time.Duration) []int64 {
		out := make([]int64, len(r.cfg.Mix))
		for i := max(from, measuredFrom); i < countBefore(until, rate); i++ {
			out[r.seq[int(i%int64(len(r.seq)))]]++
		}
		return out
	}
	for i := int64(0); ; i++ {
		off := offset(i, rate)
		if off >= end {
			return nil
		}
		intended := r.start.Add(off)
		if !wait(intended, r.stop) {
			return nil // nothing is overdue: all due so far were sent
		}
		select {
		case jobs <- job{i, intended}:
			continue
		default:
		}
		// Every worker is busy. Wait for one; the wait counts in the
		// latency of this request, which keeps its intended time.
		select {
		case jobs <- job{i, intended}:
		case <-r.stop:
			return notSent(i, time.Duration(r.stopAt.Load()))
		case <-drain.C:
			return notSent(i, end)
		}
	}
}

func (r *run) openWorker(jobs <-chan job, rec *recorder) {
	for j := range jobs {
		e := r.seq[int(j.i%int64(len(r.seq)))]
		sent := time.Now()
		code, msg := r.d.Do(r.rctx, r.cfg.Mix[e].Op)
		t1 := time.Now()
		measured := !j.intended.Before(r.mStart)
		r.count(measured, code)
		if measured {
			rec.record(e, t1.Sub(j.intended), t1, code, msg)
			rec.recordLag(sent.Sub(j.intended))
		}
	}
}

func (r *run) progress(finished <-chan struct{}) {
	every := r.cfg.ProgressInterval
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var lastN int64
	lastWarm := true
	last := r.start
	for {
		select {
		case <-finished:
			return
		case now := <-t.C:
			p := Progress{Warmup: now.Before(r.mStart)}
			if p.Warmup {
				p.Elapsed, p.Length, p.Requests = now.Sub(r.start), r.cfg.Warmup, r.warmDone.Load()
			} else {
				p.Elapsed, p.Length, p.Requests, p.Errors = now.Sub(r.mStart), r.cfg.Duration, r.done.Load(), r.failed.Load()
			}
			if p.Warmup != lastWarm {
				// A new phase: its rate so far.
				lastN, last = 0, now.Add(-p.Elapsed)
			}
			if s := now.Sub(last).Seconds(); s > 0 {
				p.Rate = float64(p.Requests-lastN) / s
			}
			lastN, lastWarm, last = p.Requests, p.Warmup, now
			r.cfg.Progress(p)
		}
	}
}
