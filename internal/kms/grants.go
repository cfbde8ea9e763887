package kms

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
	"github.com/keyhold/keyhold/internal/policy"
)

// MaxGrantsPerKey is AWS's quota of grants per KMS key.
const MaxGrantsPerKey = 50_000

// grantOpsByUsage lists the operations a grant may allow, by key usage
// (AWS's "Grant operations" table); every key allows the common ones.
var (
	grantOpsCommon  = []string{"CreateGrant", "RetireGrant", "DescribeKey"}
	grantOpsByUsage = map[string][]string{
		keyhold.KeyUsageEncryptDecrypt: {"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey",
			"GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GetPublicKey"},
		"SIGN_VERIFY":         {"Sign", "Verify", "GetPublicKey"},
		"GENERATE_VERIFY_MAC": {"GenerateMac", "VerifyMac"},
		"KEY_AGREEMENT":       {"DeriveSharedSecret", "GetPublicKey"},
	}
	// symmetricOnly are the encryption operations only symmetric keys do.
	symmetricOnly = map[string]bool{"GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true,
		"GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true}
	// contextOps take an encryption context, so grant constraints apply.
	contextOps = map[string]bool{"Encrypt": true, "Decrypt": true, "ReEncryptFrom": true, "ReEncryptTo": true,
		"GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true, "GenerateDataKeyPair": true,
		"GenerateDataKeyPairWithoutPlaintext": true}
)

// grantTokens caches each key's grants for the authorization check, like
// keys (cache.go): changes made here take effect at once.
type grantTokens struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]*cachedGrants
}

type cachedGrants struct {
	grants  []*keyhold.Grant
	expires time.Time
}

func (s *Service) grantsChanged() {
	s.grants.mu.Lock()
	s.grants.gen++
	s.grants.m = nil
	s.grants.mu.Unlock()
}

func (s *Service) keyGrants(ctx context.Context, keyARN string) ([]*keyhold.Grant, error) {
	now := s.now()
	s.grants.mu.Lock()
	e := s.grants.m[keyARN]
	gen := s.grants.gen
	s.grants.mu.Unlock()
	if e != nil && now.Before(e.expires) {
		return e.grants, nil
	}
	gs, err := s.store.ListGrants(ctx, keyARN, "", MaxGrantsPerKey)
	if err != nil {
		return nil, internal(err)
	}
	s.grants.mu.Lock()
	if s.grants.gen == gen {
		if s.grants.m == nil || len(s.grants.m) >= maxCachedKeys {
			s.grants.m = map[string]*cachedGrants{}
		}
		s.grants.m[keyARN] = &cachedGrants{grants: gs, expires: now.Add(keyCacheTTL)}
	}
	s.grants.mu.Unlock()
	return gs, nil
}

// Grant tokens name their grant: base64url of "<key ARN> <grant id>
// <nonce>". A token passed in GrantTokens makes its grant count at once,
// read from the store past every cache.
func newGrantToken(keyARN, grantID string) string {
	var nonce [16]byte
	rand.Read(nonce[:])
	return base64.RawURLEncoding.EncodeToString([]byte(keyARN + " " + grantID + " " + hex.EncodeToString(nonce[:])))
}

var errGrantToken = keyhold.NewError(keyhold.ErrCodeInvalidGrantToken, "Grant token is not valid.")

func parseGrantToken(tok string) (keyARN, grantID string, err error) {
	b, derr := base64.RawURLEncoding.DecodeString(tok)
	parts := strings.Split(string(b), " ")
	if derr != nil || len(parts) != 3 || !strings.HasPrefix(parts[0], "arn:") || len(parts[1]) != 64 {
		return "", "", errGrantToken
	}
	return parts[0], parts[1], nil
}

// grantTokenField caches, per input type, the index of its GrantTokens
// member (-1: none).
var grantTokenField sync.Map // reflect.Type → int

