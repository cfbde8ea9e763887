// Package awsapi is keyhold's AWS wire layer: HTTP, SigV4 authentication
// of every request, and the protocols of the APIs served on the one
// listener, chosen by the service named in the request's SigV4 credential
// scope:
//
//   - KMS ("kms"): AWS JSON 1.1 (POST /, X-Amz-Target:
//     TrentService.<Operation>), decoded and validated against the API
//     model (internal/kmsapi), errors as {"__type", "message"}.
//   - IAM ("iam"), STS ("sts") and keyhold's account API ("keyhold"): the
//     Query protocol (a form-encoded POST with Action and Version,
//     internal/iamapi), XML responses and errors.
//
// Each maps errors to AWS's codes and HTTP statuses with its own table
// (errors.go).
package awsapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iam"
	"github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/metrics"
)

// MaxBodyBytes caps a request body. The largest legal KMS request is a
// PutKeyPolicy/CreateKey with a 131072-character policy, which JSON escaping
// can grow to ~6 bytes a character; 1 MiB leaves ample room above that.
const MaxBodyBytes = 1 << 20

const (
	contentType  = "application/x-amz-json-1.1"
	targetPrefix = "TrentService."
)

// Handler serves the KMS API and, with WithIdentity, the IAM and STS APIs.
type Handler struct {
	svc  *kms.Service
	ids  *iam.Service
	auth Authenticator
	log  *slog.Logger

	audit         Auditor
	failOpenReads bool
	metrics       *metrics.Metrics
}

// Option configures a Handler.
type Option func(*Handler)

// WithIdentity serves the IAM and STS APIs of ids on the same listener.
func WithIdentity(ids *iam.Service) Option {
	return func(h *Handler) { h.ids = ids }
}

// NewHandler returns the HTTP handler of the KMS API (and of IAM and STS
// with WithIdentity).
func NewHandler(svc *kms.Service, auth Authenticator, log *slog.Logger, opts ...Option) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{svc: svc, auth: auth, log: log}
	for _, o := range opts {
		o(h)
	}
	return h
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := keyhold.NewUUID()
	w.Header().Set("x-amzn-RequestId", reqID)
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("panic serving request", "request_id", reqID, "panic", fmt.Sprint(v))
			h.writeError(w, reqID, "", internalError)
		}
	}()

	h.serveObserved(w, r, func(w http.ResponseWriter, r *http.Request) {
		if h.ids != nil {
			if service, body, ok := h.route(r); ok {
				callOf(w).service = service
				h.serveQuery(w, r, reqID, service, body)
				return
			}
		}
		h.serveKMS(w, r, reqID)
	})
}

// serveKMS serves one KMS API request.
func (h *Handler) serveKMS(w http.ResponseWriter, r *http.Request, reqID string) {
	c := callOf(w)
	op, err := checkProtocol(r)
	c.op = op
	if err != nil {
		h.writeError(w, reqID, op, err)
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 {
			bufPool.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil {
		h.writeError(w, reqID, op, keyhold.NewError(keyhold.ErrCodeSerialization, "Could not read the request body."))
		return
	}
	body := buf.Bytes()
	if len(body) > MaxBodyBytes {
		h.writeError(w, reqID, op, keyhold.Errorf(keyhold.ErrCodeRequestEntityTooLarge,
			"Request body is larger than %d bytes.", MaxBodyBytes))
		return
	}

	id, err := h.auth.Authenticate(r.Context(), r, body, signingName)
	if err != nil {
		h.writeError(w, reqID, op, err)
		return
	}
	c.identity = id
	caller := kms.NewCaller(id.Principal, id.Region, reqID)
	caller.SourceIP, caller.SecureTransport = remoteIP(r), r.TLS != nil

	in, err := kmsapi.DecodeInput(op, body)
	if err != nil {
		h.writeError(w, reqID, op, err)
		return
	}
	c.in = in
	if err := in.Validate(); err != nil {
		h.writeError(w, reqID, op, err)
		return
	}
	out, err := h.svc.Dispatch(r.Context(), caller, in)
	if err != nil {
		h.writeError(w, reqID, op, err)
		return
	}
	c.out = out
	h.writeJSON(w, http.StatusOK, out)
	h.log.Debug("request", "request_id", reqID, "operation", op, "account", caller.Account, "region", caller.Region, "status", http.StatusOK)
}

// checkProtocol checks method, content type and target, and returns the
// operation name.
func checkProtocol(r *http.Request) (string, error) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if r.Method != http.MethodPost || (r.URL.Path != "/" && r.URL.Path != "") {
		return "", keyhold.NewError(keyhold.ErrCodeUnknownOperation, "Only POST / is served; the operation goes in the X-Amz-Target header.")
	}
	if target == "" {
		return "", keyhold.NewError(keyhold.ErrCodeUnknownOperation, "Missing X-Amz-Target header; it names the operation, e.g. TrentService.Encrypt.")
	}
	if !ok || !kmsapi.IsOperation(op) {
		return "", keyhold.Errorf(keyhold.ErrCodeUnknownOperation, "Unknown operation %s", target)
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != contentType {
		// AWS JSON services answer an unexpected content type as an
		// unknown operation.
		return op, keyhold.Errorf(keyhold.ErrCodeUnknownOperation,
			"Unsupported Content-Type %q: the KMS API uses %s.", r.Header.Get("Content-Type"), contentType)
	}
	return op, nil
}

type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func (h *Handler) writeError(w http.ResponseWriter, reqID, op string, err error) {
	e, ok := keyhold.AsError(err)
	if !ok {
		// Never show internal detail to the caller; it may name files,
		// SQL or worse. The log has it, under the request id.
		h.log.Error("internal error", "request_id", reqID, "operation", op, "error", err.Error())
		e = internalError
	} else if e.Code == keyhold.ErrCodeInternal {
		h.log.Error("internal error", "request_id", reqID, "operation", op, "error", err.Error())
	}
	status := statusOf(e.Code)
	c := callOf(w)
	c.errCode, c.errMsg = e.Code, e.Message
	h.log.Debug("request", "request_id", reqID, "operation", op, "status", status, "error_code", e.Code)
	h.writeJSON(w, status, errorBody{Type: e.Code, Message: e.Message})
}

func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		h.log.Error("encoding response", "error", err.Error())
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Type: internalError.Code, Message: internalError.Message})
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
