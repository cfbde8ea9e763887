package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/audit"
	"github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/metrics"
)

// Auditor records a call's event durably before its response is sent.
// *audit.Log implements it.
type Auditor interface {
	Record(ctx context.Context, ev *audit.Event) error
	Healthy() bool
}

// WithAudit records every call in a before its response is sent. With
// failOpenReads, read-only KMS calls are still served while the audit log
// cannot be written (they are then not recorded); everything else is
// refused.
func WithAudit(a Auditor, failOpenReads bool) Option {
	return func(h *Handler) { h.audit, h.failOpenReads = a, failOpenReads }
}

// WithMetrics counts and times every call.
func WithMetrics(m *metrics.Metrics) Option {
	return func(h *Handler) { h.metrics = m }
}

// call is what a request did, gathered while it is served, for its audit
// event and metrics.
type call struct {
	start    time.Time
	service  string // signing name: kms, iam, sts, keyhold
	op       string
	identity *Identity
	in, out  any
	errCode  string
	errMsg   string
}

// recorder buffers a response so that it is released only after the
// call's audit event is durable.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	call   call
}

func (rec *recorder) Header() http.Header { return rec.header }
func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}
func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(b)
}

// callOf returns the call being recorded for w, or a scratch one.
func callOf(w http.ResponseWriter) *call {
	if rec, ok := w.(*recorder); ok {
		return &rec.call
	}
	return &call{}
}

var errAuditDown = keyhold.NewError(keyhold.ErrCodeInternal,
	"The audit log cannot be written, so keyhold refuses requests rather than serve them unaudited. It recovers by itself when the audit directory is writable again; see the server log.")

// serveObserved wraps the protocol handlers: it refuses calls while the
// audit log is down, buffers the response, records the audit event and the
// metrics, then sends the response.
func (h *Handler) serveObserved(w http.ResponseWriter, r *http.Request, serve func(http.ResponseWriter, *http.Request)) {
	if h.audit == nil && h.metrics == nil {
		serve(w, r)
		return
	}
	rec := &recorder{header: w.Header(), call: call{start: time.Now(), service: signingName}}
	if h.metrics != nil {
		h.metrics.RequestStarted()
		defer h.metrics.RequestDone()
	}
	if h.audit != nil && !h.audit.Healthy() && !(h.failOpenReads && managementRead(kmsTargetOp(r))) {
		rec.call.op = kmsTargetOp(r)
		h.writeError(rec, w.Header().Get("x-amzn-RequestId"), rec.call.op, errAuditDown)
		h.flush(w, rec)
		return
	}
	serve(rec, r)
	if h.audit != nil {
		ev := h.event(r, rec)
		if err := h.audit.Record(r.Context(), ev); err != nil {
			if !(h.failOpenReads && managementRead(rec.call.op)) {
				// The call ran, but its answer is withheld: the client sees
				// a failure and may retry; the operator sees the log.
				h.log.Error("audit: could not record a call; answering with an error", "request_id", ev.RequestID, "operation", rec.call.op, "error", err.Error())
				rec.header.Del("Content-Length")
				rec.body.Reset()
				rec.status = 0
				if rec.call.service == signingName {
					h.writeError(rec, ev.RequestID, rec.call.op, errAuditDown)
				} else {
					h.writeQueryError(rec, ev.RequestID, rec.call.service, rec.call.op, errors.New("audit log unavailable"))
				}
			}
		}
	}
	h.flush(w, rec)
}

