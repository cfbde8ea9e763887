package kms

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("EnableKey", (*Service).EnableKey)
	register("DisableKey", (*Service).DisableKey)
	register("ScheduleKeyDeletion", (*Service).ScheduleKeyDeletion)
	register("CancelKeyDeletion", (*Service).CancelKeyDeletion)
	register("UpdateKeyDescription", (*Service).UpdateKeyDescription)
	background = append(background, (*Service).deleteDueKeys)
}

// stateRule is what an operation does with a key in one state: nothing
// (allowed) or fail with an AWS error whose message is the key ARN followed
// by suffix.
type stateRule struct {
	code   string
	suffix string
}

var (
	allow              = stateRule{}
	isDisabled         = stateRule{keyhold.ErrCodeDisabled, " is disabled."}
	isPendingDeletion  = stateRule{keyhold.ErrCodeInvalidState, " is pending deletion."}
	isPendingReplica   = stateRule{keyhold.ErrCodeInvalidState, " is pending replica deletion."}
	notPendingDeletion = stateRule{keyhold.ErrCodeInvalidState, " is not pending deletion."}
	isPendingImport    = stateRule{keyhold.ErrCodeInvalidState, " is pending import."}
	isUnavailable      = stateRule{keyhold.ErrCodeInvalidState, " is unavailable."}
	isCreating         = stateRule{keyhold.ErrCodeInvalidState, " is creating."}
	isUpdating         = stateRule{keyhold.ErrCodeInvalidState, " is updating."}
)

// Column order of every row of stateTable.
var tableStates = [...]keyhold.KeyState{
	keyhold.KeyStateEnabled, keyhold.KeyStateDisabled, keyhold.KeyStatePendingDeletion,
	keyhold.KeyStatePendingImport, keyhold.KeyStateUnavailable, keyhold.KeyStateCreating,
	keyhold.KeyStateUpdating,
}

// stateTable is AWS's operation-versus-key-state table (the key-state page
// of the KMS developer guide), as data: one row per operation, one rule per
// state in tableStates order. PendingReplicaDeletion follows the
// PendingDeletion column with its own message. "Depends" cells (rotation of
// imported keys, import into keys with material) are allowed here and
// checked by the operation itself. Operations that succeed in every state
// (DescribeKey, List*, GetKeyPolicy, PutKeyPolicy, DeleteAlias, RetireGrant,
// RevokeGrant) have no row.
var stateTable = map[string][7]stateRule{
	//                                  Enabled Disabled    PendingDeletion     PendingImport    Unavailable    Creating    Updating
	"CancelKeyDeletion":                   {notPendingDeletion, notPendingDeletion, allow, notPendingDeletion, notPendingDeletion, notPendingDeletion, notPendingDeletion},
	"CreateAlias":                         {allow, allow, isPendingDeletion, allow, allow, allow, allow},
	"CreateGrant":                         {allow, isDisabled, isPendingDeletion, isPendingImport, allow, isCreating, allow},
	"Decrypt":                             crypto,
	"DeleteImportedKeyMaterial":           {allow, allow, allow, allow, allow, isCreating, isUpdating},
	"DeriveSharedSecret":                  crypto,
	"DisableKey":                          {allow, allow, isPendingDeletion, isPendingImport, allow, isCreating, isUpdating},
	"DisableKeyRotation":                  {allow, isDisabled, isPendingDeletion, allow, allow, isCreating, allow}, // PendingImport: [6], checkRotatable
	"EnableKey":                           {allow, allow, isPendingDeletion, isPendingImport, allow, isCreating, isUpdating},
	"EnableKeyRotation":                   {allow, isDisabled, isPendingDeletion, allow, allow, isCreating, allow}, // PendingImport: [6], checkRotatable
	"Encrypt":                             crypto,
	"GenerateDataKey":                     crypto,
	"GenerateDataKeyPair":                 crypto,
	"GenerateDataKeyPairWithoutPlaintext": crypto,
	"GenerateDataKeyWithoutPlaintext":     crypto,
	"GenerateMac":                         crypto,
	"GetKeyRotationStatus":                {allow, allow, allow, isPendingImport, allow, allow, allow},
	"GetParametersForImport":              {allow, allow, isPendingDeletion, allow, isUnavailable, isCreating, isUpdating},
	"GetPublicKey":                        crypto,
	"ImportKeyMaterial":                   {allow, allow, isPendingDeletion, allow, isUnavailable, isCreating, allow},
	"ReEncrypt":                           crypto,
	"ReplicateKey":                        {allow, isDisabled, isPendingDeletion, isPendingImport, isUnavailable, isCreating, isUpdating},
	"RotateKeyOnDemand":                   {allow, isDisabled, isPendingDeletion, isPendingImport, allow, isCreating, allow},
	"ScheduleKeyDeletion":                 {allow, allow, isPendingDeletion, allow, allow, allow, isUpdating},
	"Sign":                                crypto,
	"TagResource":                         {allow, allow, isPendingDeletion, allow, allow, allow, allow},
	"UntagResource":                       {allow, allow, isPendingDeletion, allow, allow, allow, allow},
	"UpdateAlias":                         {allow, allow, isPendingDeletion, allow, allow, allow, allow},
	"UpdateKeyDescription":                {allow, allow, isPendingDeletion, allow, allow, allow, allow},
	"UpdatePrimaryRegion":                 {allow, isDisabled, isPendingDeletion, isPendingImport, isUnavailable, isCreating, allow},
	"Verify":                              crypto,
	"VerifyMac":                           crypto,
}

