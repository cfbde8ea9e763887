// Package keyhold holds the domain vocabulary of keyhold, a self-hosted key
// management service that speaks the AWS KMS API: the records the service
// keeps (keys, backing keys, domain keys, accounts, access keys), the error
// type that carries an AWS error code, ARNs, and the Store interface that the
// storage drivers implement.
//
// This package imports only the standard library. It holds no engine: the
// service lives in internal/kms, the crypto boundary in internal/hsm.
package keyhold
