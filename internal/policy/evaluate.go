package policy

import "strings"

// Decision is the outcome of evaluating a request against policies.
type Decision int

const (
	// NotApplicable: no statement applies, which on its own is an
	// implicit deny.
	NotApplicable Decision = iota
	// Allowed: a statement allows the request and none denies it.
	Allowed
	// Denied: a statement explicitly denies the request.
	Denied
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "Allowed"
	case Denied:
		return "Denied"
	}
	return "NotApplicable"
}

// Request is what a policy is asked about.
type Request struct {
	// Action is "service:Operation", e.g. "iam:CreateUser".
	Action string
	// Resource is the ARN the action is on, or "*" for actions without
	// one.
	Resource string
	// Principal is who asks; statements with a Principal or NotPrincipal
	// element (trust and resource policies) are tested against it.
	Principal *Principal
	// Context holds the condition keys.
	Context Context
	// ContextFunc, when Context is nil, builds the condition keys. It is
	// called at most once, and only when a statement's conditions or policy
	// variables need them, so that requests decided by policies without
	// conditions (AWS's default key policy) never build them. A Request
	// with a ContextFunc is not safe for concurrent evaluation.
	ContextFunc func() Context

	// lowerAction is Action in lower case, computed once for actionOf.
	lowerAction, lowerOf string
}

// action returns r.Action in lower case, lowering it once per Request.
func (r *Request) action() string {
	if r.lowerOf != r.Action || r.lowerAction == "" {
		r.lowerAction, r.lowerOf = strings.ToLower(r.Action), r.Action
	}
	return r.lowerAction
}

// context returns the request's condition keys, building them on first
// use.
func (r *Request) context() Context {
	if r.Context == nil && r.ContextFunc != nil {
		r.Context = r.ContextFunc()
	}
	return r.Context
}

// Principal identifies the caller to Principal elements.
type Principal struct {
	// Account is the caller's account: "123456789012" and
	// "arn:aws:iam::123456789012:root" in a policy name every principal
	// of it.
	Account string
	// ARNs are the ARNs that name the caller exactly: a user's ARN; for a
	// role session both the session ARN
	// (arn:aws:sts::<account>:assumed-role/<role>/<session>) and the role
	// ARN.
	ARNs []string
	// Services are service principals ("ec2.amazonaws.com"), for calls
	// made by a service.
	Services []string
}

// Evaluate returns Denied if a statement of any of the policies denies r,
// Allowed if one allows it and none denies it, NotApplicable otherwise.
func Evaluate(r *Request, policies ...*Policy) Decision {
	d := NotApplicable
	for _, p := range policies {
		switch p.Evaluate(r) {
		case Denied:
			return Denied
		case Allowed:
			d = Allowed
		}
	}
	return d
}

// Evaluate evaluates r against one policy.
func (p *Policy) Evaluate(r *Request) Decision {
	d := NotApplicable
	for _, st := range p.Statements {
		if !st.Applies(r) {
			continue
		}
		if st.Effect == Deny {
			return Denied
		}
		d = Allowed
	}
	return d
}

// Applies reports whether the statement matches the request's principal,
// action, resource and conditions (whatever its effect).
func (st *Statement) Applies(r *Request) bool {
	if st.Principal != nil && !st.Principal.matches(r.Principal) {
		return false
	}
	if st.NotPrincipal != nil && st.NotPrincipal.matches(r.Principal) {
		return false
	}
	action := r.action()
	matched := false
	for i := range st.actions {
		if glob(st.actions[i].lit, action) {
			matched = true
			break
		}
	}
	if matched != (st.Action != nil) {
		return false
	}
	if st.Resource != nil || st.NotResource != nil {
		matched = false
		for i := range st.resources {
			var ctx Context
			if st.resources[i].vars {
				ctx = r.context()
			}
			toks, ok := st.resources[i].resolve(ctx)
			if ok && matchARN(toks, r.Resource) {
				matched = true
				break
			}
		}
		if matched != (st.Resource != nil) {
			return false
		}
	}
	if len(st.Conditions) == 0 {
		return true
	}
	ctx := r.context()
	for _, c := range st.Conditions {
		if !c.holds(ctx) {
			return false
		}
	}
	return true
}

func (ps *Principals) matches(p *Principal) bool {
	if ps.Any {
		return true
	}
	if p == nil {
		return false
	}
	for _, v := range ps.ByType["AWS"] {
		if v == "*" || v == p.Account || v == "arn:aws:iam::"+p.Account+":root" {
			return true
		}
		for _, a := range p.ARNs {
			if v == a {
				return true
			}
		}
	}
	for _, v := range ps.ByType["Service"] {
		for _, s := range p.Services {
			if v == s {
				return true
			}
		}
	}
	return false
}
