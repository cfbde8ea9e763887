// Package metrics holds keyhold's Prometheus metrics, served on the admin
// listener at /metrics.
package metrics

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of keyhold's metrics and their registry.
type Metrics struct {
	Registry *prometheus.Registry

	Requests   *prometheus.CounterVec
	Latency    *prometheus.HistogramVec
	StoreTime  *prometheus.HistogramVec
	CryptoTime *prometheus.HistogramVec

	// inFlight counts API requests being served (keyhold_requests_in_flight);
	// the audit writer reads it to tell a busy server (InFlight).
	inFlight atomic.Int64
}

// latencyBuckets cover 50 µs to 2.5 s.
var latencyBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// New returns the metrics, registered with a new registry together with
// the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyhold_requests_total",
			Help: "API requests by service (kms, iam, sts, xks), operation and error code (\"\" for success).",
		}, []string{"service", "operation", "code"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keyhold_request_duration_seconds",
			Help:    "API request latency by service and operation, from the request's arrival to its response (audit included).",
			Buckets: latencyBuckets,
		}, []string{"service", "operation"}),
		StoreTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keyhold_store_duration_seconds",
			Help:    "Store call latency by method.",
			Buckets: latencyBuckets,
		}, []string{"method"}),
		CryptoTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keyhold_crypto_boundary_duration_seconds",
			Help:    "Crypto boundary call latency by method.",
			Buckets: latencyBuckets,
		}, []string{"method"}),
	}
	m.Registry.MustRegister(m.Requests, m.Latency, m.StoreTime, m.CryptoTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.GaugeFunc("keyhold_requests_in_flight", "API requests being served.", func() float64 { return float64(m.inFlight.Load()) })
	return m
}

// RequestStarted and RequestDone count a request in and out of
// keyhold_requests_in_flight.
func (m *Metrics) RequestStarted() { m.inFlight.Add(1) }
func (m *Metrics) RequestDone()    { m.inFlight.Add(-1) }

// InFlight is the number of API requests being served now.
func (m *Metrics) InFlight() int64 { return m.inFlight.Load() }

// ObserveRequest records one finished request.
func (m *Metrics) ObserveRequest(service, op, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.Requests.WithLabelValues(service, op, code).Inc()
	m.Latency.WithLabelValues(service, op).Observe(d.Seconds())
}

// GaugeFunc registers a gauge whose value is read at scrape time.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Collector registers a collector (for metrics computed at scrape time,
// such as keys by state).
func (m *Metrics) Collector(c prometheus.Collector) { m.Registry.MustRegister(c) }

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// KeyStat is one row of the keys-by-state-and-spec gauge.
type KeyStat struct {
	State, Spec string
	Count       int
}

// KeysCollector reports keyhold_keys{state,key_spec} and
// keyhold_next_rotation_timestamp_seconds from a function that reads the
// store at scrape time.
type KeysCollector struct {
	Stats func(ctx context.Context) (stats []KeyStat, nextRotation time.Time, err error)
}

var (
	keysDesc = prometheus.NewDesc("keyhold_keys", "KMS keys by state and key spec.", []string{"state", "key_spec"}, nil)
	nextDesc = prometheus.NewDesc("keyhold_next_rotation_timestamp_seconds", "When the next automatic key rotation is due (Unix time; absent when none is scheduled).", nil, nil)
)

func (c *KeysCollector) Describe(ch chan<- *prometheus.Desc) { ch <- keysDesc; ch <- nextDesc }

func (c *KeysCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	stats, next, err := c.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(keysDesc, err)
		return
	}
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(s.Count), s.State, s.Spec)
	}
	if !next.IsZero() {
		ch <- prometheus.MustNewConstMetric(nextDesc, prometheus.GaugeValue, float64(next.Unix()))
	}
}

// ExpiryWindow is the window of keyhold_imported_key_materials_expiring_7d.
const ExpiryWindow = 7 * 24 * time.Hour

// KeyMaterialExpiryCollector reports keyhold_imported_key_material_expiry_seconds
// and keyhold_imported_key_materials_expiring_7d from a function that reads
// the store at scrape time. Neither has labels: the soonest expiry over all
// accounts and regions is what an operator alerts on.
type KeyMaterialExpiryCollector struct {
	// Expiry returns the time left until the soonest expiry of imported
	// key material (ok false when none expires) and how many materials
	// expire within window.
	Expiry func(ctx context.Context, window time.Duration) (left time.Duration, ok bool, expiring int, err error)
}

var (
	expiryDesc = prometheus.NewDesc("keyhold_imported_key_material_expiry_seconds",
		"Seconds until the soonest expiry of imported key material (ExpirationModel KEY_MATERIAL_EXPIRES), over all accounts and regions; negative while expired material awaits deletion; absent when no imported material expires.", nil, nil)
	expiringDesc = prometheus.NewDesc("keyhold_imported_key_materials_expiring_7d",
		"Imported key materials that expire within 7 days (or have expired and await deletion), over all accounts and regions.", nil, nil)
)

func (c *KeyMaterialExpiryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- expiryDesc
	ch <- expiringDesc
}

func (c *KeyMaterialExpiryCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	left, ok, n, err := c.Expiry(ctx, ExpiryWindow)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(expiryDesc, err)
		return
	}
	if ok {
		ch <- prometheus.MustNewConstMetric(expiryDesc, prometheus.GaugeValue, left.Seconds())
	}
	ch <- prometheus.MustNewConstMetric(expiringDesc, prometheus.GaugeValue, float64(n))
}
