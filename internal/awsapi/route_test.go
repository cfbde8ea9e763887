package awsapi

import "testing"

func TestScopeService(t *testing.T) {
	tests := []struct {
		authz, want string
		ok          bool
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=ab", "iam", true},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request,SignedHeaders=host,Signature=ab", "sts", true},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request", "kms", true},
		{"AWS4-HMAC-SHA256 SignedHeaders=host, Credential=AKID/d/r/keyhold/aws4_request", "keyhold", true},
		{"AWS4-HMAC-SHA256 Credential=AKID", "", false},
		{"AWS4-HMAC-SHA256 Credential=AKID/x", "", false},
		{"AWS4-HMAC-SHA256 Credential=AKID/d/x/aws4_request", "x", true}, // the verifier refuses it later
		{"Bearer x", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := scopeService(tt.authz)
		if got != tt.want || ok != tt.ok {
			t.Errorf("scopeService(%q) = %q, %v; want %q, %v", tt.authz, got, ok, tt.want, tt.ok)
		}
	}
}
