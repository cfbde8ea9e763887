package iamapi

// The IAM operations keyhold implements: their inputs (decoded from the
// Query parameters and validated against the model) and outputs (encoded
// as the operation's <Op>Result element).

func init() {
	reg := func(action string, decode func(d *decoder) Input) { register(ServiceIAM, action, decode) }

	// Users.
	reg("CreateUser", func(d *decoder) Input {
		return &CreateUserInput{
			Path:                d.optString("Path", pathType),
			UserName:            d.string("UserName", userNameType, true),
			PermissionsBoundary: d.optString("PermissionsBoundary", arnType),
			Tags:                d.tags("Tags", tagListType, false),
		}
	})
	reg("GetUser", func(d *decoder) Input {
		return &GetUserInput{UserName: d.optString("UserName", existingUserNameType)}
	})
	reg("ListUsers", func(d *decoder) Input {
		return &ListUsersInput{PathPrefix: d.optString("PathPrefix", pathPrefixType), Paging: d.paging()}
	})
	reg("DeleteUser", func(d *decoder) Input {
		return &DeleteUserInput{UserName: d.string("UserName", existingUserNameType, true)}
	})
	reg("TagUser", func(d *decoder) Input {
		return &TagUserInput{UserName: d.string("UserName", existingUserNameType, true), Tags: d.tags("Tags", tagListType, true)}
	})
	reg("UntagUser", func(d *decoder) Input {
		return &UntagUserInput{UserName: d.string("UserName", existingUserNameType, true), TagKeys: d.strings("TagKeys", tagKeyListType, tagKeyType, true)}
	})
	reg("ListUserTags", func(d *decoder) Input {
		return &ListUserTagsInput{UserName: d.string("UserName", existingUserNameType, true), Paging: d.paging()}
	})

	// Access keys.
	reg("CreateAccessKey", func(d *decoder) Input {
		return &CreateAccessKeyInput{UserName: d.optString("UserName", existingUserNameType)}
	})
	reg("ListAccessKeys", func(d *decoder) Input {
		return &ListAccessKeysInput{UserName: d.optString("UserName", existingUserNameType), Paging: d.paging()}
	})
	reg("UpdateAccessKey", func(d *decoder) Input {
		return &UpdateAccessKeyInput{
			UserName:    d.optString("UserName", existingUserNameType),
			AccessKeyID: d.string("AccessKeyId", accessKeyIDType, true),
			Status:      d.string("Status", statusType, true),
		}
	})
	reg("DeleteAccessKey", func(d *decoder) Input {
		return &DeleteAccessKeyInput{
			UserName:    d.optString("UserName", existingUserNameType),
			AccessKeyID: d.string("AccessKeyId", accessKeyIDType, true),
		}
	})
	reg("GetAccessKeyLastUsed", func(d *decoder) Input {
		return &GetAccessKeyLastUsedInput{AccessKeyID: d.string("AccessKeyId", accessKeyIDType, true)}
	})

	// Inline policies of users and roles.
	for _, e := range []struct {
		entity string
		name   string
		shape  *stringShape
	}{{EntityUser, "UserName", existingUserNameType}, {EntityRole, "RoleName", roleNameType}} {
		reg("Put"+e.entity+"Policy", func(d *decoder) Input {
			return &PutEntityPolicyInput{
				Entity:         e.entity,
				EntityName:     d.string(e.name, e.shape, true),
				PolicyName:     d.string("PolicyName", policyNameType, true),
				PolicyDocument: d.string("PolicyDocument", policyDocumentType, true),
			}
		})
		reg("Get"+e.entity+"Policy", func(d *decoder) Input {
			return &GetEntityPolicyInput{
				Entity:     e.entity,
				EntityName: d.string(e.name, e.shape, true),
				PolicyName: d.string("PolicyName", policyNameType, true),
			}
		})
		reg("List"+e.entity+"Policies", func(d *decoder) Input {
			return &ListEntityPoliciesInput{Entity: e.entity, EntityName: d.string(e.name, e.shape, true), Paging: d.paging()}
		})
		reg("Delete"+e.entity+"Policy", func(d *decoder) Input {
			return &DeleteEntityPolicyInput{
				Entity:     e.entity,
				EntityName: d.string(e.name, e.shape, true),
				PolicyName: d.string("PolicyName", policyNameType, true),
			}
		})
	}

	// Roles.
	reg("CreateRole", func(d *decoder) Input {
		return &CreateRoleInput{
			Path:                     d.optString("Path", pathType),
			RoleName:                 d.string("RoleName", roleNameType, true),
			AssumeRolePolicyDocument: d.string("AssumeRolePolicyDocument", policyDocumentType, true),
			Description:              d.optString("Description", roleDescriptionType),
			MaxSessionDuration:       d.int("MaxSessionDuration", roleMaxSessionDurationType, false),
			PermissionsBoundary:      d.optString("PermissionsBoundary", arnType),
			Tags:                     d.tags("Tags", tagListType, false),
		}
	})
	reg("GetRole", func(d *decoder) Input {
		return &GetRoleInput{RoleName: d.string("RoleName", roleNameType, true)}
	})
	reg("ListRoles", func(d *decoder) Input {
		return &ListRolesInput{PathPrefix: d.optString("PathPrefix", pathPrefixType), Paging: d.paging()}
	})
	reg("DeleteRole", func(d *decoder) Input {
		return &DeleteRoleInput{RoleName: d.string("RoleName", roleNameType, true)}
	})
	reg("UpdateAssumeRolePolicy", func(d *decoder) Input {
		return &UpdateAssumeRolePolicyInput{
			RoleName:       d.string("RoleName", roleNameType, true),
			PolicyDocument: d.string("PolicyDocument", policyDocumentType, true),
		}
	})
	reg("TagRole", func(d *decoder) Input {
		return &TagRoleInput{RoleName: d.string("RoleName", roleNameType, true), Tags: d.tags("Tags", tagListType, true)}
	})
	reg("UntagRole", func(d *decoder) Input {
		return &UntagRoleInput{RoleName: d.string("RoleName", roleNameType, true), TagKeys: d.strings("TagKeys", tagKeyListType, tagKeyType, true)}
	})
	reg("ListRoleTags", func(d *decoder) Input {
		return &ListRoleTagsInput{RoleName: d.string("RoleName", roleNameType, true), Paging: d.paging()}
	})

	// Managed policies.
	reg("CreatePolicy", func(d *decoder) Input {
		return &CreatePolicyInput{
			PolicyName:     d.string("PolicyName", policyNameType, true),
			Path:           d.optString("Path", policyPathType),
			PolicyDocument: d.string("PolicyDocument", policyDocumentType, true),
			Description:    d.optString("Description", policyDescription),
			Tags:           d.tags("Tags", tagListType, false),
		}
	})
	reg("GetPolicy", func(d *decoder) Input {
		return &GetPolicyInput{PolicyArn: d.string("PolicyArn", arnType, true)}
	})
	reg("GetPolicyVersion", func(d *decoder) Input {
		return &GetPolicyVersionInput{
			PolicyArn: d.string("PolicyArn", arnType, true),
			VersionID: d.string("VersionId", policyVersionIDType, true),
		}
	})
	reg("ListPolicies", func(d *decoder) Input {
		return &ListPoliciesInput{
			Scope:             d.optString("Scope", policyScopeType),
			OnlyAttached:      d.bool("OnlyAttached"),
			PathPrefix:        d.optString("PathPrefix", policyPathType),
			PolicyUsageFilter: d.optString("PolicyUsageFilter", policyUsageType),
			Paging:            d.paging(),
		}
	})
	reg("DeletePolicy", func(d *decoder) Input {
		return &DeletePolicyInput{PolicyArn: d.string("PolicyArn", arnType, true)}
	})
	for _, e := range []struct {
		entity string
		name   string
		shape  *stringShape
	}{{EntityUser, "UserName", userNameType}, {EntityRole, "RoleName", roleNameType}} {
		reg("Attach"+e.entity+"Policy", func(d *decoder) Input {
			return &AttachEntityPolicyInput{Entity: e.entity, EntityName: d.string(e.name, e.shape, true), PolicyArn: d.string("PolicyArn", arnType, true)}
		})
		reg("Detach"+e.entity+"Policy", func(d *decoder) Input {
			return &DetachEntityPolicyInput{Entity: e.entity, EntityName: d.string(e.name, e.shape, true), PolicyArn: d.string("PolicyArn", arnType, true)}
		})
		reg("ListAttached"+e.entity+"Policies", func(d *decoder) Input {
			return &ListAttachedEntityPoliciesInput{
				Entity:     e.entity,
				EntityName: d.string(e.name, e.shape, true),
				PathPrefix: d.optString("PathPrefix", policyPathType),
				Paging:     d.paging(),
			}
		})
	}
}

