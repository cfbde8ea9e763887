package kms

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// Authorization, as AWS KMS documents it (docs/authorization.md):
//
//   - an explicit Deny in the key policy or the caller's identity policies
//     wins;
//   - a key policy statement naming the caller (its user, role, role
//     session, or "*") allows the call by itself within the key's account;
//   - a key policy statement naming the account (its root) delegates to
//     IAM: the caller's identity policies must allow the call too;
//   - a grant for the caller allows the operations it lists;
//   - a caller from another account needs both the key policy and its own
//     identity policies to allow the call (or a grant).
//
// Dispatch puts an *authzCall in the context of every request it serves
// when enforcement is on. Operations on a key are authorized where the key
// is read (getKey), so every path that reaches a key passes the check, and
// operations without a key (CreateKey, ListKeys, ...) are authorized by
// identity policies alone before they run. An operation on a key that ends
// without having been authorized fails closed.

// IdentityEvaluator evaluates a request against the identity policies of a
// principal (internal/iam's EvaluateIdentity). reason completes AWS's
// AccessDenied message when the decision is not Allowed.
type IdentityEvaluator func(ctx context.Context, p *keyhold.Principal, r *policy.Request) (d policy.Decision, reason string, err error)

// EnforceAuthorization turns on authorization of every call with a
// Principal, with identity policies evaluated by eval. Without it (keyhold
// dev) callers act as their account's root and nothing is checked.
func (s *Service) EnforceAuthorization(eval IdentityEvaluator) {
	s.identity = eval
}

// keylessOps are decided by identity policies alone, on resource "*" (or
// the alias ARN for the alias operations, whose key is checked when it is
// read).
var keylessOps = map[string]bool{
	"CreateKey": true, "ListKeys": true, "ListAliases": true, "GenerateRandom": true,
	"CreateCustomKeyStore": true, "DescribeCustomKeyStores": true, "UpdateCustomKeyStore": true,
	"DeleteCustomKeyStore": true, "ConnectCustomKeyStore": true, "DisconnectCustomKeyStore": true,
	"ListRetirableGrants": true, "RetireGrant": true,
}

// authzCall is the authorization state of one request.
type authzCall struct {
	c      *Caller
	op     string
	in     kmsapi.Input
	action string // "kms:<op>", or ReEncryptFrom / ReEncryptTo
	// skipKeys: the operation was authorized as a whole (keyless ops).
	skipKeys bool
	mu       sync.Mutex
	first    authzMemo          // the first (action, key ARN) allowed
	done     map[authzMemo]bool // the others
	// decided is set once a key check has run.
	decided bool
	// destination is ReEncrypt's destination key, once authorized.
	destination string
}

type authzKey struct{}

type authzMemo struct{ action, keyARN string }

func authzOf(ctx context.Context) *authzCall {
	a, _ := ctx.Value(authzKey{}).(*authzCall)
	return a
}

// setAuthzAction changes the action checked on keys read from now on in
// this request (ReEncrypt: kms:ReEncryptTo for the destination,
// kms:ReEncryptFrom for the source).
func setAuthzAction(ctx context.Context, action string) {
	if a := authzOf(ctx); a != nil {
		a.mu.Lock()
		a.action = action
		a.mu.Unlock()
	}
}

