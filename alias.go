package keyhold

import "time"

// Alias is a friendly name ("alias/...") for a KMS key in one account and
// region.
type Alias struct {
	Account string
	Region  string
	// Name includes the "alias/" prefix.
	Name            string
	TargetKeyARN    string
	CreationDate    time.Time
	LastUpdatedDate time.Time
}

// ARN returns the alias ARN.
func (a *Alias) ARN() string { return AliasARN(a.Region, a.Account, a.Name) }

// KeyUsage records the last cryptographic use of a key (GetKeyLastUsage).
type KeyUsage struct {
	KeyARN    string
	Operation string
	Timestamp time.Time
	RequestID string
}

// KeyStat counts the keys in one state with one key spec.
type KeyStat struct {
	State   KeyState
	KeySpec string
	Count   int
}
