package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/iamapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// Session limits.
const (
	defaultSessionDuration = time.Hour
	// roleChainingLimit caps a session assumed with a role session's
	// credentials.
	roleChainingLimit = time.Hour
	// maxPackedSize is the budget of session policies and session tags
	// together (IAM's plaintext limit for session policies).
	maxPackedSize = 2048
	maxPolicyARNs = 10
	// expiredSessionRetention is how long expired sessions are kept, so
	// that their use is answered "expired" rather than "invalid".
	expiredSessionRetention = 24 * time.Hour
	sessionCleanupInterval  = 10 * time.Minute
)

// GetCallerIdentity reports who the caller is. Like AWS it needs no
// permission: nobody can be denied knowing who they are.
func (s *Service) GetCallerIdentity(_ context.Context, c *Caller) (*iamapi.GetCallerIdentityOutput, error) {
	p := c.Principal
	return &iamapi.GetCallerIdentityOutput{UserID: p.UserID, Account: p.Account, Arn: p.ARN}, nil
}

// AssumeRole issues temporary credentials for a role. The role's trust
// policy decides who may assume it: a principal it names directly (or a
// role session of a role it names) needs nothing more in the role's
// account; a principal allowed only through its account (the account id or
// root ARN, or any principal of another account) also needs an identity
// policy allowing sts:AssumeRole on the role. Session tags need
// sts:TagSession, a source identity sts:SetSourceIdentity, the same way.
func (s *Service) AssumeRole(ctx context.Context, c *Caller, in *iamapi.AssumeRoleInput) (*iamapi.AssumeRoleOutput, error) {
	p := c.Principal
	if in.ProvidedContexts > 0 {
		return nil, keyhold.NewError(iamapi.ErrCodeInvalidParameterValue, "ProvidedContexts (trusted identity propagation) is not supported by keyhold.")
	}
	if in.SerialNumber != nil || in.TokenCode != nil {
		return nil, keyhold.NewError(iamapi.ErrCodeInvalidParameterValue, "keyhold has no MFA devices: SerialNumber and TokenCode cannot be used.")
	}
	if p.Type == keyhold.PrincipalAccount && !s.dev {
		return nil, keyhold.NewError(iamapi.ErrCodeAccessDenied, "Roles may not be assumed by root accounts.")
	}
	denied := accessDenied(p, "sts:AssumeRole", in.RoleArn, "")

	// The role. A role that does not exist is denied like one that does
	// not trust the caller, so the answer does not reveal which.
	roleAccount, roleName, ok := parseRoleARN(in.RoleArn)
	if !ok {
		return nil, errorf(iamapi.ErrCodeValidationError, "%s is invalid", in.RoleArn)
	}
	r, err := s.store.GetRole(ctx, roleAccount, roleName)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, denied
	}
	if err != nil {
		return nil, internal(err)
	}
	if r.ARN != in.RoleArn {
		return nil, denied
	}
	trust, err := policy.Parse(r.AssumeRolePolicy, policy.KindTrust)
	if err != nil {
		s.log.Error("stored trust policy does not parse", "role", r.ARN, "error", err.Error())
		return nil, denied
	}

	// What the caller brings along from its own session (role chaining).
	var callerSession *keyhold.Session
	if p.Type == keyhold.PrincipalAssumedRole {
		if callerSession, err = s.session(ctx, p); err != nil {
			return nil, err
		}
	}
	tags, transitive, err := sessionTags(in, callerSession)
	if err != nil {
		return nil, err
	}

	// Who may assume the role.
	rc := RequestContext(c, s.now())
	rc.Set("sts:RoleSessionName", in.RoleSessionName)
	if in.ExternalID != nil {
		rc.Set("sts:ExternalId", *in.ExternalID)
	}
	if in.SourceIdentity != nil {
		rc.Set("sts:SourceIdentity", *in.SourceIdentity)
	}
	setRequestTags(rc, toWireTags(tags))
	if len(in.TransitiveTagKeys) > 0 {
		rc.Set("sts:TransitiveTagKeys", in.TransitiveTagKeys...)
	}
	who := &policy.Principal{Account: p.Account, ARNs: []string{p.ARN}}
	if p.Type == keyhold.PrincipalAssumedRole {
		who.ARNs = append(who.ARNs, p.EntityARN)
	}
	actions := []string{"sts:AssumeRole"}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != nil {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		if err := s.trusts(ctx, c, r, trust, who, action, rc); err != nil {
			return nil, err
		}
	}

	// How long.
	duration := defaultSessionDuration
	if in.DurationSeconds != nil {
		duration = time.Duration(*in.DurationSeconds) * time.Second
	}
	if duration > time.Duration(r.MaxSessionDuration)*time.Second {
		return nil, keyhold.NewError(iamapi.ErrCodeValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if p.Type == keyhold.PrincipalAssumedRole && duration > roleChainingLimit {
		return nil, keyhold.NewError(iamapi.ErrCodeValidationError, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}

	// Session policies.
	var sessionPolicy string
	if in.Policy != nil {
		if _, err := policy.Parse(*in.Policy, policy.KindIdentity); err != nil {
			return nil, malformed(err)
		}
		sessionPolicy = *in.Policy
	}
	if len(in.PolicyArns) > maxPolicyARNs {
		return nil, errorf(iamapi.ErrCodeValidationError, "At most %d PolicyArns can be passed.", maxPolicyARNs)
	}
	for _, arn := range in.PolicyArns {
		mp, err := s.store.GetManagedPolicy(ctx, arn)
		if err != nil && !errors.Is(err, keyhold.ErrNotFound) {
			return nil, internal(err)
		}
		if mp == nil || (mp.Account != keyhold.AWSAccount && mp.Account != r.Account) {
			return nil, errorf(iamapi.ErrCodeMalformedPolicyDocument, "Policy %s does not exist or is not attachable.", arn)
		}
	}
	packed := policySize(sessionPolicy)
	for _, arn := range in.PolicyArns {
		packed += len(arn)
	}
	for _, t := range tags {
		packed += len(t.Key) + len(t.Value)
	}
	packedPercent := (packed*100 + maxPackedSize - 1) / maxPackedSize
	if packedPercent > 100 {
		return nil, errorf(iamapi.ErrCodePackedPolicyTooLarge,
			"Packed size of session policies and session tags is %d%% of the allowed maximum.", packedPercent)
	}

	// The credentials.
	now := s.now().UTC()
	id := newID("ASIA", 16)
	secret := newSecret()
	token := newSessionToken()
	sealed, err := s.sealer.SealSecret(ctx, sessionSecretLabel(id), []byte(secret))
	if err != nil {
		return nil, internal(err)
	}
	tokenHash := sha256.Sum256([]byte(token))
	ss := &keyhold.Session{
		AccessKeyID: id, Account: r.Account, SealedSecret: sealed, TokenHash: tokenHash[:],
		RoleARN: r.ARN, RoleID: r.ID, RoleName: r.Name, SessionName: in.RoleSessionName,
		SourceARN: p.ARN, Tags: tags, TransitiveTagKeys: transitive,
		Policy: sessionPolicy, PolicyARNs: in.PolicyArns,
		CreationDate: now, Expiration: now.Add(duration).Truncate(time.Second),
	}
	if in.SourceIdentity != nil {
		ss.SourceIdentity = *in.SourceIdentity
	} else if p.SourceIdentity != "" {
		ss.SourceIdentity = p.SourceIdentity // carried through role chaining
	}
	if err := s.store.CreateSession(ctx, ss); err != nil {
		return nil, internal(err)
	}
	s.cleanupSessions(ctx, now)

	out := &iamapi.AssumeRoleOutput{
		Credentials: iamapi.Credentials{
			AccessKeyID: id, SecretAccessKey: secret, SessionToken: token,
			Expiration: iamapi.Timestamp(ss.Expiration),
		},
		AssumedRoleUser: iamapi.AssumedRoleUser{
			AssumedRoleID: r.ID + ":" + in.RoleSessionName,
			Arn:           keyhold.AssumedRoleARN(r.Account, r.Name, in.RoleSessionName),
		},
		SourceIdentity: ss.SourceIdentity,
	}
	if in.Policy != nil || len(in.PolicyArns) > 0 || len(in.Tags) > 0 {
		out.PackedPolicySize = &packedPercent
	}
	return out, nil
}

// trusts decides whether the caller may perform action (sts:AssumeRole,
// sts:TagSession, sts:SetSourceIdentity) on role r.
func (s *Service) trusts(ctx context.Context, c *Caller, r *keyhold.Role, trust *policy.Policy, who *policy.Principal, action string, rc policy.Context) error {
	p := c.Principal
	req := &policy.Request{Action: action, Resource: r.ARN, Principal: who, Context: rc}
	denied := accessDenied(p, action, r.ARN, "")
	if trust.Evaluate(req) != policy.Allowed {
		return denied
	}
	id, err := s.EvaluateIdentity(ctx, p, req)
	if err != nil {
		return err
	}
	if id.Decision == policy.Denied {
		return accessDenied(p, action, r.ARN, id.Reason)
	}
	if id.Decision == policy.Allowed {
		return nil
	}
	// Without an identity policy, only a principal the trust policy names
	// itself (not through its account) may, and only in the role's own
	// account.
	named := *req
	named.Principal = &policy.Principal{ARNs: who.ARNs}
	if p.Account == r.Account && trust.Evaluate(&named) == policy.Allowed {
		return nil
	}
	return accessDenied(p, action, r.ARN, id.Reason)
}

// sessionTags checks the session tags of a request and adds the transitive
// tags of the caller's own session (role chaining), which the request may
// not override.
func sessionTags(in *iamapi.AssumeRoleInput, caller *keyhold.Session) (tags []keyhold.Tag, transitive []string, err error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, nil, keyhold.NewError(iamapi.ErrCodeInvalidParameterValue, err.(*keyhold.Error).Message)
	}
	tags = fromWireTags(in.Tags)
	for _, k := range in.TransitiveTagKeys {
		if !hasTagKey(tags, k) {
			return nil, nil, errorf(iamapi.ErrCodeInvalidParameterValue, "The transitive tag key %s is not a key of the session tags.", k)
		}
		transitive = append(transitive, k)
	}
	if caller != nil {
		for _, k := range caller.TransitiveTagKeys {
			for _, t := range caller.Tags {
				if !strings.EqualFold(t.Key, k) {
					continue
				}
				if hasTagKey(tags, t.Key) {
					return nil, nil, errorf(iamapi.ErrCodeInvalidParameterValue,
						"The session tag %s cannot be set: the calling session passes it on as a transitive tag.", t.Key)
				}
				tags = append(tags, t)
				transitive = append(transitive, t.Key)
			}
		}
	}
	return tags, transitive, nil
}

// parseRoleARN splits arn:aws:iam::<account>:role/<path><name>.
func parseRoleARN(arn string) (account, name string, ok bool) {
	a, err := keyhold.ParseARN(arn)
	if err != nil || a.Service != "iam" || a.Region != "" || !keyhold.IsAccountID(a.Account) || !strings.HasPrefix(a.Resource, "role/") {
		return "", "", false
	}
	name = a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	if name == "" {
		return "", "", false
	}
	return a.Account, name, true
}

// newSessionToken returns a random session token. It is a bearer value
// only together with the secret; the store keeps its SHA-256.
func newSessionToken() string {
	var b [96]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "KHv1" + base64.StdEncoding.EncodeToString(b[:])
}

// cleanupSessions removes sessions long expired, at most every
// sessionCleanupInterval.
func (s *Service) cleanupSessions(ctx context.Context, now time.Time) {
	s.cleanupMu.Lock()
	if now.Sub(s.lastCleanup) < sessionCleanupInterval && !now.Before(s.lastCleanup) {
		s.cleanupMu.Unlock()
		return
	}
	s.lastCleanup = now
	s.cleanupMu.Unlock()
	n, err := s.store.DeleteExpiredSessions(ctx, now.Add(-expiredSessionRetention))
	if err != nil {
		s.log.Warn("deleting expired sessions", "error", err.Error())
		return
	}
	if n > 0 {
		s.log.Info("deleted expired sessions", "count", n)
	}
}