// paging decodes Marker and MaxItems.
func (d *decoder) paging() Paging {
	return Paging{Marker: d.optString("Marker", markerType), MaxItems: d.int("MaxItems", maxItemsType, false)}
}

// Entity names in operation names: PutUserPolicy, PutRolePolicy, ...
const (
	EntityUser = "User"
	EntityRole = "Role"
)

// Paging is the Marker and MaxItems of a list request.
type Paging struct {
	Marker   *string
	MaxItems *int
}

type (
	CreateUserInput struct {
		Path, PermissionsBoundary *string
		UserName                  string
		Tags                      []Tag
	}
	CreateUserOutput struct {
		User User `xml:"User"`
	}
	GetUserInput struct {
		UserName *string
	}
	GetUserOutput struct {
		User User `xml:"User"`
	}
	ListUsersInput struct {
		PathPrefix *string
		Paging
	}
	ListUsersOutput struct {
		Users []User `xml:"Users>member"`
		Page
	}
	DeleteUserInput struct {
		UserName string
	}
	TagUserInput struct {
		UserName string
		Tags     []Tag
	}
	UntagUserInput struct {
		UserName string
		TagKeys  []string
	}
	ListUserTagsInput struct {
		UserName string
		Paging
	}
	// ListTagsOutput is the output of ListUserTags and ListRoleTags.
	ListTagsOutput struct {
		Tags []Tag `xml:"Tags>member"`
		Page
	}

	CreateAccessKeyInput struct {
		UserName *string
	}
	CreateAccessKeyOutput struct {
		AccessKey AccessKey `xml:"AccessKey"`
	}
	ListAccessKeysInput struct {
		UserName *string
		Paging
	}
	ListAccessKeysOutput struct {
		AccessKeyMetadata []AccessKeyMetadata `xml:"AccessKeyMetadata>member"`
		Page
	}
	UpdateAccessKeyInput struct {
		UserName    *string
		AccessKeyID string
		Status      string
	}
	DeleteAccessKeyInput struct {
		UserName    *string
		AccessKeyID string
	}
	GetAccessKeyLastUsedInput struct {
		AccessKeyID string
	}
	GetAccessKeyLastUsedOutput struct {
		UserName          string            `xml:"UserName"`
		AccessKeyLastUsed AccessKeyLastUsed `xml:"AccessKeyLastUsed"`
	}

	// PutEntityPolicyInput is PutUserPolicy or PutRolePolicy.
	PutEntityPolicyInput struct {
		Entity                                 string // EntityUser or EntityRole
		EntityName, PolicyName, PolicyDocument string
	}
	GetEntityPolicyInput struct {
		Entity                 string
		EntityName, PolicyName string
	}
	// GetUserPolicyOutput and GetRolePolicyOutput differ only in the
	// entity member's name.
	GetUserPolicyOutput struct {
		UserName       string         `xml:"UserName"`
		PolicyName     string         `xml:"PolicyName"`
		PolicyDocument PolicyDocument `xml:"PolicyDocument"`
	}
	GetRolePolicyOutput struct {
		RoleName       string         `xml:"RoleName"`
		PolicyName     string         `xml:"PolicyName"`
		PolicyDocument PolicyDocument `xml:"PolicyDocument"`
	}
	ListEntityPoliciesInput struct {
		Entity     string
		EntityName string
		Paging
	}
	ListPolicyNamesOutput struct {
		PolicyNames []string `xml:"PolicyNames>member"`
		Page
	}
	DeleteEntityPolicyInput struct {
		Entity                 string
		EntityName, PolicyName string
	}

	CreateRoleInput struct {
		Path                     *string
		RoleName                 string
		AssumeRolePolicyDocument string
		Description              *string
		MaxSessionDuration       *int
		PermissionsBoundary      *string
		Tags                     []Tag
	}
	CreateRoleOutput struct {
		Role Role `xml:"Role"`
	}
	GetRoleInput struct {
		RoleName string
	}
	GetRoleOutput struct {
		Role Role `xml:"Role"`
	}
	ListRolesInput struct {
		PathPrefix *string
		Paging
	}
	ListRolesOutput struct {
		Roles []Role `xml:"Roles>member"`
		Page
	}
	DeleteRoleInput struct {
		RoleName string
	}
	UpdateAssumeRolePolicyInput struct {
		RoleName, PolicyDocument string
	}
	TagRoleInput struct {
		RoleName string
		Tags     []Tag
	}
	UntagRoleInput struct {
		RoleName string
		TagKeys  []string
	}
	ListRoleTagsInput struct {
		RoleName string
		Paging
	}

	CreatePolicyInput struct {
		PolicyName     string
		Path           *string
		PolicyDocument string
		Description    *string
		Tags           []Tag
	}
	CreatePolicyOutput struct {
		Policy Policy `xml:"Policy"`
	}
	GetPolicyInput struct {
		PolicyArn string
	}
	GetPolicyOutput struct {
		Policy Policy `xml:"Policy"`
	}
	GetPolicyVersionInput struct {
		PolicyArn, VersionID string
	}
	GetPolicyVersionOutput struct {
		PolicyVersion PolicyVersion `xml:"PolicyVersion"`
	}
	ListPoliciesInput struct {
		Scope             *string
		OnlyAttached      bool
		PathPrefix        *string
		PolicyUsageFilter *string
		Paging
	}
	ListPoliciesOutput struct {
		Policies []Policy `xml:"Policies>member"`
		Page
	}
	DeletePolicyInput struct {
		PolicyArn string
	}
	AttachEntityPolicyInput struct {
		Entity                string
		EntityName, PolicyArn string
	}
	DetachEntityPolicyInput struct {
		Entity                string
		EntityName, PolicyArn string
	}
	ListAttachedEntityPoliciesInput struct {
		Entity     string
		EntityName string
		PathPrefix *string
		Paging
	}
	ListAttachedPoliciesOutput struct {
		AttachedPolicies []AttachedPolicy `xml:"AttachedPolicies>member"`
		Page
	}
)