// beginAuthz starts the authorization of a call; it returns the context
// to run the operation with.
func (s *Service) beginAuthz(ctx context.Context, c *Caller, in kmsapi.Input) (context.Context, *authzCall, error) {
	if s.identity == nil || c == nil || c.Principal == nil {
		return ctx, nil, nil
	}
	op := in.OperationName()
	a := &authzCall{c: c, op: op, in: in, action: "kms:" + op}
	ctx = context.WithValue(ctx, authzKey{}, a)
	if err := checkGrantTokens(in); err != nil { // grants.go
		return ctx, nil, err
	}
	if keylessOps[op] {
		a.skipKeys = true
		a.decided = true
		if op == "RetireGrant" {
			return ctx, a, nil // grants.go decides who may retire
		}
		if err := s.authorizeIdentity(ctx, a, "*"); err != nil {
			return ctx, nil, err
		}
		return ctx, a, nil
	}
	switch in := in.(type) {
	case *kmsapi.CreateAliasInput:
		err := s.authorizeIdentity(ctx, a, keyhold.AliasARN(c.Region, c.Account, str(in.AliasName)))
		return ctx, a, err
	case *kmsapi.UpdateAliasInput:
		err := s.authorizeIdentity(ctx, a, keyhold.AliasARN(c.Region, c.Account, str(in.AliasName)))
		return ctx, a, err
	case *kmsapi.DeleteAliasInput:
		err := s.authorizeIdentity(ctx, a, keyhold.AliasARN(c.Region, c.Account, str(in.AliasName)))
		return ctx, a, err
	}
	return ctx, a, nil
}

// authorizeIdentity decides an operation by the caller's identity policies
// alone.
func (s *Service) authorizeIdentity(ctx context.Context, a *authzCall, resource string) error {
	r := &policy.Request{Action: a.action, Resource: resource,
		ContextFunc: func() policy.Context { return s.requestContext(a, nil) }}
	d, reason, err := s.identity(ctx, a.c.Principal, r)
	if err != nil {
		return internal(err)
	}
	if d == policy.Allowed {
		return nil
	}
	return denied(a.c, a.action, resource, reason)
}

// authorizeKey decides whether the call may use k. It is called by getKey
// for every key a request reads.
func (s *Service) authorizeKey(ctx context.Context, k *keyhold.Key) error {
	a := authzOf(ctx)
	if a == nil || a.skipKeys {
		return nil
	}
	a.mu.Lock()
	action := a.action
	memo := authzMemo{action, k.ARN}
	if a.first == memo || a.done[memo] {
		a.mu.Unlock()
		return nil
	}
	a.mu.Unlock()
	if err := s.decide(ctx, a, k, action, nil); err != nil {
		return err
	}
	a.mu.Lock()
	if action == "kms:ReEncryptTo" {
		a.destination = k.ARN
	}
	switch {
	case a.first == authzMemo{}:
		a.first = memo
	case a.done == nil:
		a.done = map[authzMemo]bool{memo: true}
	default:
		a.done[memo] = true
	}
	a.decided = true
	a.mu.Unlock()
	return nil
}

// endAuthz fails closed: an operation on a key that succeeded without any
// key having been checked is refused.
func (s *Service) endAuthz(a *authzCall) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.decided {
		s.log.Error("operation ended without an authorization decision", "operation", a.op)
		return keyhold.NewError(keyhold.ErrCodeInternal, "An internal error occurred.")
	}
	return nil
}

