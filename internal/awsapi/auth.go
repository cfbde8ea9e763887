package awsapi

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iam"
	"github.com/keyhold/keyhold/internal/sigv4"
)

// SigV4 signing names of the APIs on the listener.
const (
	signingName    = "kms"
	signingNameIAM = "iam"
	signingNameSTS = "sts"
	// signingNameKeyhold is keyhold's own account API (iamapi.ServiceKeyhold).
	signingNameKeyhold = "keyhold"
)

var signingNames = []string{signingName, signingNameIAM, signingNameSTS, signingNameKeyhold}

// Identity is who made a request, and where: the authenticated principal
// and the region of the credential scope.
type Identity struct {
	Principal *keyhold.Principal
	Region    string
}

// Authenticator turns a request to one of the listener's APIs (service is
// its signing name: "kms", "iam", "sts") into the caller's identity, or an
// AWS authentication error (*keyhold.Error).
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (*Identity, error)
}

// credHolder carries the credential a verification looked up back to the
// authenticator, so the request's principal is the one whose secret
// verified the signature, with no second lookup in between.
type credHolder struct{ cred *iam.Credential }

type credHolderKey struct{}

// lookup adapts the identity service to sigv4.LookupFunc.
func lookup(ids *iam.Service) sigv4.LookupFunc {
	return func(ctx context.Context, accessKeyID, sessionToken string) ([]byte, error) {
		cred, err := ids.LookupCredentials(ctx, accessKeyID, sessionToken)
		if err != nil {
			return nil, err
		}
		if h, ok := ctx.Value(credHolderKey{}).(*credHolder); ok {
			h.cred = cred
		}
		return cred.Secret, nil
	}
}

// sigv4Auth authenticates requests with full SigV4 verification against
// the credentials of the identity service.
type sigv4Auth struct {
	ids       *iam.Service
	verifiers map[string]*sigv4.Verifier
}

// NewSigV4Authenticator returns the authenticator of `keyhold serve`:
// every request must be signed by an active access key or unexpired
// temporary credentials, for the service it is sent to and one of regions
// (any region when regions is empty; IAM, a global service, accepts any).
func NewSigV4Authenticator(ids *iam.Service, regions []string) Authenticator {
	var allow func(string) bool
	if len(regions) > 0 {
		allowed := slices.Clone(regions)
		allow = func(r string) bool { return slices.Contains(allowed, r) }
	}
	a := &sigv4Auth{ids: ids, verifiers: map[string]*sigv4.Verifier{}}
	for _, svc := range signingNames {
		cfg := sigv4.Config{Service: svc, Lookup: lookup(ids), AllowRegion: allow}
		if svc == signingNameIAM || svc == signingNameKeyhold {
			cfg.AllowRegion = nil // global APIs
		}
		a.verifiers[svc] = mustVerifier(cfg)
	}
	return a
}

func mustVerifier(cfg sigv4.Config) *sigv4.Verifier {
	v, err := sigv4.NewVerifier(cfg)
	if err != nil {
		panic(err) // the configurations in this file are static and valid
	}
	return v
}

func (a *sigv4Auth) Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (*Identity, error) {
	v := a.verifiers[service]
	if v == nil {
		v = a.verifiers[signingName]
	}
	h := &credHolder{}
	res, err := v.Verify(context.WithValue(ctx, credHolderKey{}, h), r, body)
	if err != nil {
		return nil, err
	}
	if h.cred == nil {
		return nil, errors.New("awsapi: signature verified without a credential lookup")
	}
	a.ids.RecordUse(ctx, res.AccessKeyID, res.Service, res.Region)
	return &Identity{Principal: h.cred.Principal, Region: res.Region}, nil
}

// devAuth accepts any well-formed SigV4 credentials, for `keyhold dev`.
type devAuth struct {
	account string
	loose   map[string]*sigv4.Verifier // signature not checked
	ids     *iam.Service
	strict  map[string]*sigv4.Verifier // for credentials the identity service knows
}

// DevOption configures NewDevAuthenticator.
type DevOption func(*devAuth)

// DevKnownCredentials makes the dev authenticator recognise credentials
// minted through IAM and STS on the dev server itself: a request signed
// with one of them is verified in full and acts as its principal (so a
// test suite can create users, assume roles and see what they may do).
// Any other credentials still act as the account root.
func DevKnownCredentials(ids *iam.Service) DevOption {
	return func(a *devAuth) {
		a.ids = ids
		a.strict = map[string]*sigv4.Verifier{}
		for _, svc := range signingNames {
			a.strict[svc] = mustVerifier(sigv4.Config{Service: svc, Lookup: lookup(ids)})
		}
	}
}

// NewDevAuthenticator returns the authenticator of `keyhold dev`: the
// Authorization header must be well formed (so real clients' mistakes still
// show), but the signature is not checked. A 12-digit access key id selects
// that account; any other id acts in defaultAccount. The caller acts as the
// account root.
func NewDevAuthenticator(defaultAccount string, opts ...DevOption) Authenticator {
	a := &devAuth{account: defaultAccount, loose: map[string]*sigv4.Verifier{}}
	for _, svc := range signingNames {
		a.loose[svc] = mustVerifier(sigv4.Config{Service: svc, AcceptAnySignature: true})
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func (a *devAuth) Authenticate(ctx context.Context, r *http.Request, body []byte, service string) (*Identity, error) {
	v := a.loose[service]
	if v == nil {
		v = a.loose[signingName]
		service = signingName
	}
	res, err := v.Verify(ctx, r, body)
	if err != nil {
		return nil, err
	}
	if a.ids != nil {
		known, err := a.ids.KnowsAccessKey(ctx, res.AccessKeyID)
		if err != nil {
			return nil, err
		}
		if known {
			h := &credHolder{}
			res, err := a.strict[service].Verify(context.WithValue(ctx, credHolderKey{}, h), r, body)
			if err != nil {
				return nil, err
			}
			a.ids.RecordUse(ctx, res.AccessKeyID, res.Service, res.Region)
			return &Identity{Principal: h.cred.Principal, Region: res.Region}, nil
		}
	}
	account := a.account
	if keyhold.IsAccountID(res.AccessKeyID) {
		account = res.AccessKeyID
	}
	p := iam.RootPrincipal(account)
	p.AccessKeyID = res.AccessKeyID
	return &Identity{Principal: p, Region: res.Region}, nil
}
