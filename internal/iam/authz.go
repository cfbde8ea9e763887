package iam

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// policyCacheTTL bounds how long a principal's parsed identity policies are
// used without reading the store again (changes made through this service
// take effect at once).
const policyCacheTTL = time.Minute

type cachedPolicies struct {
	identity   []*policy.Policy
	session    []*policy.Policy // nil: no session policy
	generation uint64
	fetched    time.Time
}

type policyCache struct {
	mu sync.Mutex
	m  map[string]*cachedPolicies // by access key id, or entity ARN for roots
}

// IdentityDecision is the outcome of evaluating a principal's identity
// policies (and, for a role session, its session policies).
type IdentityDecision struct {
	Decision policy.Decision
	// Reason completes AWS's AccessDenied message when Decision is not
	// Allowed: "with an explicit deny in an identity-based policy",
	// "because no session policy allows the kms:Encrypt action", ...
	Reason string
}

// EvaluateIdentity evaluates the request r against the identity policies of
// p: the policies of its user or role, intersected with a role session's
// session policies. The root of an account is allowed everything on
// resources of its own account (r.Resource is such a resource or "*").
// r.Context is used as given; build it with RequestContext.
//
// This is the identity half of AWS's evaluation logic; resource policies
// (key policies, grants) are the caller's to combine with it.
func (s *Service) EvaluateIdentity(ctx context.Context, p *keyhold.Principal, r *policy.Request) (IdentityDecision, error) {
	if p.Type == keyhold.PrincipalAccount {
		if resourceAccount(r.Resource) == "" || resourceAccount(r.Resource) == p.Account {
			return IdentityDecision{Decision: policy.Allowed}, nil
		}
		return IdentityDecision{Decision: policy.NotApplicable,
			Reason: "because no identity-based policy allows the " + r.Action + " action"}, nil
	}
	cp, err := s.principalPolicies(ctx, p)
	if err != nil {
		return IdentityDecision{}, err
	}
	d := policy.Evaluate(r, cp.identity...)
	var sd policy.Decision
	if cp.session != nil {
		sd = policy.Evaluate(r, cp.session...)
	}
	switch {
	case d == policy.Denied:
		return IdentityDecision{policy.Denied, "with an explicit deny in an identity-based policy"}, nil
	case cp.session != nil && sd == policy.Denied:
		return IdentityDecision{policy.Denied, "with an explicit deny in a session policy"}, nil
	case d != policy.Allowed:
		return IdentityDecision{policy.NotApplicable, "because no identity-based policy allows the " + r.Action + " action"}, nil
	case cp.session != nil && sd != policy.Allowed:
		return IdentityDecision{policy.NotApplicable, "because no session policy allows the " + r.Action + " action"}, nil
	}
	return IdentityDecision{Decision: policy.Allowed}, nil
}

// resourceAccount returns the account part of an ARN, "" for "*" or a
// non-ARN.
func resourceAccount(arn string) string {
	a, err := keyhold.ParseARN(arn)
	if err != nil {
		return ""
	}
	return a.Account
}

// principalPolicies returns the parsed identity and session policies of a
// principal, from the cache when it is fresh.
func (s *Service) principalPolicies(ctx context.Context, p *keyhold.Principal) (*cachedPolicies, error) {
	key := p.AccessKeyID + "|" + p.EntityARN
	now := s.now()
	gen := s.generation.Load()
	s.policies.mu.Lock()
	cp := s.policies.m[key]
	s.policies.mu.Unlock()
	if cp != nil && cp.generation == gen && now.Sub(cp.fetched) < policyCacheTTL && !now.Before(cp.fetched) {
		return cp, nil
	}
	cp = &cachedPolicies{generation: gen, fetched: now}
	entity := keyhold.EntityUser
	if p.Type == keyhold.PrincipalAssumedRole {
		entity = keyhold.EntityRole
	}
	docs, err := s.entityPolicyDocuments(ctx, p.Account, entity, p.Name)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		pol, err := policy.Parse(d, policy.KindIdentity)
		if err != nil {
			// Stored policies were validated when they were put; one that
			// no longer parses grants nothing rather than failing every
			// request of its principal.
			s.log.Error("stored identity policy does not parse", "principal", p.ARN, "error", err.Error())
			continue
		}
		cp.identity = append(cp.identity, pol)
	}
	if p.Type == keyhold.PrincipalAssumedRole {
		ss, err := s.session(ctx, p)
		if err != nil {
			return nil, err
		}
		if ss.Policy != "" || len(ss.PolicyARNs) > 0 {
			cp.session = []*policy.Policy{}
			docs := []string{}
			if ss.Policy != "" {
				docs = append(docs, ss.Policy)
			}
			for _, arn := range ss.PolicyARNs {
				mp, err := s.store.GetManagedPolicy(ctx, arn)
				if errors.Is(err, keyhold.ErrNotFound) {
					continue // a deleted policy allows nothing
				}
				if err != nil {
					return nil, internal(err)
				}
				docs = append(docs, mp.Document)
			}
			for _, d := range docs {
				if pol, err := policy.Parse(d, policy.KindIdentity); err == nil {
					cp.session = append(cp.session, pol)
				}
			}
		}
	}
	s.policies.mu.Lock()
	if s.policies.m == nil || len(s.policies.m) >= maxCachedCredentials {
		s.policies.m = map[string]*cachedPolicies{}
	}
	s.policies.m[key] = cp
	s.policies.mu.Unlock()
	return cp, nil
}

