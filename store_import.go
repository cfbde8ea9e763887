package keyhold

import (
	"context"
	"time"
)

// ImportStore keeps what importing key material needs: the sealed wrapping
// keys of GetParametersForImport and the import records (KeyMaterial) of
// EXTERNAL keys. Every method that changes key material also stores the
// key's new state in the same transaction, so a key is never Enabled
// without its material nor left PendingImport with it.
type ImportStore interface {
	// CreateImportParameters stores one GetParametersForImport answer
	// (ErrNotFound if the key or the domain key is not stored, ErrConflict
	// if the key already has parameters with this token id).
	CreateImportParameters(ctx context.Context, p *ImportParameters) error
	// GetImportParameters returns the parameters of the key's import token
	// tokenID (ErrNotFound once used, deleted or never issued).
	GetImportParameters(ctx context.Context, keyARN, tokenID string) (*ImportParameters, error)
	// DeleteExpiredImportParameters removes every parameter set whose
	// ValidTo is at or before now and returns how many it removed.
	DeleteExpiredImportParameters(ctx context.Context, now time.Time) (int, error)

	// ListKeyMaterials returns the import records of the key's materials
	// in the order of ListBackingKeys (ErrNotFound for a missing key; an
	// empty list for a key without any).
	ListKeyMaterials(ctx context.Context, keyARN string) ([]*KeyMaterial, error)
	// ImportKeyMaterial stores one import, in one transaction: it consumes
	// the import parameters (k.ARN, tokenID), failing with ErrNotFound if
	// they are gone (each token imports once); stores bk, inserting it or,
	// when the key already has a backing key with bk's material id,
	// replacing only its EKT and domain key (its creation date and
	// rotation type stay); inserts or replaces m; and updates k.
	ImportKeyMaterial(ctx context.Context, k *Key, tokenID string, bk *BackingKey, m *KeyMaterial) error
	// EraseKeyMaterial deletes imported material (DeleteImportedKeyMaterial
	// or expiry), in one transaction: the EKT of the backing key
	// (k.ARN, materialID) is emptied, the record becomes
	// ImportStatePendingImport with no ExpirationModel and ValidTo, and k
	// is updated. ErrNotFound if the key has no such record.
	EraseKeyMaterial(ctx context.Context, k *Key, materialID string) error
	// ForgetKeyMaterial removes material that is pending rotation, backing
	// key and record, and updates k, in one transaction. ErrNotFound if the
	// key has no such record.
	ForgetKeyMaterial(ctx context.Context, k *Key, materialID string) error
	// RotateToKeyMaterial makes pending material current, in one
	// transaction: its backing key gets rotationType and CreationDate date
	// (the rotation date), its record is no longer PendingRotation, and k
	// (whose CurrentMaterialID is materialID) is updated.
	RotateToKeyMaterial(ctx context.Context, k *Key, materialID, rotationType string, date time.Time) error
	// ListExpiredKeyMaterials returns the imported materials (of every
	// account and region) whose ExpirationModel is ExpirationModelExpires
	// and whose ValidTo is at or before now, oldest ValidTo first.
	ListExpiredKeyMaterials(ctx context.Context, now time.Time) ([]*KeyMaterial, error)
	// KeyMaterialExpiryStats returns, for metrics, the earliest ValidTo of
	// the imported materials (of every account and region) whose
	// ExpirationModel is ExpirationModelExpires (zero if there are none)
	// and how many of them have a ValidTo at or before by. It aggregates
	// in the store rather than listing the materials.
	KeyMaterialExpiryStats(ctx context.Context, by time.Time) (soonest time.Time, expiring int, err error)
}
