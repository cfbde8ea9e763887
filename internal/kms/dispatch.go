package kms

import (
	"context"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

// handler runs one operation on a decoded, validated input.
type handler func(s *Service, ctx context.Context, c *Caller, in kmsapi.Input) (any, error)

// handlers maps an operation name to its implementation. Each feature file
// registers its operations in an init function, so adding an operation
// touches only its own file.
var handlers = map[string]handler{}

// register adds the implementation of op. The generic adapter keeps every
// method typed: fn takes the operation's own *<Op>Input.
func register[I kmsapi.Input, O any](op string, fn func(*Service, context.Context, *Caller, I) (O, error)) {
	if _, dup := handlers[op]; dup {
		panic("kms: operation registered twice: " + op)
	}
	if !kmsapi.IsOperation(op) {
		panic("kms: not an operation of the API model: " + op)
	}
	handlers[op] = func(s *Service, ctx context.Context, c *Caller, in kmsapi.Input) (any, error) {
		return fn(s, ctx, c, in.(I))
	}
}

// Dispatch runs the operation for a decoded, validated input and returns its
// output (a *kmsapi.<Op>Output). Errors are *keyhold.Error for anything the
// caller did wrong; anything else is internal.
func (s *Service) Dispatch(ctx context.Context, c *Caller, in kmsapi.Input) (any, error) {
	h, ok := handlers[in.OperationName()]
	if !ok {
		return nil, keyhold.Errorf(keyhold.ErrCodeUnsupportedOperation,
			"%s is not supported by keyhold yet.", in.OperationName())
	}
	ctx = withCall(ctx, c, in.OperationName())
	ctx, az, err := s.beginAuthz(ctx, c, in) // authz.go
	if err != nil {
		return nil, err
	}
	out, err := h(s, ctx, c, in)
	if err == nil {
		err = s.endAuthz(az)
	}
	if err != nil {
		return nil, err
	}
	if attrOps[in.OperationName()] {
		s.attrsChanged()
	}
	s.trackUsage(c, in.OperationName(), out)
	return out, nil
}

// Supported reports whether op is implemented.
func Supported(op string) bool {
	_, ok := handlers[op]
	return ok
}
