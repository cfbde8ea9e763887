package keyhold

import "time"

// OriginExternal is the origin of a KMS key created without key material,
// for key material the caller imports (AWS OriginType EXTERNAL).
const OriginExternal = "EXTERNAL"

// Import states of one key material of an EXTERNAL key (AWS ImportState).
const (
	ImportStateImported      = "IMPORTED"
	ImportStatePendingImport = "PENDING_IMPORT"
)

// Expiration models of imported key material (AWS ExpirationModelType).
const (
	ExpirationModelExpires       = "KEY_MATERIAL_EXPIRES"
	ExpirationModelDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE"
)

// KeyMaterial is the import record of one key material of an EXTERNAL key.
// Its sealed material is the EKT of the BackingKey with the same key ARN
// and material id; while the material is deleted or expired
// (ImportStatePendingImport) that backing key keeps its id, rotation type
// and date but its EKT is empty, so nothing of the material is stored.
type KeyMaterial struct {
	KeyARN string
	// MaterialID is the backing key's material id. For imported material
	// it is derived from the key and the material (hsm.ImportedMaterialID),
	// so importing the same material again yields the same id.
	MaterialID string
	// Description is the caller's KeyMaterialDescription ("" for none).
	Description string
	// ImportState is ImportStateImported or ImportStatePendingImport.
	ImportState string
	// ExpirationModel and ValidTo are those of the last import;
	// ExpirationModel is "" and ValidTo zero while the material is not
	// imported.
	ExpirationModel string
	ValidTo         time.Time
	// PendingRotation is set for material imported with ImportType
	// NEW_KEY_MATERIAL that RotateKeyOnDemand has not made current yet
	// (AWS KeyMaterialState PENDING_ROTATION).
	PendingRotation bool
	// ImportDate is when the material was last imported.
	ImportDate time.Time
}

// ImportParameters is what keyhold keeps of one GetParametersForImport
// answer: the wrapping private key, sealed by the crypto boundary under a
// domain key and bound to the key, the import token and the wrapping
// parameters. The import token itself is not stored; it names TokenID.
type ImportParameters struct {
	KeyARN string
	// TokenID is 32 lowercase hex characters, chosen by the boundary.
	TokenID string
	// DomainKeyID names the domain key that seals SealedWrappingKey.
	DomainKeyID       string
	SealedWrappingKey []byte
	CreationDate      time.Time
	// ValidTo is when the import token and the public key expire (AWS
	// ParametersValidTo); expired parameters are deleted by a worker.
	ValidTo time.Time
}
