package awsapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kms"
	"github.com/keyhold/keyhold/internal/sigv4"
)

// signingName is the SigV4 service name of the KMS API.
const signingName = "kms"

// sigv4Auth authenticates requests with full SigV4 verification against
// the access keys in the store.
type sigv4Auth struct {
	svc *kms.Service
	v   *sigv4.Verifier
}

// NewSigV4Authenticator returns the authenticator of `keyhold serve`:
// every request must be signed by an active access key, for service "kms"
// and one of regions (any region when regions is empty).
func NewSigV4Authenticator(svc *kms.Service, regions []string) Authenticator {
	a := &sigv4Auth{svc: svc}
	cfg := sigv4.Config{
		Service: signingName,
		Lookup: func(ctx context.Context, accessKeyID, sessionToken string) ([]byte, error) {
			if sessionToken != "" {
				// Temporary credentials come with the STS subset.
				return nil, keyhold.NewError(keyhold.ErrCodeUnrecognizedClient, "The security token included in the request is invalid.")
			}
			p, err := svc.LookupAccessKey(ctx, accessKeyID)
			if err != nil {
				return nil, err
			}
			return p.Secret, nil
		},
	}
	if len(regions) > 0 {
		allowed := slices.Clone(regions)
		cfg.AllowRegion = func(r string) bool { return slices.Contains(allowed, r) }
	}
	v, err := sigv4.NewVerifier(cfg)
	if err != nil {
		panic(err) // the configuration above is static and valid
	}
	a.v = v
	return a
}

func (a *sigv4Auth) Authenticate(ctx context.Context, r *http.Request, body []byte) (*kms.Caller, error) {
	res, err := a.v.Verify(ctx, r, body)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.LookupAccessKey(ctx, res.AccessKeyID) // cached by the lookup above
	if err != nil {
		return nil, err
	}
	return &kms.Caller{Account: p.Account, Region: res.Region, PrincipalARN: p.PrincipalARN, AccessKeyID: res.AccessKeyID}, nil
}

// devAuth accepts any well-formed SigV4 credentials without checking the
// signature, for `keyhold dev`.
type devAuth struct {
	account string
	v       *sigv4.Verifier
}

// NewDevAuthenticator returns the authenticator of `keyhold dev`: the
// Authorization header must be well formed (so real clients' mistakes still
// show), but the signature is not checked. A 12-digit access key id selects
// that account; any other id acts in defaultAccount. The caller acts as the
// account root.
func NewDevAuthenticator(defaultAccount string) Authenticator {
	v, err := sigv4.NewVerifier(sigv4.Config{Service: signingName, AcceptAnySignature: true})
	if err != nil {
		panic(err)
	}
	return &devAuth{account: defaultAccount, v: v}
}

func (a *devAuth) Authenticate(ctx context.Context, r *http.Request, body []byte) (*kms.Caller, error) {
	res, err := a.v.Verify(ctx, r, body)
	if err != nil {
		return nil, err
	}
	account := a.account
	if keyhold.IsAccountID(res.AccessKeyID) {
		account = res.AccessKeyID
	}
	return &kms.Caller{
		Account:      account,
		Region:       res.Region,
		PrincipalARN: "arn:" + keyhold.Partition + ":iam::" + account + ":root",
		AccessKeyID:  res.AccessKeyID,
	}, nil
}
