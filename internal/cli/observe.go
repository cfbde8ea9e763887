package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keyhold/keyhold/internal/audit"
	"github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// openAudit opens the audit log in <data>/audit with the crypto boundary's
// audit signing key, and registers its metrics.
func (s *server) openAudit() error {
	var stdout *os.File
	if s.cfg.AuditStdout {
		stdout = os.Stdout
	}
	opts := audit.Options{Dir: filepath.Join(s.cfg.Data, auditDir), Signer: s.boundary, Logger: s.log}
	if stdout != nil {
		opts.Stdout = stdout
	}
	// Validate checked it.
	opts.SyncDelay, _ = time.ParseDuration(s.cfg.AuditSyncDelay)
	busy := int64(s.cfg.AuditSyncDelayInFlight)
	opts.Busy = func() bool { return s.metrics.InFlight() >= busy }
	syncSeconds := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "keyhold_audit_sync_seconds",
		Help:    "Duration of each write and fsync of a batch of audit events.",
		Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1},
	})
	eventsWritten := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "keyhold_audit_events_written_total",
		Help: "Audit events made durable (divide by keyhold_audit_sync_seconds_count for events per fsync).",
	})
	s.metrics.Collector(syncSeconds)
	s.metrics.Collector(eventsWritten)
	opts.OnSync = func(d time.Duration, n int) {
		syncSeconds.Observe(d.Seconds())
		eventsWritten.Add(float64(n))
	}
	l, err := audit.Open(opts)
	if err != nil {
		return fmt.Errorf("opening the audit log: %w", err)
	}
	s.audit = l
	m := s.metrics
	m.GaugeFunc("keyhold_audit_queue_depth", "Audit events waiting to be written.", func() float64 { return float64(l.QueueDepth()) })
	m.GaugeFunc("keyhold_audit_writable", "1 while the audit log can be written, 0 while keyhold refuses requests because it cannot.", func() float64 {
		if l.Healthy() {
			return 1
		}
		return 0
	})
	m.Collector(&metrics.KeysCollector{Stats: func(ctx context.Context) ([]metrics.KeyStat, time.Time, error) {
		ks, next, err := s.svc.KeyStats(ctx)
		out := make([]metrics.KeyStat, len(ks))
		for i, k := range ks {
			out[i] = metrics.KeyStat{State: string(k.State), Spec: k.KeySpec, Count: k.Count}
		}
		return out, next, err
	}})
	m.Collector(&metrics.KeyMaterialExpiryCollector{Expiry: s.svc.KeyMaterialExpiry})
	return nil
}

// serviceEvent records a change the service made by itself (automatic
// rotation, deletion, expiry) as an AwsServiceEvent, as CloudTrail does.
func (s *server) serviceEvent(ctx context.Context, ev kms.ServiceEvent) {
	if s == nil || s.audit == nil {
		return
	}
	params := map[string]string{"keyId": ev.KeyARN}
	for k, v := range ev.Details {
		params[k] = v
	}
	req, _ := json.Marshal(params)
	e := &audit.Event{
		EventTime:          audit.FormatTime(ev.Time),
		EventSource:        "kms.amazonaws.com",
		EventName:          ev.Name,
		AWSRegion:          ev.Region,
		UserIdentity:       &audit.UserIdentity{Type: "AWSService", InvokedBy: "kms.amazonaws.com"},
		SourceIPAddress:    "kms.amazonaws.com",
		RequestParameters:  req,
		ResponseElements:   json.RawMessage("null"),
		ReadOnly:           false,
		Resources:          []audit.Resource{audit.KeyResource(ev.Account, ev.KeyARN)},
		EventType:          audit.TypeServiceEvent,
		ManagementEvent:    true,
		RecipientAccountID: ev.Account,
		EventCategory:      audit.CategoryMgmt,
	}
	if err := s.audit.Record(ctx, e); err != nil {
		s.log.Error("audit: could not record a service event", "event", ev.Name, "key_arn", ev.KeyARN, "error", err.Error())
	}
}
