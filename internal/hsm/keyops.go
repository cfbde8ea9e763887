package hsm

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"io"

	"github.com/keyhold/keyhold"
)

// The operations on a loaded Key. Each checks the request against the
// key's Spec (the service checks too, before a dry run; the boundary does
// not trust it) and then calls the key's own implementation.

// ErrInvalidSignature is Verify's answer to a signature that does not
// verify, whatever the reason (wrong key, wrong message, malformed). AWS
// sends it with an empty message.
var ErrInvalidSignature error = keyhold.NewError(keyhold.ErrCodeKMSInvalidSignature, "")

// ErrInvalidMAC is VerifyMAC's answer to a MAC that does not verify. AWS
// sends it with an empty message.
var ErrInvalidMAC error = keyhold.NewError(keyhold.ErrCodeKMSInvalidMac, "")

// ErrInvalidPublicKey is DeriveSharedSecret's answer to a peer public key
// it cannot use: not DER SubjectPublicKeyInfo, another algorithm or curve,
// or not a point of the curve. AWS answers an unparsable key with a
// ValidationException with an empty message.
var ErrInvalidPublicKey error = keyhold.NewError(keyhold.ErrCodeValidation, "")

var errEmptyMessage = keyhold.NewError(keyhold.ErrCodeValidation,
	"1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length greater than or equal to 1")

var errOperation = errors.New("hsm: the key does not support this operation")

// Sign signs msg (of messageType; "" means RAW) with alg.
func Sign(rand io.Reader, k Key, alg, messageType string, msg []byte) ([]byte, error) {
	if len(msg) == 0 {
		// The API model's constraint, which kmsapi enforces first; not
		// every signer takes an empty message.
		return nil, errEmptyMessage
	}
	messageType = defaultRaw(messageType)
	a, err := k.Spec().checkSign(alg, messageType, len(msg))
	if err != nil {
		return nil, err
	}
	s, ok := k.(signer)
	if !ok {
		return nil, errOperation
	}
	return s.sign(rand, a, messageType, msg)
}

// Verify verifies sig over msg. An invalid signature gives
// ErrInvalidSignature.
func Verify(k Key, alg, messageType string, msg, sig []byte) error {
	messageType = defaultRaw(messageType)
	if err := k.Spec().CheckVerify(alg, messageType, len(msg)); err != nil {
		return err
	}
	a := signingAlgorithms[alg]
	s, ok := k.(signer)
	if !ok {
		return errOperation
	}
	if !s.verify(a, messageType, msg, sig) {
		return ErrInvalidSignature
	}
	return nil
}

func defaultRaw(messageType string) string {
	if messageType == "" {
		return MessageRaw
	}
	return messageType
}

// EncryptAsymmetric encrypts plaintext with the public key of k.
func EncryptAsymmetric(rand io.Reader, k Key, alg string, plaintext []byte) ([]byte, error) {
	if err := k.Spec().CheckEncrypt(alg, len(plaintext)); err != nil {
		return nil, err
	}
	d, ok := k.(decrypter)
	if !ok {
		return nil, errOperation
	}
	return d.encrypt(rand, alg, plaintext)
}

// DecryptAsymmetric decrypts ciphertext with the private key of k. A
// ciphertext that does not decrypt gives an error wrapping
// ErrInvalidCiphertext.
func DecryptAsymmetric(k Key, alg string, ciphertext []byte) ([]byte, error) {
	if err := k.Spec().CheckDecrypt(alg); err != nil {
		return nil, err
	}
	d, ok := k.(decrypter)
	if !ok {
		return nil, errOperation
	}
	pt, err := d.decrypt(alg, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidCiphertext, alg)
	}
	return pt, nil
}

// GenerateMAC returns the MAC of msg under k.
func GenerateMAC(k Key, alg string, msg []byte) ([]byte, error) {
	if err := k.Spec().CheckMAC(alg); err != nil {
		return nil, err
	}
	m, ok := k.(macer)
	if !ok {
		return nil, errOperation
	}
	return m.mac(alg, msg), nil
}

// VerifyMAC checks mac in constant time. A MAC that does not match gives
// ErrInvalidMAC.
func VerifyMAC(k Key, alg string, msg, mac []byte) error {
	want, err := GenerateMAC(k, alg, msg)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, mac) {
		return ErrInvalidMAC
	}
	return nil
}

// DeriveSharedSecret returns the ECDH shared secret (the x-coordinate of
// the shared point) of k's private key and peerPublicKey, a DER
// SubjectPublicKeyInfo on k's curve. A public key it cannot use gives
// ErrInvalidPublicKey.
func DeriveSharedSecret(k Key, alg string, peerPublicKey []byte) ([]byte, error) {
	if err := k.Spec().CheckKeyAgreement(alg); err != nil {
		return nil, err
	}
	a, ok := k.(agreer)
	if !ok {
		return nil, errOperation
	}
	return a.agree(peerPublicKey)
}
