package proxy

import (
	"net"
	"net/http"
	"time"

	"github.com/keyhold/keyhold/internal/xks"
)

// AuditRecord is what the proxy tells the audit trail about one request.
// It holds no plaintext, ciphertext, AAD or secret.
type AuditRecord struct {
	Time time.Time
	// Operation is the XKS operation, "" when the path names none.
	Operation     string
	KeyStore      string
	ExternalKeyID string
	// AccessKeyID and Region are from the SigV4 credential scope, once
	// the request is authenticated.
	AccessKeyID string
	Region      string
	SourceIP    string
	UserAgent   string
	// Metadata is the request's requestMetadata, nil if the body was not
	// read or did not parse.
	Metadata     *xks.RequestMetadata
	ErrorName    string
	ErrorMessage string
}

func (s *Server) auditRecord(r *http.Request, c *call, start time.Time, xerr *xks.Error) *AuditRecord {
	rec := &AuditRecord{
		Time:          start,
		Operation:     c.op,
		ExternalKeyID: c.path.KeyID,
		AccessKeyID:   c.access,
		Region:        c.region,
		SourceIP:      r.RemoteAddr,
		UserAgent:     r.UserAgent(),
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		rec.SourceIP = host
	}
	if c.store != nil {
		rec.KeyStore = c.store.Name
	}
	if c.req != nil {
		m := c.req.Metadata
		rec.Metadata = &m
	}
	if xerr != nil {
		rec.ErrorName, rec.ErrorMessage = xerr.Name, xerr.Message
		if xerr.Name == errMethod {
			rec.ErrorName = "MethodNotAllowed"
		}
	}
	return rec
}

// logCall logs one request: the request metadata the specification asks
// to log (kmsRequestId above all, for CloudTrail correlation), the
// outcome and the latency. Never plaintext, keys or secrets.
func (s *Server) logCall(r *http.Request, c *call, errName string, xerr *xks.Error, d time.Duration) {
	if c.op == "" && errName == "" {
		return // /ping
	}
	attrs := []any{"op", c.op, "latency_ms", float64(d.Microseconds()) / 1000, "remote", r.RemoteAddr}
	if c.store != nil {
		attrs = append(attrs, "key_store", c.store.Name)
	}
	if c.path.KeyID != "" {
		attrs = append(attrs, "external_key_id", c.path.KeyID)
	}
	if c.access != "" {
		attrs = append(attrs, "access_key_id", c.access)
	}
	if c.req != nil {
		m := c.req.Metadata
		attrs = append(attrs, "kms_request_id", m.KMSRequestID, "kms_operation", m.KMSOperation)
		if m.AWSPrincipalARN != "" {
			attrs = append(attrs, "aws_principal_arn", m.AWSPrincipalARN)
		}
		if m.KMSKeyARN != "" {
			attrs = append(attrs, "kms_key_arn", m.KMSKeyARN)
		}
	}
	if xerr != nil {
		attrs = append(attrs, "error", errName, "message", xerr.Message)
		s.log.Info("xks request failed", attrs...)
		return
	}
	s.log.Info("xks request", attrs...)
}
