package iam

import (
	"crypto/sha256"
	"time"

	"github.com/keyhold/keyhold"
)

// builtinPolicy is an AWS managed policy that keyhold provides, so that
// scripts attaching arn:aws:iam::aws:policy/AdministratorAccess and friends
// work. Their documents are AWS's, cut to what keyhold serves.
type builtinPolicy struct {
	name, description, document string
}

// builtinEpoch is the creation date reported for the built-in policies.
var builtinEpoch = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

var builtinPolicies = []builtinPolicy{
	{"AdministratorAccess", "Provides full access to AWS services and resources.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"IAMFullAccess", "Provides full access to IAM.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`},
	{"IAMReadOnlyAccess", "Provides read only access to IAM.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`},
	{"AWSKeyManagementServicePowerUser", "Provides access to AWS Key Management Service (KMS).",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateAlias","kms:CreateKey","kms:DeleteAlias","kms:Describe*","kms:GenerateRandom","kms:Get*","kms:List*","kms:TagResource","kms:UntagResource","iam:ListGroups","iam:ListRoles","iam:ListUsers"],"Resource":"*"}]}`},
}

// AdministratorAccess is the ARN of the AWS managed policy that allows
// everything; keyhold attaches it to each account's first admin.
var AdministratorAccess = keyhold.ManagedPolicyARN(keyhold.AWSAccount, "/", "AdministratorAccess")

func (b builtinPolicy) record() *keyhold.ManagedPolicy {
	// A stable id derived from the name, so every server gives the same.
	sum := sha256.Sum256([]byte("keyhold builtin policy " + b.name))
	return &keyhold.ManagedPolicy{
		ARN:              keyhold.ManagedPolicyARN(keyhold.AWSAccount, "/", b.name),
		ID:               "ANPA" + idEncoding.EncodeToString(sum[:])[:17],
		Account:          keyhold.AWSAccount,
		Name:             b.name,
		Path:             "/",
		Description:      b.description,
		Document:         b.document,
		DefaultVersionID: "v1",
		CreationDate:     builtinEpoch,
		UpdateDate:       builtinEpoch,
	}
}
