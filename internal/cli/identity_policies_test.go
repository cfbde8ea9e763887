package cli_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestManagedPoliciesAndLists covers managed policies and attachments,
// tags, pagination, and IAM's errors for bad input.
func TestManagedPoliciesAndLists(t *testing.T) {
	defer catch(t)
	data := filepath.Join(t.TempDir(), "keyhold-data")
	ts := startServer(t, "serve", data)
	id, secret := creds(t, data)
	c := ts.iam(awsCreds{id: id, secret: secret})

	// Customer managed policy.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}`
	cp := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("Encrypters"), Path: aws.String("/kms/"), PolicyDocument: aws.String(doc),
		Description: aws.String("may encrypt"),
	}))
	parn := aws.ToString(cp.Policy.Arn)
	if parn != "arn:aws:iam::"+acct+":policy/kms/Encrypters" || aws.ToString(cp.Policy.DefaultVersionId) != "v1" ||
		!strings.HasPrefix(aws.ToString(cp.Policy.PolicyId), "ANPA") || !cp.Policy.IsAttachable {
		t.Fatalf("CreatePolicy = %+v", cp.Policy)
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("encrypters"), PolicyDocument: aws.String(doc)})
	wantAPIError(t, err, "EntityAlreadyExists", "A policy called encrypters already exists. Duplicate names are not allowed.")
	pv := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(parn), VersionId: aws.String("v1")}))
	if decodeDocument(t, pv.PolicyVersion.Document) != doc || !pv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion = %+v", pv.PolicyVersion)
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(parn), VersionId: aws.String("v2")})
	wantAPIError(t, err, "NoSuchEntity", "")
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + acct + ":policy/nope")})
	wantAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::"+acct+":policy/nope was not found.")

	// Attach it, and an AWS managed one, to a user and a role.
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}))
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("svc"),
		AssumeRolePolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"sts:AssumeRole"}]}`)}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: aws.String(parn)}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: aws.String(parn)})) // again: fine
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("svc"), PolicyArn: aws.String(parn)}))
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	wantAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")
	au := must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("carol")}))
	if len(au.AttachedPolicies) != 2 || aws.ToString(au.AttachedPolicies[0].PolicyArn) != parn {
		t.Fatalf("ListAttachedUserPolicies = %+v", au.AttachedPolicies)
	}
	if got := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(parn)})); aws.ToInt32(got.Policy.AttachmentCount) != 2 {
		t.Fatalf("AttachmentCount = %d", aws.ToInt32(got.Policy.AttachmentCount))
	}
	local := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal}))
	if len(local.Policies) != 1 || aws.ToString(local.Policies[0].Arn) != parn {
		t.Fatalf("ListPolicies Local = %+v", local.Policies)
	}
	awsPolicies := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, OnlyAttached: true}))
	var names []string
	for _, p := range awsPolicies.Policies {
		names = append(names, aws.ToString(p.PolicyName))
	}
	if fmt.Sprint(names) != "[AdministratorAccess IAMReadOnlyAccess]" {
		t.Fatalf("attached AWS managed policies = %v", names)
	}

	// The attached policy now lets carol read IAM.
	ck := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")}))
	carol := ts.iam(awsCreds{id: aws.ToString(ck.AccessKey.AccessKeyId), secret: aws.ToString(ck.AccessKey.SecretAccessKey)})
	must(carol.ListUsers(ctx, &iam.ListUsersInput{}))
	_, err = carol.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", "")

	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(parn)})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("svc")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	must(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: aws.String(parn)}))
	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("svc"), PolicyArn: aws.String(parn)}))
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("svc"), PolicyArn: aws.String(parn)})
	wantAPIError(t, err, "NoSuchEntity", "Policy "+parn+" was not found.")
	must(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(parn)}))
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("svc")}))

	// Tags.
	must(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))
	must(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{{Key: aws.String("A"), Value: aws.String("3")}}}))
	must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("carol"), TagKeys: []string{"B"}}))
	tags := must(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("carol")}))
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "A" || aws.ToString(tags.Tags[0].Value) != "3" {
		t.Fatalf("tags = %+v", tags.Tags)
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}})
	wantAPIError(t, err, "InvalidInput", "")
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{
		{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("K"), Value: aws.String("2")}}})
	wantAPIError(t, err, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")

	// Pagination: the SDK's paginator walks every page.
	for i := range 7 {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("page-%d", i)), Path: aws.String("/paged/")}))
	}
	var got []string
	pages := 0
	for p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{PathPrefix: aws.String("/paged/"), MaxItems: aws.Int32(3)}); p.HasMorePages(); pages++ {
		out := must(p.NextPage(ctx))
		for _, u := range out.Users {
			got = append(got, aws.ToString(u.UserName))
		}
	}
	if pages != 3 || fmt.Sprint(got) != "[page-0 page-1 page-2 page-3 page-4 page-5 page-6]" {
		t.Fatalf("%d pages: %v", pages, got)
	}
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("not a marker")})
	wantAPIError(t, err, "ValidationError", "")
	// Roles and managed policies page the same way.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
	for i := range 5 {
		must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("page-%d", i)), Path: aws.String("/paged/"), AssumeRolePolicyDocument: aws.String(trust)}))
		must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("page-%d", i)), Path: aws.String("/paged/"), PolicyDocument: aws.String(doc)}))
	}
	got, pages = nil, 0
	for p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{PathPrefix: aws.String("/paged/"), MaxItems: aws.Int32(2)}); p.HasMorePages(); pages++ {
		out := must(p.NextPage(ctx))
		if out.IsTruncated != p.HasMorePages() {
			t.Fatalf("roles page %d: IsTruncated %v", pages, out.IsTruncated)
		}
		for _, r := range out.Roles {
			got = append(got, aws.ToString(r.RoleName))
		}
	}
	if pages != 3 || fmt.Sprint(got) != "[page-0 page-1 page-2 page-3 page-4]" {
		t.Fatalf("roles: %d pages: %v", pages, got)
	}
	got, pages = nil, 0
	for p := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, PathPrefix: aws.String("/paged/"), MaxItems: aws.Int32(2)}); p.HasMorePages(); pages++ {
		out := must(p.NextPage(ctx))
		for _, pol := range out.Policies {
			got = append(got, aws.ToString(pol.PolicyName))
		}
	}
	if pages != 3 || fmt.Sprint(got) != "[page-0 page-1 page-2 page-3 page-4]" {
		t.Fatalf("policies: %d pages: %v", pages, got)
	}

	// Bad input.
	bad := []struct {
		name   string
		call   func() error
		code   string
		msg    string
		status int
	}{
		{"invalid JSON policy", func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p"), PolicyDocument: aws.String("{not json")})
			return err
		}, "MalformedPolicyDocument", "Syntax errors in policy.", http.StatusBadRequest},
		{"policy with a principal", func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Policy document should not specify a principal.", http.StatusBadRequest},
		{"oversized user policy", func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("big"),
				PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::` + strings.Repeat("a", 2100) + `"}]}`)})
			return err
		}, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user carol", http.StatusConflict},
		{"trust policy naming a missing user", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
				AssumeRolePolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/ghost"},"Action":"sts:AssumeRole"}]}`)})
			return err
		}, "MalformedPolicyDocument", `Invalid principal in policy: "AWS":"arn:aws:iam::` + acct + `:user/ghost"`, http.StatusBadRequest},
		{"trust policy with a resource", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
				AssumeRolePolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Has prohibited field Resource", http.StatusBadRequest},
		{"bad user name", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("no spaces")})
			return err
		}, "ValidationError", `1 validation error detected: Value 'no spaces' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`, http.StatusBadRequest},
		{"bad path", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("p"), Path: aws.String("nope")})
			return err
		}, "ValidationError", "", http.StatusBadRequest},
		{"third access key", func() error {
			must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")}))
			_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
			return err
		}, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", http.StatusConflict},
		{"missing inline policy", func() error {
			_, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("none")})
			return err
		}, "NoSuchEntity", "The user policy with name none cannot be found.", http.StatusNotFound},
		{"access key of another user", func() error {
			_, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("page-0"), AccessKeyId: ck.AccessKey.AccessKeyId})
			return err
		}, "NoSuchEntity", "The Access Key with id " + aws.ToString(ck.AccessKey.AccessKeyId) + " cannot be found.", http.StatusNotFound},
		{"permissions boundary", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("pb"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
			return err
		}, "InvalidInput", "", http.StatusBadRequest},
		{"root may not assume roles", func() error {
			// (in serve there is no root; the admin is a user, and may)
			_, err := ts.sts(awsCreds{id: id, secret: secret}).AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:aws:iam::" + acct + ":role/none"), RoleSessionName: aws.String("ss")})
			return err
		}, "AccessDenied", "User: arn:aws:iam::" + acct + ":user/keyhold-admin is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + acct + ":role/none", http.StatusForbidden},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			defer catch(t)
			err := b.call()
			wantAPIError(t, err, b.code, b.msg)
			wantStatus(t, err, b.status)
		})
	}
}