// entityPolicyDocuments returns the documents of a user's or role's inline
// and attached policies. A missing entity has none.
func (s *Service) entityPolicyDocuments(ctx context.Context, account, entity, name string) ([]string, error) {
	inline, err := s.store.ListInlinePolicies(ctx, account, entity, name)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal(err)
	}
	attached, err := s.store.ListAttachedPolicies(ctx, account, entity, name)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, internal(err)
	}
	docs := make([]string, 0, len(inline)+len(attached))
	for _, p := range inline {
		docs = append(docs, p.Document)
	}
	for _, p := range attached {
		docs = append(docs, p.Document)
	}
	return docs, nil
}

// RequestContext returns the global condition keys of a request by p:
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:userid,
// aws:username (users), aws:PrincipalTag/<key>, aws:RequestedRegion,
// aws:CurrentTime, aws:EpochTime, aws:SecureTransport, aws:SourceIp,
// aws:SourceIdentity and aws:TokenIssueTime (role sessions). Callers add
// the keys of their operation.
func RequestContext(c *Caller, now time.Time) policy.Context {
	p := c.Principal
	ctx := policy.Context{}
	ctx.Set("aws:PrincipalArn", p.EntityARN)
	ctx.Set("aws:PrincipalAccount", p.Account)
	ctx.Set("aws:PrincipalType", string(p.Type))
	ctx.Set("aws:userid", p.UserID)
	if p.Type == keyhold.PrincipalUser {
		ctx.Set("aws:username", p.Name)
	}
	for _, t := range p.Tags {
		ctx.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	if c.Region != "" {
		ctx.Set("aws:RequestedRegion", c.Region)
	}
	now = now.UTC()
	ctx.Set("aws:CurrentTime", now.Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Set("aws:SecureTransport", strconv.FormatBool(c.SecureTransport))
	if c.SourceIP != "" {
		ctx.Set("aws:SourceIp", c.SourceIP)
	}
	if p.SourceIdentity != "" {
		ctx.Set("aws:SourceIdentity", p.SourceIdentity)
	}
	if !p.IssueTime.IsZero() {
		ctx.Set("aws:TokenIssueTime", p.IssueTime.UTC().Format(time.RFC3339))
	}
	return ctx
}

// setRequestTags adds aws:RequestTag/<key> and aws:TagKeys for tags sent
// with a request.
func setRequestTags(ctx policy.Context, tags []iamapi.Tag) {
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		ctx.Set("aws:RequestTag/"+t.Key, t.Value)
		keys = append(keys, t.Key)
	}
	if len(keys) > 0 {
		ctx.Set("aws:TagKeys", keys...)
	}
}

// setResourceTags adds aws:ResourceTag/<key> (and IAM's older
// iam:ResourceTag/<key>) for the tags of the user or role acted on.
func setResourceTags(ctx policy.Context, tags []keyhold.Tag) {
	for _, t := range tags {
		ctx.Set("aws:ResourceTag/"+t.Key, t.Value)
		ctx.Set("iam:ResourceTag/"+t.Key, t.Value)
	}
}

// authorize checks that the caller's identity policies allow action on
// resource, with the request's condition keys plus extra.
func (s *Service) authorize(ctx context.Context, c *Caller, action, resource string, extra func(policy.Context)) error {
	rc := RequestContext(c, s.now())
	if extra != nil {
		extra(rc)
	}
	d, err := s.EvaluateIdentity(ctx, c.Principal, &policy.Request{Action: action, Resource: resource, Context: rc})
	if err != nil {
		return err
	}
	if d.Decision == policy.Allowed {
		return nil
	}
	return accessDenied(c.Principal, action, resource, d.Reason)
}

func accessDenied(p *keyhold.Principal, action, resource, reason string) error {
	msg := "User: " + p.ARN + " is not authorized to perform: " + action + " on resource: " + resource
	if reason != "" {
		msg += " " + reason
	}
	return keyhold.NewError(iamapi.ErrCodeAccessDenied, msg)
}