func (h *Handler) flush(w http.ResponseWriter, rec *recorder) {
	if h.metrics != nil {
		h.metrics.ObserveRequest(rec.call.service, rec.call.op, rec.call.errCode, time.Since(rec.call.start))
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	w.Header().Set("Content-Length", strconv.Itoa(rec.body.Len()))
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

// kmsTargetOp is the KMS operation a request names, "" if none.
func kmsTargetOp(r *http.Request) string {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if len(op) > 64 {
		op = op[:64]
	}
	return op
}

// managementRead reports whether op only reads metadata (DescribeKey,
// List*, Get*): the calls that fail-open reads keep serving while the
// audit log is down. Cryptographic operations are never among them.
func managementRead(op string) bool { return audit.ReadOnly(op) && !cryptoOps[op] }

// cryptoOps answer with responseElements null in CloudTrail.
var cryptoOps = map[string]bool{
	"Encrypt": true, "Decrypt": true, "ReEncrypt": true, "GenerateDataKey": true,
	"GenerateDataKeyWithoutPlaintext": true, "GenerateDataKeyPair": true,
	"GenerateDataKeyPairWithoutPlaintext": true, "GenerateRandom": true, "GenerateMac": true,
	"VerifyMac": true, "Sign": true, "Verify": true, "DeriveSharedSecret": true,
}

// event builds the CloudTrail-shaped record of a finished call.
func (h *Handler) event(r *http.Request, rec *recorder) *audit.Event {
	c := &rec.call
	reqID := rec.header.Get("x-amzn-RequestId")
	ev := &audit.Event{
		EventTime:       audit.FormatTime(c.start),
		EventSource:     c.service + ".amazonaws.com",
		EventName:       c.op,
		SourceIPAddress: remoteIP(r),
		UserAgent:       clipUA(r.UserAgent()),
		ErrorCode:       c.errCode,
		ErrorMessage:    c.errMsg,
		RequestID:       reqID,
		ReadOnly:        audit.ReadOnly(c.op),
		EventType:       audit.TypeAPICall,
		ManagementEvent: true,
		EventCategory:   audit.CategoryMgmt,
	}
	if c.service == signingNameKeyhold {
		ev.EventSource = "keyhold"
	}
	if c.identity != nil && c.identity.Principal != nil {
		p := c.identity.Principal
		ev.AWSRegion = c.identity.Region
		ev.RecipientAccountID = p.Account
		ev.UserIdentity = userIdentity(p)
	} else {
		// Authentication failed: say what the request claimed.
		ev.AWSRegion, ev.UserIdentity = claimedIdentity(r)
	}
	var err error
	if ev.RequestParameters, err = audit.Redact(c.in); err != nil {
		ev.RequestParameters = json.RawMessage("null")
	}
	ev.ResponseElements = json.RawMessage("null")
	if c.errCode == "" && c.out != nil && !cryptoOps[c.op] && !audit.ReadOnly(c.op) {
		if b, err := audit.Redact(c.out); err == nil {
			ev.ResponseElements = b
		}
	}
	ev.Resources = keyResources(ev.RequestParameters, ev.ResponseElements, c.out, ev.RecipientAccountID, ev.AWSRegion)
	return ev
}

func clipUA(s string) string {
	if len(s) > 512 {
		return s[:512]
	}
	return s
}

// userIdentity renders a principal as CloudTrail's userIdentity.
func userIdentity(p *keyhold.Principal) *audit.UserIdentity {
	u := &audit.UserIdentity{PrincipalID: p.UserID, ARN: p.ARN, AccountID: p.Account, AccessKeyID: p.AccessKeyID}
	switch p.Type {
	case keyhold.PrincipalAccount:
		u.Type = "Root"
	case keyhold.PrincipalUser:
		u.Type, u.UserName = "IAMUser", p.Name
	case keyhold.PrincipalAssumedRole:
		u.Type = "AssumedRole"
		sc := map[string]any{
			"sessionIssuer": map[string]string{"type": "Role", "principalId": p.EntityID, "arn": p.EntityARN, "accountId": p.Account, "userName": p.Name},
			"attributes":    map[string]string{"creationDate": audit.FormatTime(p.IssueTime), "mfaAuthenticated": "false"},
		}
		if p.SourceIdentity != "" {
			sc["sourceIdentity"] = p.SourceIdentity
		}
		u.SessionContext, _ = json.Marshal(sc)
	default:
		u.Type = string(p.Type)
	}
	return u
}

// claimedIdentity reads the access key id and region a request claims in
// its Authorization header, for the record of a failed authentication.
func claimedIdentity(r *http.Request) (string, *audit.UserIdentity) {
	a := r.Header.Get("Authorization")
	i := strings.Index(a, "Credential=")
	if i < 0 {
		return "", nil
	}
	cred := a[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 3 || len(parts[0]) > 128 {
		return "", nil
	}
	region := parts[2]
	if len(region) > 32 {
		region = ""
	}
	return region, &audit.UserIdentity{Type: "Unknown", AccessKeyID: parts[0]}
}

// keyMembers are the members of a recorded request or response that name
// a key.
type keyMembers struct {
	KeyID            string `json:"keyId"`
	SourceKeyID      string `json:"sourceKeyId"`
	DestinationKeyID string `json:"destinationKeyId"`
	TargetKeyID      string `json:"targetKeyId"`
	KeyMetadata      struct {
		ARN string `json:"arn"`
	} `json:"keyMetadata"`
}

// keyResources lists the KMS key ARNs a call touched, from the request's
// and response's key members.
func keyResources(req, resp json.RawMessage, out any, account, region string) []audit.Resource {
	seen := map[string]bool{}
	var res []audit.Resource
	add := func(s string) {
		if account != "" && region != "" && looksLikeKeyID(s) {
			s = keyhold.KeyARN(region, account, s)
		}
		if !strings.HasPrefix(s, "arn:") || !strings.Contains(s, ":key/") || seen[s] {
			return
		}
		seen[s] = true
		acct := account
		if a, err := keyhold.ParseARN(s); err == nil {
			acct = a.Account
		}
		res = append(res, audit.KeyResource(acct, s))
	}
	// A cryptographic call's answer names the key it used (and ReEncrypt's
	// both keys): whatever the request named resolved to those, so the
	// request need not be read again.
	outARNs := kms.OutputKeyARNs(out)
	if len(outARNs) > 0 && string(resp) == "null" {
		req = nil
	}
	for _, raw := range []json.RawMessage{req, resp} {
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var m keyMembers
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		for _, s := range []string{m.KeyID, m.SourceKeyID, m.DestinationKeyID, m.TargetKeyID, m.KeyMetadata.ARN} {
			add(s)
		}
	}
	// Responses that are not recorded (cryptographic and read-only
	// operations) still name their keys.
	for _, arn := range outARNs {
		add(arn)
	}
	return res
}

// looksLikeKeyID reports whether s has the shape of a key id (not an ARN
// or alias), so its ARN can be named in the record.
func looksLikeKeyID(s string) bool {
	if strings.HasPrefix(s, "mrk-") {
		return len(s) == 36
	}
	return len(s) == 36 && strings.Count(s, "-") == 4 && !strings.ContainsAny(s, ":/")
}
