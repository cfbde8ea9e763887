package xks

import "strings"

// Path is a parsed XKS proxy request path:
//
//	[<prefix>]/kms/xks/v1/health
//	[<prefix>]/kms/xks/v1/keys/<externalKeyId>/metadata
//	[<prefix>]/kms/xks/v1/keys/<externalKeyId>/encrypt
//	[<prefix>]/kms/xks/v1/keys/<externalKeyId>/decrypt
type Path struct {
	// Prefix is the part before "/kms/xks/v1": "" or "/a/b". A lone "/"
	// (what a client with an empty prefix sends as "//kms/xks/v1/...")
	// is the empty prefix.
	Prefix string
	// Operation is one of the Op* constants.
	Operation string
	// KeyID is the external key id ("" for GetHealthStatus).
	KeyID string
}

// BasePath returns "<prefix>/kms/xks/v1": what a KMS stores as the
// XksProxyUriPath of a key store served under prefix.
func BasePath(prefix string) string { return prefix + "/kms/xks/" + Version }

// ParsePath parses the escaped request path p (http.Request.URL's
// EscapedPath, never a cleaned or unescaped form: the path must be read as
// it was signed). It reports false for anything that is not one of the four
// operation URIs of version 1, including an external key id outside
// [A-Za-z0-9._-]{1,128}. The prefix is returned as sent; the caller matches
// it against its logical key stores.
//
// The path is read from the right, so a prefix that itself contains
// "/kms/xks/v1" cannot shift the operation.
func ParsePath(p string) (Path, bool) {
	if len(p) > 4096 || !strings.HasPrefix(p, "/") {
		return Path{}, false
	}
	base, last, ok := cutLast(p)
	if !ok {
		return Path{}, false
	}
	var out Path
	switch last {
	case "health":
		out.Operation = OpGetHealthStatus
	case "metadata", "encrypt", "decrypt":
		rest, id, ok := cutLast(base)
		if !ok || !ValidKeyID(id) {
			return Path{}, false
		}
		rest, keys, ok := cutLast(rest)
		if !ok || keys != "keys" {
			return Path{}, false
		}
		base, out.KeyID = rest, id
		out.Operation = map[string]string{"metadata": OpGetKeyMetadata, "encrypt": OpEncrypt, "decrypt": OpDecrypt}[last]
	default:
		return Path{}, false
	}
	prefix, ok := strings.CutSuffix(base, "/kms/xks/"+Version)
	if !ok {
		return Path{}, false
	}
	if prefix == "/" {
		prefix = ""
	}
	out.Prefix = prefix
	return out, true
}

// cutLast splits p at its last '/': "a/b/c" gives "a/b", "c".
func cutLast(p string) (string, string, bool) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}

// OperationPath returns the path of op under basePath (a key store's
// XksProxyUriPath), for keyID when op needs one.
func OperationPath(basePath, op, keyID string) string {
	switch op {
	case OpGetHealthStatus:
		return basePath + "/health"
	case OpGetKeyMetadata:
		return basePath + "/keys/" + keyID + "/metadata"
	case OpEncrypt:
		return basePath + "/keys/" + keyID + "/encrypt"
	default:
		return basePath + "/keys/" + keyID + "/decrypt"
	}
}

// ValidPrefix reports whether prefix is a usable path prefix: "" or one or
// more "/segment" with segments of [A-Za-z0-9_-] (the KMS XksProxyUriPath
// rule without empty segments), at most 100 characters so that the whole
// XksProxyUriPath stays within KMS's 128.
func ValidPrefix(prefix string) bool {
	if prefix == "" {
		return true
	}
	if len(prefix) > 100 || prefix[0] != '/' {
		return false
	}
	for _, seg := range strings.Split(prefix[1:], "/") {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}
