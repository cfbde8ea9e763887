package keyhold

import (
	"fmt"
	"strings"
)

// Partition is the ARN partition keyhold uses.
const Partition = "aws"

// KeyARN returns the ARN of the KMS key id in (region, account).
func KeyARN(region, account, id string) string {
	return "arn:" + Partition + ":kms:" + region + ":" + account + ":key/" + id
}

// AliasARN returns the ARN of the alias name (which starts with "alias/").
func AliasARN(region, account, alias string) string {
	return "arn:" + Partition + ":kms:" + region + ":" + account + ":" + alias
}

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string // e.g. "key/1234abcd-..." or "alias/name"
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ParseARN splits s into its parts. It checks only the structure
// (six colon-separated parts, "arn" prefix, non-empty service and resource).
func ParseARN(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, fmt.Errorf("keyhold: malformed ARN %q", s)
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, nil
}

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