// crypto is the row every cryptographic operation shares.
var crypto = [7]stateRule{allow, isDisabled, isPendingDeletion, isPendingImport, isUnavailable, isCreating, allow}

// checkState applies the state table to op on k.
func checkState(op string, k *keyhold.Key) error {
	row, ok := stateTable[op]
	if !ok {
		return nil
	}
	state := k.State
	replica := state == keyhold.KeyStatePendingReplicaDeletion
	if replica {
		state = keyhold.KeyStatePendingDeletion
	}
	for i, st := range tableStates {
		if st != state {
			continue
		}
		r := row[i]
		if r == allow {
			return nil
		}
		if replica && r == isPendingDeletion {
			r = isPendingReplica
		}
		return keyhold.NewError(r.code, k.ARN+r.suffix)
	}
	return nil
}

// keyLocks serializes read-modify-write changes to one key within this
// process, so that concurrent changes (disable during rotation, two tag
// updates) never lose one another's write.
type keyLocks struct{ m sync.Map }

func (l *keyLocks) lock(arn string) func() {
	v, _ := l.m.LoadOrStore(arn, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// mutateKey resolves keyID (no aliases: management operations take a key id
// or key ARN), checks op against the key's state and, under the key's lock,
// lets fn change the key, then stores it. fn returns false to store nothing.
func (s *Service) mutateKey(ctx context.Context, c *Caller, keyID, op string, fn func(k *keyhold.Key) (bool, error)) (*keyhold.Key, error) {
	k, err := s.resolveKeyID(ctx, c, keyID)
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(k.ARN)
	defer unlock()
	// Read again under the lock: the state may have changed meanwhile.
	k, err = s.getKey(ctx, k.ARN)
	if err != nil {
		return nil, err
	}
	if err := checkState(op, k); err != nil {
		return nil, err
	}
	changed, err := fn(k)
	if err != nil || !changed {
		return k, err
	}
	if err := s.store.UpdateKey(ctx, k); err != nil {
		return nil, internal(err)
	}
	return k, nil
}

// EnableKey sets a key's state to Enabled.
func (s *Service) EnableKey(ctx context.Context, c *Caller, in *kmsapi.EnableKeyInput) (*kmsapi.EnableKeyOutput, error) {
	_, err := s.mutateKey(ctx, c, str(in.KeyId), "EnableKey", func(k *keyhold.Key) (bool, error) {
		if k.State == keyhold.KeyStateUnavailable {
			return false, nil // takes effect when the key is available again
		}
		k.State = keyhold.KeyStateEnabled
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.EnableKeyOutput{}, nil
}

// DisableKey sets a key's state to Disabled.
func (s *Service) DisableKey(ctx context.Context, c *Caller, in *kmsapi.DisableKeyInput) (*kmsapi.DisableKeyOutput, error) {
	_, err := s.mutateKey(ctx, c, str(in.KeyId), "DisableKey", func(k *keyhold.Key) (bool, error) {
		if k.State == keyhold.KeyStateUnavailable {
			return false, nil
		}
		k.State = keyhold.KeyStateDisabled
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.DisableKeyOutput{}, nil
}

// ScheduleKeyDeletion puts a key in PendingDeletion for 7 to 30 days
// (default 30); the deletion worker deletes it afterwards.
func (s *Service) ScheduleKeyDeletion(ctx context.Context, c *Caller, in *kmsapi.ScheduleKeyDeletionInput) (*kmsapi.ScheduleKeyDeletionOutput, error) {
	days := 30
	if in.PendingWindowInDays != nil {
		days = int(*in.PendingWindowInDays)
		if days < 7 || days > 30 {
			return nil, keyhold.Errorf(keyhold.ErrCodeValidation,
				"PendingWindowInDays value %d is not in the valid range of 7 to 30.", days)
		}
	}
	k, err := s.mutateKey(ctx, c, str(in.KeyId), "ScheduleKeyDeletion", func(k *keyhold.Key) (bool, error) {
		k.State = keyhold.KeyStatePendingDeletion
		k.PendingWindowInDays = days
		k.DeletionDate = s.now().UTC().Add(time.Duration(days) * 24 * time.Hour)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.ScheduleKeyDeletionOutput{
		KeyId:               ptr(k.ARN),
		DeletionDate:        kmsapi.NewTimestamp(k.DeletionDate),
		KeyState:            ptr(kmsapi.KeyState(k.State)),
		PendingWindowInDays: ptr(int32(days)),
	}, nil
}

// CancelKeyDeletion takes a key out of PendingDeletion; it comes back
// Disabled, as in AWS.
func (s *Service) CancelKeyDeletion(ctx context.Context, c *Caller, in *kmsapi.CancelKeyDeletionInput) (*kmsapi.CancelKeyDeletionOutput, error) {
	k, err := s.mutateKey(ctx, c, str(in.KeyId), "CancelKeyDeletion", func(k *keyhold.Key) (bool, error) {
		state, err := s.stateAfterCancel(ctx, k) // Disabled, or PendingImport (import.go)
		if err != nil {
			return false, err
		}
		k.State = state
		k.DeletionDate = time.Time{}
		k.PendingWindowInDays = 0
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.CancelKeyDeletionOutput{KeyId: ptr(k.ARN)}, nil
}

// UpdateKeyDescription replaces a key's description.
func (s *Service) UpdateKeyDescription(ctx context.Context, c *Caller, in *kmsapi.UpdateKeyDescriptionInput) (*kmsapi.UpdateKeyDescriptionOutput, error) {
	_, err := s.mutateKey(ctx, c, str(in.KeyId), "UpdateKeyDescription", func(k *keyhold.Key) (bool, error) {
		k.Description = str(in.Description)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.UpdateKeyDescriptionOutput{}, nil
}

// deleteDueKeys deletes keys whose deletion date has passed, and rotates
// keys whose automatic rotation is due.
func (s *Service) deleteDueKeys(ctx context.Context) {
	now := s.now()
	keys, err := s.store.ListKeysDue(ctx, now)
	if err != nil {
		s.log.Error("listing keys with due work", "error", err.Error())
		return
	}
	for _, k := range keys {
		switch {
		case k.State == keyhold.KeyStatePendingDeletion:
			s.deleteKey(ctx, k.ARN, now)
		case k.RotationEnabled:
			if err := s.rotate(ctx, k.ARN, keyhold.RotationAutomatic); err != nil {
				s.log.Error("automatic rotation failed", "key_arn", k.ARN, "error", err.Error())
			}
		}
	}
}

func (s *Service) deleteKey(ctx context.Context, arn string, now time.Time) {
	unlock := s.locks.lock(arn)
	defer unlock()
	k, err := s.store.GetKey(ctx, arn)
	if errors.Is(err, keyhold.ErrNotFound) {
		return
	}
	if err != nil {
		s.log.Error("deleting key", "key_arn", arn, "error", err.Error())
		return
	}
	// Cancelled in the meantime?
	if k.State != keyhold.KeyStatePendingDeletion || k.DeletionDate.After(now) {
		return
	}
	if err := s.store.DeleteKey(ctx, arn); err != nil && !errors.Is(err, keyhold.ErrNotFound) {
		s.log.Error("deleting key", "key_arn", arn, "error", err.Error())
		return
	}
	s.log.Info("deleted key after its waiting period", "key_arn", arn)
	s.serviceEvent(ctx, "DeleteKey", arn, nil)
}
