package iamapi

// keyhold's own account operations, in the Query protocol like IAM's,
// under the SigV4 signing name "keyhold". `keyhold account create|list`
// calls them; they are not part of any AWS API.

// ServiceKeyhold is the signing name of keyhold's account API.
const ServiceKeyhold = "keyhold"

// Version and XML namespace of keyhold's account API.
const (
	KeyholdVersion   = "2026-11-01"
	KeyholdNamespace = "https://keyhold.dev/doc/2026-11-01/"
)

var (
	accountIDType   = str("accountIdType", 12, 12, `[0-9]+`)
	accountNameType = str("accountNameType", 0, 50, `[\u0020-\u007E]*`)
)

func init() {
	register(ServiceKeyhold, "CreateAccount", func(d *decoder) Input {
		return &CreateAccountInput{
			AccountID:   d.string("AccountId", accountIDType, true),
			AccountName: d.optString("AccountName", accountNameType),
		}
	})
	register(ServiceKeyhold, "ListAccounts", func(d *decoder) Input { return &ListAccountsInput{} })
}

// AccountInfo describes an account.
type AccountInfo struct {
	AccountID   string    `xml:"AccountId"`
	AccountName string    `xml:"AccountName"`
	CreateDate  Timestamp `xml:"CreateDate"`
}

type (
	CreateAccountInput struct {
		AccountID   string
		AccountName *string
	}
	// CreateAccountOutput carries the new account's admin user and its
	// access key, secret included: it is shown once.
	CreateAccountOutput struct {
		Account   AccountInfo `xml:"Account"`
		User      User        `xml:"User"`
		AccessKey AccessKey   `xml:"AccessKey"`
	}
	ListAccountsInput  struct{}
	ListAccountsOutput struct {
		Accounts []AccountInfo `xml:"Accounts>member"`
	}
)

func (*CreateAccountInput) OperationName() string { return "CreateAccount" }
func (*ListAccountsInput) OperationName() string  { return "ListAccounts" }