// decide applies AWS KMS's evaluation logic for action on k. keyPolicy,
// when not nil, is evaluated in place of the key's own (the lockout check).
func (s *Service) decide(ctx context.Context, a *authzCall, k *keyhold.Key, action string, keyPolicy *policy.Policy) error {
	c := a.c
	p := c.Principal
	kp, onlyAccounts := keyPolicy, false
	if kp == nil {
		cp, err := s.compiledKeyPolicy(k)
		if err != nil {
			return err
		}
		kp, onlyAccounts = cp.p, cp.accountsOnly
	}
	pi := s.principalInfo(p)
	full := pi.full
	// The condition keys are built only if a policy's conditions or
	// variables need them.
	r := &policy.Request{Action: action, Resource: k.ARN, Principal: full,
		ContextFunc: func() policy.Context { return s.requestContext(a, k) }}
	kd := kp.Evaluate(r)
	if kd == policy.Denied {
		return denied(c, action, k.ARN, "with an explicit deny in a resource-based policy")
	}
	direct := false
	if kd == policy.Allowed && !onlyAccounts {
		r.Principal = pi.direct
		direct = kp.Evaluate(r) == policy.Allowed
		r.Principal = full
	}
	var idd policy.Decision
	var reason string
	sameAccount := p.Account == k.Account
	if p.Type == keyhold.PrincipalAccount {
		// The root may do anything its account's policies let it; across
		// accounts, the key policy decides for it.
		idd = policy.Allowed
	} else {
		var err error
		idd, reason, err = s.identity(ctx, p, r)
		if err != nil {
			return internal(err)
		}
		if idd == policy.Denied {
			return denied(c, action, k.ARN, reason)
		}
	}
	if kd == policy.Allowed && (direct && sameAccount || idd == policy.Allowed) {
		return nil
	}
	if keyPolicy == nil {
		ok, err := s.grantAllows(ctx, a, k, action)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	if kd != policy.Allowed {
		return denied(c, action, k.ARN, "because no resource-based policy allows the "+action+" action")
	}
	if reason == "" {
		reason = "because no identity-based policy allows the " + action + " action"
	}
	return denied(c, action, k.ARN, reason)
}

func denied(c *Caller, action, resource, reason string) error {
	msg := "User: " + c.PrincipalARN + " is not authorized to perform: " + action + " on resource: " + resource
	if reason != "" {
		msg += " " + reason
	}
	return keyhold.NewError(keyhold.ErrCodeAccessDenied, msg)
}

// principalOf returns how policies' Principal elements see p: its account,
// and the ARNs that name it (a role session is named by its session ARN
// and its role's ARN).
func principalOf(p *keyhold.Principal) *policy.Principal {
	arns := []string{p.ARN}
	if p.EntityARN != "" && p.EntityARN != p.ARN {
		arns = append(arns, p.EntityARN)
	}
	return &policy.Principal{Account: p.Account, ARNs: arns}
}

// keyPolicyCache holds compiled key policies by key ARN.
type keyPolicyCache struct {
	mu sync.RWMutex
	m  map[string]compiledPolicy
}

type compiledPolicy struct {
	text string
	p    *policy.Policy
	// accountsOnly: every Allow statement names accounts only, so no
	// statement can allow a caller directly (the default key policy).
	accountsOnly bool
}

// accountsOnly reports whether every Allow statement of p names only
// accounts (account ids or root ARNs) as principals.
func accountsOnly(p *policy.Policy) bool {
	for _, st := range p.Statements {
		if st.Effect != policy.Allow {
			continue
		}
		if st.Principal == nil || st.Principal.Any || st.NotPrincipal != nil || len(st.Principal.ByType) != 1 {
			return false
		}
		for _, v := range st.Principal.ByType["AWS"] {
			if !keyhold.IsAccountID(v) && !(strings.HasPrefix(v, "arn:") && strings.HasSuffix(v, ":root")) {
				return false
			}
		}
	}
	return true
}

func (s *Service) compiledKeyPolicy(k *keyhold.Key) (*compiledPolicy, error) {
	// Cached by the stored text ("" for the default policy).
	s.policies.mu.RLock()
	e, ok := s.policies.m[k.ARN]
	s.policies.mu.RUnlock()
	if ok && e.text == k.Policy {
		return &e, nil
	}
	text := k.Policy
	if text == "" {
		text = DefaultKeyPolicy(k.Account)
	}
	p, err := policy.Parse(text, policy.KindResource)
	if err != nil {
		// Stored policies were validated when they were put; one that no
		// longer parses allows nothing.
		s.log.Error("stored key policy does not parse", "key_arn", k.ARN, "error", err.Error())
		p = &policy.Policy{}
	}
	s.policies.mu.Lock()
	if s.policies.m == nil || len(s.policies.m) >= maxCachedKeys {
		s.policies.m = map[string]compiledPolicy{}
	}
	e = compiledPolicy{text: k.Policy, p: p, accountsOnly: accountsOnly(p)}
	s.policies.m[k.ARN] = e
	s.policies.mu.Unlock()
	return &e, nil
}

// principalInfo is what the decisions need of a principal, computed once
// per authenticated principal (internal/iam caches *keyhold.Principal per
// credential, so the pointer identifies it).
type principalInfo struct {
	ctx    policy.Context    // the principal's global condition keys
	full   *policy.Principal // as Principal elements see it
	direct *policy.Principal // without its account: names it only
}

type principalCache struct {
	mu sync.Mutex
	m  map[*keyhold.Principal]*principalInfo
}

func (s *Service) principalInfo(p *keyhold.Principal) *principalInfo {
	s.principals.mu.Lock()
	pi := s.principals.m[p]
	s.principals.mu.Unlock()
	if pi != nil {
		return pi
	}
	ctx := policy.Context{}
	ctx.Set("aws:PrincipalArn", p.EntityARN)
	ctx.Set("aws:PrincipalAccount", p.Account)
	ctx.Set("aws:PrincipalType", string(p.Type))
	ctx.Set("aws:userid", p.UserID)
	ctx.Set("kms:CallerAccount", p.Account)
	if p.Type == keyhold.PrincipalUser {
		ctx.Set("aws:username", p.Name)
	}
	for _, t := range p.Tags {
		ctx.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	if p.SourceIdentity != "" {
		ctx.Set("aws:SourceIdentity", p.SourceIdentity)
	}
	full := principalOf(p)
	pi = &principalInfo{ctx: ctx, full: full, direct: &policy.Principal{ARNs: full.ARNs}}
	s.principals.mu.Lock()
	if s.principals.m == nil || len(s.principals.m) >= maxCachedKeys {
		s.principals.m = map[*keyhold.Principal]*principalInfo{}
	}
	s.principals.m[p] = pi
	s.principals.mu.Unlock()
	return pi
}

// clockKeys caches aws:CurrentTime and aws:EpochTime for one second.
type clockKeys struct {
	mu         sync.Mutex
	sec        int64
	cur, epoch []string
}

func (s *Service) clockValues() (cur, epoch []string) {
	now := s.now().UTC()
	s.clock.mu.Lock()
	defer s.clock.mu.Unlock()
	if s.clock.cur == nil || s.clock.sec != now.Unix() {
		s.clock.sec = now.Unix()
		s.clock.cur = []string{now.Truncate(time.Second).Format(time.RFC3339)}
		s.clock.epoch = []string{strconv.FormatInt(now.Unix(), 10)}
	}
	return s.clock.cur, s.clock.epoch
}

// requestContext returns the condition keys of the call: the global ones
// of the caller and, with k, those of the key and of the operation's
// parameters. Values are shared between requests and never changed.
func (s *Service) requestContext(a *authzCall, k *keyhold.Key) policy.Context {
	pi := s.principalInfo(a.c.Principal)
	ctx := make(policy.Context, len(pi.ctx)+16)
	for key, v := range pi.ctx {
		ctx[key] = v
	}
	if a.c.Region != "" {
		ctx["aws:requestedregion"] = []string{a.c.Region}
	}
	ctx["aws:currenttime"], ctx["aws:epochtime"] = s.clockValues()
	if a.c.SourceIP != "" {
		ctx["aws:sourceip"] = []string{a.c.SourceIP}
	}
	ctx["aws:securetransport"] = []string{strconv.FormatBool(a.c.SecureTransport)}
	if k != nil {
		if !k.CreationDate.IsZero() { // a key being created has no tags or aliases
			for key, v := range s.keyAttributes(k).ctx {
				ctx[key] = v
			}
		} else {
			for key, v := range keyContext(k, nil) {
				ctx[key] = v
			}
		}
	}
	setRequestKeys(ctx, a, a.c.Region, a.c.Account)
	if in, ok := a.in.(*kmsapi.ReEncryptInput); ok && k != nil {
		// kms:ReEncryptOnSameKey: the destination is checked first, against
		// the key named in the source ciphertext's header (false when the
		// source is a raw asymmetric ciphertext); the source against the
		// destination already checked.
		same := false
		if a.action == "kms:ReEncryptTo" {
			if h, err := blobHeader(in.CiphertextBlob); err == nil {
				same = h.KeyARN == k.ARN
			}
		} else {
			a.mu.Lock()
			same = a.destination == k.ARN
			a.mu.Unlock()
		}
		ctx["kms:reencryptonsamekey"] = []string{strconv.FormatBool(same)}
	}
	return ctx
}

// keyContext returns the condition keys of a key: kms:KeySpec,
// kms:KeyUsage, kms:KeyOrigin, kms:MultiRegion (and the deprecated
// kms:CustomerMasterKey*), aws:ResourceTag/* and kms:ResourceAliases.
func keyContext(k *keyhold.Key, attrs *keyAttrs) policy.Context {
	ctx := policy.Context{}
	ctx.Set("kms:KeySpec", k.KeySpec)
	ctx.Set("kms:CustomerMasterKeySpec", k.KeySpec)
	ctx.Set("kms:KeyUsage", k.KeyUsage)
	ctx.Set("kms:CustomerMasterKeyUsage", k.KeyUsage)
	ctx.Set("kms:KeyOrigin", k.Origin)
	ctx.Set("kms:MultiRegion", "false")
	if attrs != nil {
		for _, t := range attrs.tags {
			ctx.Set("aws:ResourceTag/"+t.Key, t.Value)
		}
		if len(attrs.aliases) > 0 {
			ctx.Set("kms:ResourceAliases", attrs.aliases...)
		}
	}
	return ctx
}

// setEncryptionContext adds kms:EncryptionContext:<key> and
// kms:EncryptionContextKeys.
func setEncryptionContext(ctx policy.Context, ec map[string]string) {
	if len(ec) == 0 {
		return
	}
	keys := make([]string, 0, len(ec))
	for k, v := range ec {
		ctx.Set("kms:EncryptionContext:"+k, v)
		keys = append(keys, k)
	}
	ctx.Set("kms:EncryptionContextKeys", keys...)
}

// setRequestKeys adds the condition keys that come from the request's
// parameters.
func setRequestKeys(ctx policy.Context, a *authzCall, region, account string) {
	requestAlias := func(id *string) {
		if id == nil {
			return
		}
		v := *id
		if strings.HasPrefix(v, "alias/") {
			ctx.Set("kms:RequestAlias", v)
		} else if i := strings.Index(v, ":alias/"); i >= 0 {
			ctx.Set("kms:RequestAlias", v[i+1:])
		}
	}
	switch in := a.in.(type) {
	case *kmsapi.EncryptInput:
		requestAlias(in.KeyId)
		setEncryptionContext(ctx, in.EncryptionContext)
		alg := string(val(in.EncryptionAlgorithm))
		if alg == "" {
			alg = keyhold.AlgorithmSymmetric
		}
		ctx.Set("kms:EncryptionAlgorithm", alg)
	case *kmsapi.DecryptInput:
		requestAlias(in.KeyId)
		setEncryptionContext(ctx, in.EncryptionContext)
		alg := string(val(in.EncryptionAlgorithm))
		if alg == "" {
			alg = keyhold.AlgorithmSymmetric
		}
		ctx.Set("kms:EncryptionAlgorithm", alg)
	case *kmsapi.ReEncryptInput:
		if a.action == "kms:ReEncryptFrom" {
			requestAlias(in.SourceKeyId)
			setEncryptionContext(ctx, in.SourceEncryptionContext)
		} else {
			requestAlias(in.DestinationKeyId)
			setEncryptionContext(ctx, in.DestinationEncryptionContext)
		}
	case *kmsapi.GenerateDataKeyInput:
		requestAlias(in.KeyId)
		setEncryptionContext(ctx, in.EncryptionContext)
		ctx.Set("kms:EncryptionAlgorithm", keyhold.AlgorithmSymmetric)
	case *kmsapi.GenerateDataKeyWithoutPlaintextInput:
		requestAlias(in.KeyId)
		setEncryptionContext(ctx, in.EncryptionContext)
		ctx.Set("kms:EncryptionAlgorithm", keyhold.AlgorithmSymmetric)
	case *kmsapi.GenerateDataKeyPairInput:
		requestAlias(in.KeyId)
		setEncryptionContext(ctx, in.EncryptionContext)
		ctx.Set("kms:DataKeyPairSpec", string(val(in.KeyPairSpec)))
		ctx.Set("kms:EncryptionAlgorithm", keyhold.AlgorithmSymmetric)
	case *kmsapi.GenerateDataKeyPairWithoutPlaintextInput:
		requestAlias(in.KeyId)
		setEncryptionContext(ctx, in.EncryptionContext)
		ctx.Set("kms:DataKeyPairSpec", string(val(in.KeyPairSpec)))
		ctx.Set("kms:EncryptionAlgorithm", keyhold.AlgorithmSymmetric)
	case *kmsapi.SignInput:
		requestAlias(in.KeyId)
		ctx.Set("kms:SigningAlgorithm", string(val(in.SigningAlgorithm)))
		ctx.Set("kms:MessageType", orRaw(string(val(in.MessageType))))
	case *kmsapi.VerifyInput:
		requestAlias(in.KeyId)
		ctx.Set("kms:SigningAlgorithm", string(val(in.SigningAlgorithm)))
		ctx.Set("kms:MessageType", orRaw(string(val(in.MessageType))))
	case *kmsapi.GenerateMacInput:
		requestAlias(in.KeyId)
		ctx.Set("kms:MacAlgorithm", string(val(in.MacAlgorithm)))
	case *kmsapi.VerifyMacInput:
		requestAlias(in.KeyId)
		ctx.Set("kms:MacAlgorithm", string(val(in.MacAlgorithm)))
	case *kmsapi.DeriveSharedSecretInput:
		requestAlias(in.KeyId)
		ctx.Set("kms:KeyAgreementAlgorithm", string(val(in.KeyAgreementAlgorithm)))
	case *kmsapi.GetPublicKeyInput:
		requestAlias(in.KeyId)
	case *kmsapi.DescribeKeyInput:
		requestAlias(in.KeyId)
	case *kmsapi.ScheduleKeyDeletionInput:
		days := int32(30)
		if in.PendingWindowInDays != nil {
			days = *in.PendingWindowInDays
		}
		ctx.Set("kms:ScheduleKeyDeletionPendingWindowInDays", strconv.Itoa(int(days)))
	case *kmsapi.EnableKeyRotationInput:
		days := int32(365)
		if in.RotationPeriodInDays != nil {
			days = *in.RotationPeriodInDays
		}
		ctx.Set("kms:RotationPeriodInDays", strconv.Itoa(int(days)))
	case *kmsapi.GetParametersForImportInput:
		ctx.Set("kms:WrappingAlgorithm", string(val(in.WrappingAlgorithm)))
		ctx.Set("kms:WrappingKeySpec", string(val(in.WrappingKeySpec)))
	case *kmsapi.ImportKeyMaterialInput:
		em := string(val(in.ExpirationModel))
		if em == "" {
			em = "KEY_MATERIAL_EXPIRES"
		}
		ctx.Set("kms:ExpirationModel", em)
		if in.ValidTo != nil {
			ctx.Set("kms:ValidTo", strconv.FormatInt(time.Time(*in.ValidTo).Unix(), 10))
		}
	case *kmsapi.PutKeyPolicyInput:
		ctx.Set("kms:BypassPolicyLockoutSafetyCheck", strconv.FormatBool(val(in.BypassPolicyLockoutSafetyCheck)))
	case *kmsapi.CreateKeyInput:
		ctx.Set("kms:BypassPolicyLockoutSafetyCheck", strconv.FormatBool(val(in.BypassPolicyLockoutSafetyCheck)))
		spec := string(val(in.KeySpec))
		if spec == "" {
			spec = string(val(in.CustomerMasterKeySpec))
		}
		if spec == "" {
			spec = keyhold.KeySpecSymmetricDefault
		}
		ctx.Set("kms:KeySpec", spec)
		ctx.Set("kms:CustomerMasterKeySpec", spec)
		usage := string(val(in.KeyUsage))
		if usage == "" {
			usage = keyhold.KeyUsageEncryptDecrypt
		}
		ctx.Set("kms:KeyUsage", usage)
		ctx.Set("kms:CustomerMasterKeyUsage", usage)
		origin := string(val(in.Origin))
		if origin == "" {
			origin = keyhold.OriginAWSKMS
		}
		ctx.Set("kms:KeyOrigin", origin)
		ctx.Set("kms:MultiRegion", strconv.FormatBool(val(in.MultiRegion)))
		setTagKeys(ctx, in.Tags)
	case *kmsapi.TagResourceInput:
		setTagKeys(ctx, in.Tags)
	case *kmsapi.UntagResourceInput:
		if len(in.TagKeys) > 0 {
			ctx.Set("aws:TagKeys", in.TagKeys...)
		}
	case *kmsapi.CreateAliasInput, *kmsapi.UpdateAliasInput, *kmsapi.DeleteAliasInput:
	case *kmsapi.CreateGrantInput:
		setGrantKeys(ctx, in)
	}
}

func setTagKeys(ctx policy.Context, tags []kmsapi.Tag) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		ctx.Set("aws:RequestTag/"+str(t.TagKey), str(t.TagValue))
		keys = append(keys, str(t.TagKey))
	}
	ctx.Set("aws:TagKeys", keys...)
}

