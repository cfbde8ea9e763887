package audit

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Signer signs audit digests with the audit signing key (ECDSA P-384),
// which lives inside the crypto boundary.
type Signer interface {
	// SignAuditDigest returns an ASN.1 ECDSA signature over the SHA-384
	// hash of msg.
	SignAuditDigest(ctx context.Context, msg []byte) ([]byte, error)
	// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
	PublicKeyPEM() ([]byte, error)
}

// Digest is the content of a digest file: it commits to a prefix of one
// audit file and to the previous digest, and is signed.
type Digest struct {
	Version int `json:"version"`
	// Sequence numbers digests from 1.
	Sequence uint64 `json:"sequence"`
	// File is the audit file's name; Length the number of its bytes
	// covered and SHA256 their hash.
	File   string `json:"file"`
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"`
	// LastSequence and LastHash name the last record covered.
	LastSequence uint64 `json:"lastSequence"`
	LastHash     string `json:"lastHash"`
	// PreviousDigestHash is the SHA-256 of the previous digest file's
	// bytes (64 zeros for the first).
	PreviousDigestHash string `json:"previousDigestHash"`
	Time               string `json:"time"`
	// PublicKeySHA256 identifies the signing key (SHA-256 of its DER).
	PublicKeySHA256 string `json:"publicKeySha256"`
	// Signature is over the digest's JSON with Signature empty.
	Signature []byte `json:"signature"`
}

func (d *Digest) signedBytes() ([]byte, error) {
	c := *d
	c.Signature = nil
	return json.Marshal(&c)
}

func publicKeyFingerprint(pemBytes []byte) (string, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return "", errors.New("not a PEM public key")
	}
	h := sha256.Sum256(b.Bytes)
	return hex.EncodeToString(h[:]), nil
}

// ParsePublicKey parses the audit public key PEM.
func ParsePublicKey(pemBytes []byte) (*ecdsa.PublicKey, string, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, "", errors.New("audit: not a PEM PUBLIC KEY")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, "", fmt.Errorf("audit: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, "", errors.New("audit: the public key is not ECDSA")
	}
	h := sha256.Sum256(b.Bytes)
	return ek, hex.EncodeToString(h[:]), nil
}

func (l *Log) writeDigest() error {
	var sum []byte
	if l.f != nil && l.hashed == l.fileSize {
		sum = l.fileHash.Sum(nil)
	} else {
		// The records of a file this run did not write from its start
		// (the last run's tail, at start).
		f, err := os.Open(filepath.Join(l.opts.Dir, fileName(l.fileSeq)))
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.CopyN(h, f, l.fileSize)
		f.Close()
		if err != nil {
			return err
		}
		sum = h.Sum(nil)
	}
	pemBytes, err := l.opts.Signer.PublicKeyPEM()
	if err != nil {
		return err
	}
	fp, err := publicKeyFingerprint(pemBytes)
	if err != nil {
		return err
	}
	d := &Digest{
		Version:            1,
		Sequence:           l.digestSeq + 1,
		File:               fileName(l.fileSeq),
		Length:             l.fileSize,
		SHA256:             hex.EncodeToString(sum),
		LastSequence:       l.seq,
		LastHash:           l.prevHash,
		PreviousDigestHash: l.prevDigest,
		Time:               FormatTime(l.opts.Now()),
		PublicKeySHA256:    fp,
	}
	msg, err := d.signedBytes()
	if err != nil {
		return err
	}
	d.Signature, err = l.opts.Signer.SignAuditDigest(context.Background(), msg)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := writeFileSync(filepath.Join(l.opts.Dir, digestName(d.Sequence)), b, 0o644); err != nil {
		return err
	}
	l.digestSeq, l.prevDigest = d.Sequence, hashHex(b)
	l.lastDigest, l.digested = l.opts.Now(), l.fileSize
	return nil
}

// verifySignature checks d's signature with pub.
func verifySignature(d *Digest, pub *ecdsa.PublicKey) bool {
	msg, err := d.signedBytes()
	if err != nil {
		return false
	}
	h := crypto.SHA384.New()
	h.Write(msg)
	return ecdsa.VerifyASN1(pub, h.Sum(nil), d.Signature)
}
