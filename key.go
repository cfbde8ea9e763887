package keyhold

import "time"

// KeyState is the state of a KMS key (AWS enum KeyState).
type KeyState string

const (
	KeyStateCreating               KeyState = "Creating"
	KeyStateEnabled                KeyState = "Enabled"
	KeyStateDisabled               KeyState = "Disabled"
	KeyStatePendingDeletion        KeyState = "PendingDeletion"
	KeyStatePendingImport          KeyState = "PendingImport"
	KeyStatePendingReplicaDeletion KeyState = "PendingReplicaDeletion"
	KeyStateUnavailable            KeyState = "Unavailable"
	KeyStateUpdating               KeyState = "Updating"
)

// Key specs, usages and origins that the foundation supports. The full enums
// are in internal/kmsapi (generated from the API model).
const (
	KeySpecSymmetricDefault = "SYMMETRIC_DEFAULT"
	KeyUsageEncryptDecrypt  = "ENCRYPT_DECRYPT"
	OriginAWSKMS            = "AWS_KMS"
	KeyManagerCustomer      = "CUSTOMER"
	AlgorithmSymmetric      = "SYMMETRIC_DEFAULT"
)

// Key is the stored record of one KMS key: its metadata, never its key
// material (that lives in BackingKey EKTs, sealed by the crypto boundary).
type Key struct {
	// ARN is the key's identity: arn:aws:kms:<region>:<account>:key/<id>.
	ARN     string
	ID      string
	Account string
	Region  string

	Description string
	KeyUsage    string
	KeySpec     string
	Origin      string
	State       KeyState
	MultiRegion bool
	// Policy is the key policy document (JSON text); empty until the
	// authorization layer sets one.
	Policy string

	CreationDate time.Time
	// DeletionDate is set while the key is PendingDeletion.
	DeletionDate        time.Time
	PendingWindowInDays int

	// CurrentMaterialID names the backing key used for new encryptions.
	CurrentMaterialID string

	// Automatic rotation: enabled, its period, and when it is next due.
	RotationEnabled      bool
	RotationPeriodInDays int
	NextRotationDate     time.Time
	// OnDemandRotationStartDate is set while an on-demand rotation is in
	// progress; OnDemandRotations counts the on-demand rotations so far.
	OnDemandRotationStartDate time.Time
	OnDemandRotations         int
}

// Enabled reports whether the key is in the Enabled state.
func (k *Key) Enabled() bool { return k.State == KeyStateEnabled }

// Tag is a resource tag.
type Tag struct {
	Key   string
	Value string
}

// BackingKey is one version of a KMS key's material (AWS: HSM backing key),
// stored only as an exported key token: sealed under a domain key by the
// crypto boundary, with the key ARN and material id bound as AAD.
type BackingKey struct {
	KeyARN string
	// MaterialID is 64 lowercase hex characters (AWS KeyMaterialId).
	MaterialID   string
	DomainKeyID  string
	EKT          []byte
	CreationDate time.Time
	// RotationType is "" for a key's first material, or the rotation that
	// made it: RotationAutomatic or RotationOnDemand.
	RotationType string
}

// Rotation types (AWS enum RotationType).
const (
	RotationAutomatic = "AUTOMATIC"
	RotationOnDemand  = "ON_DEMAND"
)

// DomainKey is a domain key as stored: wrapped by the root of trust. One is
// active per region; older ones are kept for unwrapping older EKTs.
type DomainKey struct {
	ID           string
	Region       string
	Wrapped      []byte
	CreationDate time.Time
}