// keyAttrs are a key's tags and alias names, for aws:ResourceTag and
// kms:ResourceAliases, cached like keys (cache.go).
type keyAttrs struct {
	tags    []keyhold.Tag
	aliases []string
	ctx     policy.Context // keyContext of the key with these attributes
	fp      string         // spec, usage and origin the ctx was made for
	gen     uint64
	expires time.Time
}

type keyAttrCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]*keyAttrs
}

// attrsChanged drops every cached key attribute (a tag or alias changed).
func (s *Service) attrsChanged() {
	s.attrs.mu.Lock()
	s.attrs.gen++
	s.attrs.m = nil
	s.attrs.mu.Unlock()
}

func (s *Service) keyAttributes(k *keyhold.Key) *keyAttrs {
	now := s.now()
	s.attrs.mu.Lock()
	e := s.attrs.m[k.ARN]
	gen := s.attrs.gen
	s.attrs.mu.Unlock()
	fp := k.KeySpec + " " + k.KeyUsage + " " + k.Origin
	if e != nil && now.Before(e.expires) && e.fp == fp {
		return e
	}
	e = &keyAttrs{gen: gen, expires: now.Add(keyCacheTTL), fp: fp}
	ctx := context.Background()
	if tags, err := s.store.ListTags(ctx, k.ARN); err == nil {
		e.tags = tags
	} else {
		s.log.Error("listing key tags for authorization", "key_arn", k.ARN, "error", err.Error())
	}
	if as, err := s.store.ListAliases(ctx, k.Account, k.Region, k.ARN, "", 100); err == nil {
		for _, a := range as {
			e.aliases = append(e.aliases, a.Name)
		}
	} else {
		s.log.Error("listing key aliases for authorization", "key_arn", k.ARN, "error", err.Error())
	}
	e.ctx = keyContext(k, e)
	s.attrs.mu.Lock()
	if s.attrs.gen == gen {
		if s.attrs.m == nil || len(s.attrs.m) >= maxCachedKeys {
			s.attrs.m = map[string]*keyAttrs{}
		}
		s.attrs.m[k.ARN] = e
	}
	s.attrs.mu.Unlock()
	return e
}

// attrOps change tags or aliases.
var attrOps = map[string]bool{
	"TagResource": true, "UntagResource": true, "CreateAlias": true, "UpdateAlias": true, "DeleteAlias": true,
}

// orRaw is a Sign or Verify call's message type: RAW when none is given.
func orRaw(messageType string) string {
	if messageType == "" {
		return "RAW"
	}
	return messageType
}
