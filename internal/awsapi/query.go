package awsapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iam"
	"github.com/keyhold/keyhold/internal/iamapi"
	"github.com/keyhold/keyhold/internal/sigv4"
)

const formContentType = "application/x-www-form-urlencoded"

// route decides whether a request is for IAM or STS rather than KMS. The
// SigV4 credential scope names the service; a request without a usable
// Authorization header goes by its shape: X-Amz-Target means KMS, a form
// whose Action is an IAM or STS operation means that service (which then
// answers, in its own format, that authentication is missing). body is the
// request body when route had to read it, nil otherwise.
func (h *Handler) route(r *http.Request) (service string, body []byte, ok bool) {
	if svc, ok := scopeService(r.Header.Get("Authorization")); ok {
		switch svc {
		case signingNameIAM, signingNameSTS, signingNameKeyhold:
			return svc, nil, true
		}
		return "", nil, false
	}
	if r.Header.Get("X-Amz-Target") != "" || r.Method != http.MethodPost {
		return "", nil, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != formContentType {
		return "", nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return "", nil, false
	}
	// Whatever happens next, the body is read: hand it on.
	r.Body = io.NopCloser(bytes.NewReader(b))
	if len(b) > MaxBodyBytes {
		return "", nil, false
	}
	v, err := iamapi.ParseForm(b)
	if err != nil {
		return "", nil, false
	}
	if svc, known := iamapi.ServiceOf(v["Action"]); known {
		return svc, b, true
	}
	return "", nil, false
}

// scopeService returns the service of a SigV4 Authorization header's
// credential scope (Credential=AKID/date/region/SERVICE/aws4_request),
// without allocating: it runs on every request. The verifier parses the
// header properly afterwards; this only picks the API.
func scopeService(authz string) (string, bool) {
	if !strings.HasPrefix(authz, sigv4.Algorithm+" ") {
		return "", false
	}
	_, cred, ok := strings.Cut(authz, "Credential=")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(cred, ", "); i >= 0 {
		cred = cred[:i]
	}
	// cred is AKID/date/region/service/aws4_request.
	end := strings.LastIndexByte(cred, '/')
	if end < 0 {
		return "", false
	}
	start := strings.LastIndexByte(cred[:end], '/')
	if start < 0 {
		return "", false
	}
	return cred[start+1 : end], true
}

// serveQuery serves one IAM, STS or keyhold account API request.
func (h *Handler) serveQuery(w http.ResponseWriter, r *http.Request, reqID, service string, body []byte) {
	action := ""
	fail := func(err error) { h.writeQueryError(w, reqID, service, action, err) }
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("panic serving request", "request_id", reqID, "service", service, "panic", fmt.Sprint(v))
			fail(errors.New("panic"))
		}
	}()
	if r.Method != http.MethodPost || (r.URL.Path != "/" && r.URL.Path != "") {
		fail(keyhold.NewError(iamapi.ErrCodeInvalidAction, "Only POST / is served; the action goes in the form body."))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != formContentType {
		fail(keyhold.Errorf(iamapi.ErrCodeMalformedQueryString, "Unsupported Content-Type %q: the %s API takes %s.",
			clipHeader(r.Header.Get("Content-Type")), service, formContentType))
		return
	}
	if body == nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			fail(keyhold.NewError(iamapi.ErrCodeMalformedQueryString, "Could not read the request body."))
			return
		}
		body = b
	}
	if len(body) > MaxBodyBytes {
		fail(keyhold.Errorf(iamapi.ErrCodeRequestEntityTooLarge, "Request body is larger than %d bytes.", MaxBodyBytes))
		return
	}
	id, err := h.auth.Authenticate(r.Context(), r, body, service)
	if err != nil {
		fail(err)
		return
	}
	v, err := iamapi.ParseForm(body)
	callOf(w).identity = id
	if err != nil {
		fail(err)
		return
	}
	action = v["Action"]
	rc := callOf(w)
	rc.op = action
	in, err := iamapi.Decode(service, v)
	if err != nil {
		fail(err)
		return
	}
	c := &iam.Caller{
		Principal: id.Principal, Region: id.Region, RequestID: reqID,
		SourceIP: remoteIP(r), SecureTransport: r.TLS != nil,
	}
	rc.in = in
	out, err := h.ids.Dispatch(r.Context(), c, in)
	if err != nil {
		fail(err)
		return
	}
	rc.out = out
	b, err := iamapi.MarshalResponse(service, action, reqID, out)
	if err != nil {
		fail(err)
		return
	}
	h.writeXML(w, http.StatusOK, b)
	h.log.Debug("request", "request_id", reqID, "service", service, "operation", action,
		"account", id.Principal.Account, "principal", id.Principal.ARN, "status", http.StatusOK)
}

func (h *Handler) writeQueryError(w http.ResponseWriter, reqID, service, action string, err error) {
	e, ok := keyhold.AsError(err)
	if !ok || queryInternal(e.Code) {
		// Never show internal detail to the caller; the log has it.
		h.log.Error("internal error", "request_id", reqID, "service", service, "operation", action, "error", err.Error())
		e = &keyhold.Error{Code: iamapi.ErrCodeServiceFailure, Message: "An internal error occurred. Retry the request; if it keeps failing, check the keyhold server log."}
		if service == signingNameSTS {
			e.Code = iamapi.ErrCodeInternalFailure
		}
	}
	code := queryCode(e.Code)
	status := queryStatusOf(code)
	c := callOf(w)
	c.op, c.errCode, c.errMsg = action, code, e.Message
	h.log.Debug("request", "request_id", reqID, "service", service, "operation", action, "status", status, "error_code", code)
	h.writeXML(w, status, iamapi.MarshalError(service, code, e.Message, reqID, status < 500))
}

func (h *Handler) writeXML(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", iamapi.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// remoteIP returns the client's address for aws:SourceIp.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

func clipHeader(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
