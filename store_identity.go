package keyhold

import "context"

// IdentityStore keeps accounts and principals' credentials.
type IdentityStore interface {
	// CreateAccount inserts an account (ErrConflict if it exists).
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns an account.
	GetAccount(ctx context.Context, id string) (*Account, error)
	// CreateAccessKey inserts an access key (ErrConflict if the id exists).
	CreateAccessKey(ctx context.Context, ak *AccessKey) error
	// GetAccessKey returns an access key by its id.
	GetAccessKey(ctx context.Context, id string) (*AccessKey, error)
}