// grantTokensOf returns the GrantTokens member of a request, if it has one.
func grantTokensOf(in kmsapi.Input) []string {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	t := v.Elem().Type()
	idx, ok := grantTokenField.Load(t)
	if !ok {
		f, found := t.FieldByName("GrantTokens")
		i := -1
		if found && len(f.Index) == 1 && f.Type == reflect.TypeOf([]string(nil)) {
			i = f.Index[0]
		}
		grantTokenField.Store(t, i)
		idx = i
	}
	if idx.(int) < 0 {
		return nil
	}
	return v.Elem().Field(idx.(int)).Interface().([]string)
}

// checkGrantTokens refuses grant tokens keyhold did not issue.
func checkGrantTokens(in kmsapi.Input) error {
	for _, t := range grantTokensOf(in) {
		if _, _, err := parseGrantToken(t); err != nil {
			return err
		}
	}
	return nil
}

// grantee reports whether a grant's grantee principal is the caller: its
// ARN, its role's ARN for a role session, or its account's root when it
// is the root.
func isPrincipal(name string, p *keyhold.Principal) bool {
	return name != "" && (name == p.ARN || name == p.EntityARN)
}

// requestEncryptionContext returns the encryption context of the request
// for operation op of a grant.
func requestEncryptionContext(in kmsapi.Input, op string) map[string]string {
	switch in := in.(type) {
	case *kmsapi.EncryptInput:
		return in.EncryptionContext
	case *kmsapi.DecryptInput:
		return in.EncryptionContext
	case *kmsapi.GenerateDataKeyInput:
		return in.EncryptionContext
	case *kmsapi.GenerateDataKeyWithoutPlaintextInput:
		return in.EncryptionContext
	case *kmsapi.GenerateDataKeyPairInput:
		return in.EncryptionContext
	case *kmsapi.GenerateDataKeyPairWithoutPlaintextInput:
		return in.EncryptionContext
	case *kmsapi.ReEncryptInput:
		if op == "ReEncryptFrom" {
			return in.SourceEncryptionContext
		}
		return in.DestinationEncryptionContext
	}
	return nil
}

