package iamapi

import "strconv"

func init() {
	register(ServiceSTS, "GetCallerIdentity", func(d *decoder) Input { return &GetCallerIdentityInput{} })
	register(ServiceSTS, "AssumeRole", func(d *decoder) Input {
		in := &AssumeRoleInput{
			RoleArn:           d.string("RoleArn", stsArnType, true),
			RoleSessionName:   d.string("RoleSessionName", roleSessionNameType, true),
			PolicyArns:        d.policyDescriptors("PolicyArns"),
			Policy:            d.optString("Policy", sessionPolicyDocument),
			DurationSeconds:   d.int("DurationSeconds", roleDurationSecondsType, false),
			Tags:              d.tags("Tags", tagListType, false),
			TransitiveTagKeys: d.strings("TransitiveTagKeys", tagKeyListType, stsTagKeyType, false),
			ExternalID:        d.optString("ExternalId", externalIDType),
			SerialNumber:      d.optString("SerialNumber", serialNumberType),
			TokenCode:         d.optString("TokenCode", tokenCodeType),
			SourceIdentity:    d.optString("SourceIdentity", sourceIdentityType),
		}
		if d.record != nil {
			d.record("ProvidedContexts", providedContextsListType, false)
		}
		if n, present := d.count("ProvidedContexts", ".ProviderArn"); present {
			d.checkList("ProvidedContexts", providedContextsListType, n)
			in.ProvidedContexts = n
		}
		return in
	})
}

// policyDescriptors decodes a list of PolicyDescriptorType ({arn}).
func (d *decoder) policyDescriptors(name string) []string {
	if d.record != nil {
		d.record(name, policyDescriptorListType, false)
		d.record(name+".member.N.arn", stsArnType, false)
	}
	n, present := d.count(name, ".arn")
	if !present {
		return nil
	}
	d.checkList(name, policyDescriptorListType, n)
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		m := name + ".member." + strconv.Itoa(i) + ".arn"
		v := d.v[m]
		d.check(m, v, stsArnType)
		out = append(out, v)
	}
	return out
}

type (
	GetCallerIdentityInput  struct{}
	GetCallerIdentityOutput struct {
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
		Arn     string `xml:"Arn"`
	}
	AssumeRoleInput struct {
		RoleArn, RoleSessionName string
		PolicyArns               []string
		Policy                   *string
		DurationSeconds          *int
		Tags                     []Tag
		TransitiveTagKeys        []string
		ExternalID               *string
		SerialNumber, TokenCode  *string
		SourceIdentity           *string
		// ProvidedContexts counts the trusted context assertions given;
		// keyhold supports none.
		ProvidedContexts int
	}
	AssumeRoleOutput struct {
		Credentials      Credentials     `xml:"Credentials"`
		AssumedRoleUser  AssumedRoleUser `xml:"AssumedRoleUser"`
		PackedPolicySize *int            `xml:"PackedPolicySize,omitempty"`
		SourceIdentity   string          `xml:"SourceIdentity,omitempty"`
	}
)

func (*GetCallerIdentityInput) OperationName() string { return "GetCallerIdentity" }
func (*AssumeRoleInput) OperationName() string        { return "AssumeRole" }
