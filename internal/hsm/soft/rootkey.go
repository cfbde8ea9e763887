package soft

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/keyhold/keyhold/internal/hsm"
)

// Root key file format v1 (53 bytes):
//
//	off  size  field
//	0    4     magic "KHRK"
//	4    1     version, 0x01
//	5    32    root key
//	37   16    check value: KBKDF(root key, "keyhold/v1/root/check", "", 16)
//
// The check value tells a corrupt or foreign file from a good one before
// any domain key fails to unwrap; being a KDF output under its own label,
// it reveals nothing about the keys derived from the root key.
const (
	rootKeyMagic    = "KHRK"
	rootKeyVersion  = 1
	rootKeyCheckLen = 16
	rootKeyFileLen  = len(rootKeyMagic) + 1 + hsm.KeySize + rootKeyCheckLen
)

// loadOrCreateRootKey reads the root key file at path, creating it first if
// it does not exist.
func loadOrCreateRootKey(path string, rand io.Reader) ([]byte, error) {
	key, err := readRootKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key, err = createRootKey(path, rand)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first: use theirs.
		return readRootKey(path)
	}
	return key, err
}

func readRootKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("soft: opening root key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("soft: root key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("soft: root key file %s is not a regular file", path)
	}
	// File modes mean nothing on Windows; there the directory's ACL must
	// protect the file.
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("soft: root key file %s has mode %04o, so group or others can access it; "+
			"restrict it with \"chmod 600 %s\" (and check who may have read it)", path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(rootKeyFileLen)+1))
	defer clear(data)
	if err != nil {
		return nil, fmt.Errorf("soft: reading root key file %s: %w", path, err)
	}
	if len(data) != rootKeyFileLen || !bytes.HasPrefix(data, []byte(rootKeyMagic)) {
		return nil, fmt.Errorf("soft: %s is not a keyhold root key file (want %d bytes starting %q, got %d bytes)",
			path, rootKeyFileLen, rootKeyMagic, len(data))
	}
	if v := data[len(rootKeyMagic)]; v != rootKeyVersion {
		return nil, fmt.Errorf("soft: root key file %s has version %d; this keyhold reads version %d", path, v, rootKeyVersion)
	}
	key := data[len(rootKeyMagic)+1 : len(rootKeyMagic)+1+hsm.KeySize]
	check, err := rootKeyCheck(key)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(check, data[len(data)-rootKeyCheckLen:]) != 1 {
		return nil, fmt.Errorf("soft: root key file %s is corrupt: its check value does not match the key; restore it from backup", path)
	}
	return bytes.Clone(key), nil
}

// createRootKey writes a new root key file at path. It fails with an error
// wrapping fs.ErrExist if path exists.
func createRootKey(path string, rand io.Reader) ([]byte, error) {
	key := make([]byte, hsm.KeySize)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, fmt.Errorf("soft: reading random bytes: %w", err)
	}
	check, err := rootKeyCheck(key)
	if err != nil {
		return nil, err
	}
	data := make([]byte, 0, rootKeyFileLen)
	data = append(data, rootKeyMagic...)
	data = append(data, rootKeyVersion)
	data = append(data, key...)
	data = append(data, check...)
	defer clear(data)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("soft: creating root key file: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("soft: writing root key file %s: %w", path, err)
	}
	// Make the new directory entry durable too; not every platform can
	// sync a directory, so a failure here is not fatal.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return key, nil
}

func rootKeyCheck(key []byte) ([]byte, error) {
	return hsm.KBKDF(key, labelRootCheck, nil, rootKeyCheckLen)
}