func (*CreateUserInput) OperationName() string           { return "CreateUser" }
func (*GetUserInput) OperationName() string              { return "GetUser" }
func (*ListUsersInput) OperationName() string            { return "ListUsers" }
func (*DeleteUserInput) OperationName() string           { return "DeleteUser" }
func (*TagUserInput) OperationName() string              { return "TagUser" }
func (*UntagUserInput) OperationName() string            { return "UntagUser" }
func (*ListUserTagsInput) OperationName() string         { return "ListUserTags" }
func (*CreateAccessKeyInput) OperationName() string      { return "CreateAccessKey" }
func (*ListAccessKeysInput) OperationName() string       { return "ListAccessKeys" }
func (*UpdateAccessKeyInput) OperationName() string      { return "UpdateAccessKey" }
func (*DeleteAccessKeyInput) OperationName() string      { return "DeleteAccessKey" }
func (*GetAccessKeyLastUsedInput) OperationName() string { return "GetAccessKeyLastUsed" }
func (in *PutEntityPolicyInput) OperationName() string   { return "Put" + in.Entity + "Policy" }
func (in *GetEntityPolicyInput) OperationName() string   { return "Get" + in.Entity + "Policy" }
func (in *ListEntityPoliciesInput) OperationName() string {
	return "List" + in.Entity + "Policies"
}
func (in *DeleteEntityPolicyInput) OperationName() string  { return "Delete" + in.Entity + "Policy" }
func (*CreateRoleInput) OperationName() string             { return "CreateRole" }
func (*GetRoleInput) OperationName() string                { return "GetRole" }
func (*ListRolesInput) OperationName() string              { return "ListRoles" }
func (*DeleteRoleInput) OperationName() string             { return "DeleteRole" }
func (*UpdateAssumeRolePolicyInput) OperationName() string { return "UpdateAssumeRolePolicy" }
func (*TagRoleInput) OperationName() string                { return "TagRole" }
func (*UntagRoleInput) OperationName() string              { return "UntagRole" }
func (*ListRoleTagsInput) OperationName() string           { return "ListRoleTags" }
func (*CreatePolicyInput) OperationName() string           { return "CreatePolicy" }
func (*GetPolicyInput) OperationName() string              { return "GetPolicy" }
func (*GetPolicyVersionInput) OperationName() string       { return "GetPolicyVersion" }
func (*ListPoliciesInput) OperationName() string           { return "ListPolicies" }
func (*DeletePolicyInput) OperationName() string           { return "DeletePolicy" }
func (in *AttachEntityPolicyInput) OperationName() string  { return "Attach" + in.Entity + "Policy" }
func (in *DetachEntityPolicyInput) OperationName() string  { return "Detach" + in.Entity + "Policy" }
func (in *ListAttachedEntityPoliciesInput) OperationName() string {
	return "ListAttached" + in.Entity + "Policies"
}