// constraintsHold checks a grant's encryption context constraints.
// EncryptionContextEquals: the request's context is exactly the
// constraint's. EncryptionContextSubset: every pair of the constraint is
// in the request's context (which may have more).
func constraintsHold(g *keyhold.Grant, ec map[string]string) bool {
	if g.EncryptionContextEquals != nil && !maps.Equal(g.EncryptionContextEquals, ec) {
		return false
	}
	for k, v := range g.EncryptionContextSubset {
		if got, ok := ec[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// grantAllows reports whether a grant on k lets the caller do action.
func (s *Service) grantAllows(ctx context.Context, a *authzCall, k *keyhold.Key, action string) (bool, error) {
	op, ok := strings.CutPrefix(action, "kms:")
	if !ok {
		return false, nil
	}
	gs, err := s.keyGrants(ctx, k.ARN)
	if err != nil {
		return false, err
	}
	for _, tok := range grantTokensOf(a.in) {
		karn, id, err := parseGrantToken(tok)
		if err != nil || karn != k.ARN {
			continue
		}
		if g, err := s.store.GetGrant(ctx, karn, id); err == nil {
			gs = append(slices.Clip(gs), g)
		}
	}
	ec := requestEncryptionContext(a.in, op)
	for _, g := range gs {
		// A grant for a service principal never matches a caller (its
		// GranteePrincipal is empty), and a SourceArn constraint never
		// holds: keyhold has no AWS service callers acting on behalf of
		// a resource.
		if !isPrincipal(g.GranteePrincipal, a.c.Principal) || !slices.Contains(g.Operations, op) || g.SourceArn != "" {
			continue
		}
		if contextOps[op] && !constraintsHold(g, ec) {
			continue
		}
		if cg, ok := a.in.(*kmsapi.CreateGrantInput); ok && op == "CreateGrant" && !delegable(g, cg) {
			// A grantee may pass on only what its grant allows.
			continue
		}
		return true, nil
	}
	return false, nil
}

// delegable reports whether a grant allowing CreateGrant covers the new
// grant: its operations are among the grant's, and it is at least as
// constrained.
func delegable(g *keyhold.Grant, in *kmsapi.CreateGrantInput) bool {
	for _, o := range in.Operations {
		if !slices.Contains(g.Operations, string(o)) {
			return false
		}
	}
	if g.EncryptionContextEquals == nil && g.EncryptionContextSubset == nil {
		return true
	}
	cs := in.Constraints
	if cs == nil {
		return false
	}
	if g.EncryptionContextEquals != nil {
		return cs.EncryptionContextEquals != nil && maps.Equal(g.EncryptionContextEquals, cs.EncryptionContextEquals)
	}
	// The new constraint must require every pair the grant's subset does.
	want := cs.EncryptionContextSubset
	if cs.EncryptionContextEquals != nil {
		want = cs.EncryptionContextEquals
	}
	for k, v := range g.EncryptionContextSubset {
		if got, ok := want[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// setGrantKeys adds the condition keys of CreateGrant.
func setGrantKeys(ctx policy.Context, in *kmsapi.CreateGrantInput) {
	ops := make([]string, len(in.Operations))
	for i, o := range in.Operations {
		ops[i] = string(o)
	}
	if len(ops) > 0 {
		ctx.Set("kms:GrantOperations", ops...)
	}
	if in.GranteePrincipal != nil {
		ctx.Set("kms:GranteePrincipal", *in.GranteePrincipal)
	}
	if in.RetiringPrincipal != nil {
		ctx.Set("kms:RetiringPrincipal", *in.RetiringPrincipal)
	}
	ctx.Set("kms:GrantIsForAWSResource", "false")
	if cs := in.Constraints; cs != nil {
		var types []string
		if cs.EncryptionContextEquals != nil {
			types = append(types, "EncryptionContextEquals")
			setEncryptionContext(ctx, cs.EncryptionContextEquals)
		}
		if cs.EncryptionContextSubset != nil {
			types = append(types, "EncryptionContextSubset")
			setEncryptionContext(ctx, cs.EncryptionContextSubset)
		}
		if len(types) > 0 {
			ctx.Set("kms:GrantConstraintType", types...)
		}
	}
}

// checkGrantPrincipal accepts the principals a grant can name: account
// roots, users, roles and role sessions, by ARN.
func checkGrantPrincipal(member, v string) error {
	a, err := keyhold.ParseARN(v)
	if err == nil && (a.Service == "iam" && (a.Resource == "root" || strings.HasPrefix(a.Resource, "user/") || strings.HasPrefix(a.Resource, "role/")) ||
		a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/")) {
		return nil
	}
	return keyhold.Errorf(keyhold.ErrCodeValidation, "Invalid %s %s", member, v)
}

// checkGrantPrincipals applies the model's rules on the principals of
// CreateGrant: exactly one grantee (GranteePrincipal or
// GranteeServicePrincipal), at most one retiring principal, and a
// service-principal grantee needs a SourceArn constraint and a retiring
// principal of either kind. The service principals' syntax is checked
// by the model's validation (ServicePrincipalType).
func checkGrantPrincipals(in *kmsapi.CreateGrantInput) error {
	switch {
	case in.GranteePrincipal != nil && in.GranteeServicePrincipal != nil:
		return keyhold.NewError(keyhold.ErrCodeValidation,
			"You must specify either GranteePrincipal or GranteeServicePrincipal, but not both.")
	case in.GranteePrincipal == nil && in.GranteeServicePrincipal == nil:
		return keyhold.NewError(keyhold.ErrCodeValidation,
			"You must specify either GranteePrincipal or GranteeServicePrincipal.")
	case in.RetiringPrincipal != nil && in.RetiringServicePrincipal != nil:
		return keyhold.NewError(keyhold.ErrCodeValidation,
			"You can specify either RetiringPrincipal or RetiringServicePrincipal, but not both.")
	}
	if in.GranteeServicePrincipal != nil {
		if in.Constraints == nil || in.Constraints.SourceArn == nil {
			return keyhold.NewError(keyhold.ErrCodeValidation,
				"When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint.")
		}
		if in.RetiringPrincipal == nil && in.RetiringServicePrincipal == nil {
			return keyhold.NewError(keyhold.ErrCodeValidation,
				"When you specify a GranteeServicePrincipal, you must also specify either a RetiringPrincipal or a RetiringServicePrincipal.")
		}
	}
	return nil
}

// CreateGrant creates a grant, for a principal (GranteePrincipal) or an
// AWS service principal (GranteeServicePrincipal). keyhold has no AWS
// service callers, so a service-principal grant is stored and listed but
// never authorizes a request.
func (s *Service) CreateGrant(ctx context.Context, c *Caller, in *kmsapi.CreateGrantInput) (*kmsapi.CreateGrantOutput, error) {
	if err := checkGrantPrincipals(in); err != nil {
		return nil, err
	}
	grantee := str(in.GranteePrincipal)
	if in.GranteePrincipal != nil {
		if err := checkGrantPrincipal("GranteePrincipal", grantee); err != nil {
			return nil, err
		}
	}
	if in.RetiringPrincipal != nil {
		if err := checkGrantPrincipal("RetiringPrincipal", *in.RetiringPrincipal); err != nil {
			return nil, err
		}
	}
	for _, t := range in.GrantTokens {
		if _, _, err := parseGrantToken(t); err != nil {
			return nil, err
		}
	}
	k, err := s.resolveKey(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	if err := checkState("CreateGrant", k); err != nil {
		return nil, err
	}
	allowed := append(slices.Clone(grantOpsCommon), grantOpsByUsage[k.KeyUsage]...)
	ops := make([]string, 0, len(in.Operations))
	for _, o := range in.Operations {
		op := string(o)
		if !slices.Contains(allowed, op) || symmetricOnly[op] && k.KeySpec != keyhold.KeySpecSymmetricDefault ||
			op == "GetPublicKey" && k.KeySpec == keyhold.KeySpecSymmetricDefault {
			return nil, keyhold.Errorf(keyhold.ErrCodeValidation,
				"Grant operation %s is not valid for a KMS key with KeySpec %s and KeyUsage %s", op, k.KeySpec, k.KeyUsage)
		}
		if !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
	}
	sort.Strings(ops)
	g := &keyhold.Grant{
		KeyARN: k.ARN, Name: str(in.Name), GranteePrincipal: grantee, RetiringPrincipal: str(in.RetiringPrincipal),
		GranteeServicePrincipal: str(in.GranteeServicePrincipal), RetiringServicePrincipal: str(in.RetiringServicePrincipal),
		IssuingAccount: keyhold.RootARN(c.Account), Operations: ops, CreationDate: s.now().UTC(),
	}
	if in.Constraints != nil {
		// SourceArn is valid on grants for every kind of key.
		g.SourceArn = str(in.Constraints.SourceArn)
	}
	if cs := in.Constraints; cs != nil && (cs.EncryptionContextEquals != nil || cs.EncryptionContextSubset != nil) {
		if k.KeySpec != keyhold.KeySpecSymmetricDefault {
			return nil, keyhold.NewError(keyhold.ErrCodeValidation,
				"Grant constraints are supported only for symmetric encryption KMS keys.")
		}
		g.EncryptionContextEquals, g.EncryptionContextSubset = cs.EncryptionContextEquals, cs.EncryptionContextSubset
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	unlock := s.locks.lock(k.ARN)
	defer unlock()
	existing, err := s.store.ListGrants(ctx, k.ARN, "", MaxGrantsPerKey)
	if err != nil {
		return nil, internal(err)
	}
	if g.Name != "" {
		// Name makes CreateGrant idempotent: the same grant again returns
		// the existing one.
		for _, e := range existing {
			if e.Name == g.Name && e.GranteePrincipal == g.GranteePrincipal && e.RetiringPrincipal == g.RetiringPrincipal &&
				e.GranteeServicePrincipal == g.GranteeServicePrincipal &&
				e.RetiringServicePrincipal == g.RetiringServicePrincipal && e.SourceArn == g.SourceArn &&
				slices.Equal(e.Operations, g.Operations) && maps.Equal(e.EncryptionContextEquals, g.EncryptionContextEquals) &&
				(e.EncryptionContextEquals == nil) == (g.EncryptionContextEquals == nil) &&
				maps.Equal(e.EncryptionContextSubset, g.EncryptionContextSubset) &&
				(e.EncryptionContextSubset == nil) == (g.EncryptionContextSubset == nil) {
				return &kmsapi.CreateGrantOutput{GrantId: ptr(e.GrantID), GrantToken: ptr(newGrantToken(k.ARN, e.GrantID))}, nil
			}
		}
	}
	if len(existing) >= MaxGrantsPerKey {
		return nil, keyhold.Errorf(keyhold.ErrCodeLimitExceeded,
			"The request was rejected because a quota was exceeded: at most %d grants per KMS key.", MaxGrantsPerKey)
	}
	var id [32]byte
	rand.Read(id[:])
	g.GrantID = hex.EncodeToString(id[:])
	if err := s.store.CreateGrant(ctx, g); err != nil {
		return nil, internal(err)
	}
	s.grantsChanged()
	return &kmsapi.CreateGrantOutput{GrantId: ptr(g.GrantID), GrantToken: ptr(newGrantToken(k.ARN, g.GrantID))}, nil
}

func grantEntry(g *keyhold.Grant) kmsapi.GrantListEntry {
	e := kmsapi.GrantListEntry{
		KeyId: ptr(g.KeyARN), GrantId: ptr(g.GrantID), CreationDate: kmsapi.NewTimestamp(g.CreationDate),
		IssuingAccount: ptr(g.IssuingAccount),
	}
	if g.GranteePrincipal != "" {
		e.GranteePrincipal = ptr(g.GranteePrincipal)
	}
	if g.GranteeServicePrincipal != "" {
		e.GranteeServicePrincipal = ptr(g.GranteeServicePrincipal)
	}
	if g.RetiringServicePrincipal != "" {
		e.RetiringServicePrincipal = ptr(g.RetiringServicePrincipal)
	}
	if g.Name != "" {
		e.Name = ptr(g.Name)
	}
	if g.RetiringPrincipal != "" {
		e.RetiringPrincipal = ptr(g.RetiringPrincipal)
	}
	for _, o := range g.Operations {
		e.Operations = append(e.Operations, kmsapi.GrantOperation(o))
	}
	if g.EncryptionContextEquals != nil || g.EncryptionContextSubset != nil || g.SourceArn != "" {
		e.Constraints = &kmsapi.GrantConstraints{EncryptionContextEquals: g.EncryptionContextEquals,
			EncryptionContextSubset: g.EncryptionContextSubset}
		if g.SourceArn != "" {
			e.Constraints.SourceArn = ptr(g.SourceArn)
		}
	}
	return e
}

// ListGrants lists a key's grants, optionally one grant or one grantee's.
func (s *Service) ListGrants(ctx context.Context, c *Caller, in *kmsapi.ListGrantsInput) (*kmsapi.ListGrantsOutput, error) {
	limit, err := listLimit(in.Limit, 100, 50)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker, "grant")
	if err != nil {
		return nil, err
	}
	if in.GranteePrincipal != nil && in.GranteeServicePrincipal != nil {
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"You can specify either GranteePrincipal or GranteeServicePrincipal, but not both.")
	}
	k, err := s.resolveKey(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	all, err := s.store.ListGrants(ctx, k.ARN, after, MaxGrantsPerKey)
	if err != nil {
		return nil, internal(err)
	}
	if in.GrantId != nil {
		found := false
		for _, g := range all {
			found = found || g.GrantID == *in.GrantId
		}
		if !found && after == "" {
			if _, err := s.store.GetGrant(ctx, k.ARN, *in.GrantId); errors.Is(err, keyhold.ErrNotFound) {
				return nil, keyhold.NewError(keyhold.ErrCodeInvalidGrantID, "Grant ID "+*in.GrantId+" is not valid.")
			}
		}
	}
	out := &kmsapi.ListGrantsOutput{Grants: []kmsapi.GrantListEntry{}, Truncated: ptr(false)}
	for _, g := range all {
		if in.GrantId != nil && g.GrantID != *in.GrantId || in.GranteePrincipal != nil && g.GranteePrincipal != *in.GranteePrincipal ||
			in.GranteeServicePrincipal != nil && g.GranteeServicePrincipal != *in.GranteeServicePrincipal {
			continue
		}
		if len(out.Grants) == limit {
			out.Truncated = ptr(true)
			out.NextMarker = ptr(encodeMarker("grant", *out.Grants[limit-1].GrantId))
			break
		}
		out.Grants = append(out.Grants, grantEntry(g))
	}
	return out, nil
}

// ListRetirableGrants lists the grants whose retiring principal
// (RetiringPrincipal) or retiring service principal
// (RetiringServicePrincipal) is the one given.
func (s *Service) ListRetirableGrants(ctx context.Context, c *Caller, in *kmsapi.ListRetirableGrantsInput) (*kmsapi.ListRetirableGrantsOutput, error) {
	limit, err := listLimit(in.Limit, 100, 50)
	if err != nil {
		return nil, err
	}
	var principal string
	switch {
	case in.RetiringPrincipal != nil && in.RetiringServicePrincipal != nil:
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both.")
	case in.RetiringPrincipal != nil:
		principal = *in.RetiringPrincipal
		if err := checkGrantPrincipal("RetiringPrincipal", principal); err != nil {
			return nil, err
		}
	case in.RetiringServicePrincipal != nil:
		// Its syntax (ServicePrincipalType) is checked by the model's
		// validation; it cannot match a principal ARN.
		principal = *in.RetiringServicePrincipal
	default:
		return nil, keyhold.NewError(keyhold.ErrCodeValidation,
			"You must specify either RetiringPrincipal or RetiringServicePrincipal.")
	}
	pos, err := decodeMarker(in.Marker, "retirable")
	if err != nil {
		return nil, err
	}
	afterKey, afterID := "", ""
	if pos != "" {
		var ok bool
		if afterKey, afterID, ok = strings.Cut(pos, " "); !ok {
			return nil, errInvalidMarker
		}
	}
	var gs []*keyhold.Grant
	if in.RetiringServicePrincipal != nil {
		// A service principal names no account: list only the grants on
		// the caller's account's keys, never another account's.
		if gs, err = s.accountRetirableGrants(ctx, c.Account, principal, afterKey, afterID, limit+1); err != nil {
			return nil, err
		}
	} else if gs, err = s.store.ListRetirableGrants(ctx, principal, afterKey, afterID, limit+1); err != nil {
		return nil, internal(err)
	}
	out := &kmsapi.ListRetirableGrantsOutput{Grants: []kmsapi.GrantListEntry{}, Truncated: ptr(false)}
	for i, g := range gs {
		if i == limit {
			out.Truncated = ptr(true)
			last := gs[limit-1]
			out.NextMarker = ptr(encodeMarker("retirable", last.KeyARN+" "+last.GrantID))
			break
		}
		out.Grants = append(out.Grants, grantEntry(g))
	}
	return out, nil
}

// accountRetirableGrants is ListRetirableGrants of the store, keeping
// only grants on keys of account.
func (s *Service) accountRetirableGrants(ctx context.Context, account, principal, afterKey, afterID string, limit int) ([]*keyhold.Grant, error) {
	out := []*keyhold.Grant{}
	for len(out) < limit {
		page, err := s.store.ListRetirableGrants(ctx, principal, afterKey, afterID, limit)
		if err != nil {
			return nil, internal(err)
		}
		for _, g := range page {
			if a, err := keyhold.ParseARN(g.KeyARN); err == nil && a.Account == account && len(out) < limit {
				out = append(out, g)
			}
		}
		if len(page) < limit {
			break
		}
		afterKey, afterID = page[len(page)-1].KeyARN, page[len(page)-1].GrantID
	}
	return out, nil
}

// RetireGrant deletes a grant, by its token or by key and grant id. The
// grant decides who may: its retiring principal, its grantee when it
// allows RetireGrant, or the account that created it (whose principals
// need kms:RetireGrant in their identity policies).
func (s *Service) RetireGrant(ctx context.Context, c *Caller, in *kmsapi.RetireGrantInput) (*kmsapi.RetireGrantOutput, error) {
	var keyARN, grantID string
	switch {
	case in.GrantToken != nil:
		var err error
		if keyARN, grantID, err = parseGrantToken(*in.GrantToken); err != nil {
			return nil, err
		}
	case in.KeyId != nil && in.GrantId != nil:
		k, err := s.resolveKeyID(ctx, c, *in.KeyId) // not authorized here: the grant decides
		if err != nil {
			return nil, err
		}
		keyARN, grantID = k.ARN, *in.GrantId
	default:
		return nil, keyhold.NewError(keyhold.ErrCodeValidation, "Either GrantToken, or both KeyId and GrantId, must be specified.")
	}
	g, err := s.store.GetGrant(ctx, keyARN, grantID)
	if errors.Is(err, keyhold.ErrNotFound) {
		return nil, keyhold.NewError(keyhold.ErrCodeNotFound, "Grant ID "+grantID+" not found")
	}
	if err != nil {
		return nil, internal(err)
	}
	if a := authzOf(ctx); a != nil {
		if err := s.mayRetire(ctx, a, g); err != nil {
			return nil, err
		}
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	if err := s.store.DeleteGrant(ctx, keyARN, grantID); err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return nil, internal(err)
	}
	s.grantsChanged()
	return &kmsapi.RetireGrantOutput{}, nil
}

func (s *Service) mayRetire(ctx context.Context, a *authzCall, g *keyhold.Grant) error {
	p := a.c.Principal
	r := &policy.Request{Action: "kms:RetireGrant", Resource: g.KeyARN, Context: s.requestContext(a, nil)}
	var idd policy.Decision
	var reason string
	if p.Type != keyhold.PrincipalAccount {
		var err error
		if idd, reason, err = s.identity(ctx, p, r); err != nil {
			return internal(err)
		}
		if idd == policy.Denied {
			return denied(a.c, "kms:RetireGrant", g.KeyARN, reason)
		}
	} else {
		idd = policy.Allowed
	}
	switch {
	case isPrincipal(g.RetiringPrincipal, p):
	case isPrincipal(g.GranteePrincipal, p) && slices.Contains(g.Operations, "RetireGrant"):
	case keyhold.RootARN(p.Account) == g.IssuingAccount && idd == policy.Allowed:
	default:
		return denied(a.c, "kms:RetireGrant", g.KeyARN, "because no grant allows the kms:RetireGrant action")
	}
	return nil
}

// RevokeGrant deletes a grant; key and identity policies decide who may.
func (s *Service) RevokeGrant(ctx context.Context, c *Caller, in *kmsapi.RevokeGrantInput) (*kmsapi.RevokeGrantOutput, error) {
	k, err := s.resolveKey(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	id := str(in.GrantId)
	if _, err := s.store.GetGrant(ctx, k.ARN, id); errors.Is(err, keyhold.ErrNotFound) {
		return nil, keyhold.NewError(keyhold.ErrCodeNotFound, "Grant ID "+id+" not found")
	} else if err != nil {
		return nil, internal(err)
	}
	if isDryRun(in.DryRun) {
		return nil, errDryRun
	}
	if err := s.store.DeleteGrant(ctx, k.ARN, id); err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		return nil, internal(err)
	}
	s.grantsChanged()
	return &kmsapi.RevokeGrantOutput{}, nil
}

func init() {
	register("CreateGrant", (*Service).CreateGrant)
	register("ListGrants", (*Service).ListGrants)
	register("ListRetirableGrants", (*Service).ListRetirableGrants)
	register("RetireGrant", (*Service).RetireGrant)
	register("RevokeGrant", (*Service).RevokeGrant)
}
