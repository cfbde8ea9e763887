package hsm

// peerParser is implemented by the kinds whose keys agree: it parses a
// peer's public key as DeriveSharedSecret receives it, from the caller.
type peerParser interface {
	checkPeer(der []byte) error
}

// CheckPeerPublicKey reports whether der, untrusted input from a caller,
// is a public key that a KEY_AGREEMENT key of spec can agree with: a DER
// SubjectPublicKeyInfo of an EC point on the spec's curve (uncompressed,
// not the point at infinity, on the curve). The error is
// ErrInvalidPublicKey. It is what DeriveSharedSecret runs before it
// touches the private key, and the fuzz target of that path.
func (s *Spec) CheckPeerPublicKey(der []byte) error {
	p, ok := s.kind.(peerParser)
	if !ok {
		return ErrInvalidPublicKey
	}
	return p.checkPeer(der)
}
