// Package sigv4 verifies and creates AWS Signature Version 4 signatures on
// HTTP requests sent in the Authorization header, as the AWS KMS wire
// protocol (AWS JSON 1.1, POST /) uses them.
//
// Servers use a Verifier; clients (the load generator, tests) use Sign. Both
// build the canonical request with the same code, and the tests hold that
// code to aws-sdk-go-v2's signer, botocore's header set and curl's
// --aws-sigv4.
//
// What this package guarantees a server:
//
//   - The request body is always authenticated: the payload hash in the
//     canonical request is computed from the body, never taken from the
//     X-Amz-Content-Sha256 header (which, when present, must equal it, so
//     UNSIGNED-PAYLOAD is refused).
//   - Exactly the headers the client listed in SignedHeaders are used, and
//     host must be one of them, so a signature cannot be moved to another
//     endpoint.
//   - The request time is within MaxSkew of the server clock and its date is
//     the date of the credential scope, which bounds replay.
//   - Signatures are compared in constant time; no error message carries a
//     secret, a signing key or the expected signature.
//
// Errors that reach a client are *keyhold.Error values carrying the AWS error
// code and, where AWS's own wording is known, AWS's message.
package sigv4
