package iamapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

type modelShape struct {
	Type     string                            `json:"type"`
	Min      *int                              `json:"min"`
	Max      *int                              `json:"max"`
	Pattern  string                            `json:"pattern"`
	Enum     []string                          `json:"enum"`
	Required []string                          `json:"required"`
	Members  map[string]struct{ Shape string } `json:"members"`
	Member   *struct{ Shape string }           `json:"member"`
}

type model struct {
	Operations map[string]struct {
		Input  *struct{ Shape string }
		Output *struct {
			Shape, ResultWrapper string
		}
	}
	Shapes map[string]modelShape
}

func loadModel(t *testing.T, name string) *model {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "model", name))
	if err != nil {
		t.Fatal(err)
	}
	var m model
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// TestShapesMatchModel decodes every operation with a recording decoder
// and holds each member's constraints to the API model: the same members,
// the same required ones, and the same lengths, ranges, patterns and
// enums, so that a hand-written shape cannot drift from AWS's.
func TestShapesMatchModel(t *testing.T) {
	models := map[string]*model{
		ServiceIAM: loadModel(t, "iam-service-2.json"),
		ServiceSTS: loadModel(t, "sts-service-2.json"),
	}
	for action, op := range operations {
		if op.service == ServiceKeyhold {
			continue // keyhold's own API has no AWS model
		}
		t.Run(action, func(t *testing.T) {
			m := models[op.service]
			mop, ok := m.Operations[action]
			if !ok {
				t.Fatalf("%s is not an operation of the %s model", action, op.service)
			}
			in := m.Shapes[mop.Input.Shape]
			required := map[string]bool{}
			for _, r := range in.Required {
				required[r] = true
			}
			type rec struct {
				shape    any
				required bool
			}
			got := map[string]rec{}
			d := &decoder{v: Values{}, record: func(member string, shape any, req bool) {
				got[member] = rec{shape, req}
			}}
			op.decode(d)
			var gotTop, wantTop []string
			for name := range got {
				if !strings.Contains(name, ".") {
					gotTop = append(gotTop, name)
				}
			}
			for name := range in.Members {
				wantTop = append(wantTop, name)
			}
			sort.Strings(gotTop)
			sort.Strings(wantTop)
			if strings.Join(gotTop, ",") != strings.Join(wantTop, ",") {
				t.Fatalf("members %v, model has %v", gotTop, wantTop)
			}
			for name, r := range got {
				var ms modelShape
				var modelName string
				top, sub, nested := strings.Cut(name, ".member.N")
				if !nested {
					modelName = in.Members[name].Shape
					if r.required != required[name] {
						t.Errorf("%s: required %v, model says %v", name, r.required, required[name])
					}
				} else {
					list := m.Shapes[in.Members[top].Shape]
					modelName = list.Member.Shape
					if sub != "" {
						// A structure member: ".Key", ".arn".
						st := m.Shapes[modelName]
						modelName = st.Members[strings.TrimPrefix(sub, ".")].Shape
					}
				}
				ms = m.Shapes[modelName]
				checkShape(t, name, modelName, ms, r.shape)
			}
		})
	}
}

func checkShape(t *testing.T, member, modelName string, ms modelShape, shape any) {
	t.Helper()
	minOf := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	switch s := shape.(type) {
	case *stringShape:
		if ms.Type != "string" {
			t.Errorf("%s: string, model type %s", member, ms.Type)
			return
		}
		if s.name != modelName {
			t.Errorf("%s: shape %s, model %s", member, s.name, modelName)
		}
		if strings.Join(s.enum, ",") != strings.Join(ms.Enum, ",") {
			t.Errorf("%s: enum %v, model %v", member, s.enum, ms.Enum)
		}
		if s.enum != nil {
			return
		}
		if s.min != minOf(ms.Min) || s.max != minOf(ms.Max) || s.pattern != ms.Pattern {
			t.Errorf("%s: min %d max %d pattern %q, model min %v max %v pattern %q",
				member, s.min, s.max, s.pattern, minOf(ms.Min), minOf(ms.Max), ms.Pattern)
		}
	case *intShape:
		if ms.Type != "integer" || s.name != modelName || int(s.min) != minOf(ms.Min) || int(s.max) != minOf(ms.Max) {
			t.Errorf("%s: %+v, model %s %+v", member, s, modelName, ms)
		}
	case *listShape:
		if ms.Type != "list" || s.name != modelName || s.min != minOf(ms.Min) || s.max != minOf(ms.Max) {
			t.Errorf("%s: %+v, model %s %+v", member, s, modelName, ms)
		}
	case string:
		if ms.Type != s {
			t.Errorf("%s: %s, model %s", member, s, ms.Type)
		}
	default:
		t.Errorf("%s: unexpected shape %T", member, shape)
	}
}

// TestOperationsAreInModel checks the operation list against the issue's
// subset and the models.
func TestOperationsAreInModel(t *testing.T) {
	iam := loadModel(t, "iam-service-2.json")
	sts := loadModel(t, "sts-service-2.json")
	want := []string{"AttachRolePolicy", "AttachUserPolicy", "CreateAccessKey", "CreatePolicy", "CreateRole", "CreateUser",
		"DeleteAccessKey", "DeletePolicy", "DeleteRole", "DeleteRolePolicy", "DeleteUser", "DeleteUserPolicy",
		"DetachRolePolicy", "DetachUserPolicy", "GetAccessKeyLastUsed", "GetPolicy", "GetPolicyVersion", "GetRole",
		"GetRolePolicy", "GetUser", "GetUserPolicy", "ListAccessKeys", "ListAttachedRolePolicies",
		"ListAttachedUserPolicies", "ListPolicies", "ListRolePolicies", "ListRoleTags", "ListRoles", "ListUserPolicies",
		"ListUserTags", "ListUsers", "PutRolePolicy", "PutUserPolicy", "TagRole", "TagUser", "UntagRole", "UntagUser",
		"UpdateAccessKey", "UpdateAssumeRolePolicy"}
	got := Operations(ServiceIAM)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("IAM operations:\n got %v\nwant %v", got, want)
	}
	for _, op := range got {
		if _, ok := iam.Operations[op]; !ok {
			t.Errorf("%s is not in the IAM model", op)
		}
	}
	for _, op := range Operations(ServiceSTS) {
		if _, ok := sts.Operations[op]; !ok {
			t.Errorf("%s is not in the STS model", op)
		}
	}
}

// TestOutputsMatchModel holds the XML element names of each output type,
// and of the structures inside it, to the model's output shapes.
func TestOutputsMatchModel(t *testing.T) {
	iam := loadModel(t, "iam-service-2.json")
	sts := loadModel(t, "sts-service-2.json")
	outputs := map[string]any{
		"CreateUser": CreateUserOutput{}, "GetUser": GetUserOutput{}, "ListUsers": ListUsersOutput{},
		"ListUserTags": ListTagsOutput{}, "ListRoleTags": ListTagsOutput{},
		"CreateAccessKey": CreateAccessKeyOutput{}, "ListAccessKeys": ListAccessKeysOutput{},
		"GetAccessKeyLastUsed": GetAccessKeyLastUsedOutput{},
		"GetUserPolicy":        GetUserPolicyOutput{}, "GetRolePolicy": GetRolePolicyOutput{},
		"ListUserPolicies": ListPolicyNamesOutput{}, "ListRolePolicies": ListPolicyNamesOutput{},
		"CreateRole": CreateRoleOutput{}, "GetRole": GetRoleOutput{}, "ListRoles": ListRolesOutput{},
		"CreatePolicy": CreatePolicyOutput{}, "GetPolicy": GetPolicyOutput{}, "GetPolicyVersion": GetPolicyVersionOutput{},
		"ListPolicies": ListPoliciesOutput{}, "ListAttachedUserPolicies": ListAttachedPoliciesOutput{},
		"ListAttachedRolePolicies": ListAttachedPoliciesOutput{},
		"GetCallerIdentity":        GetCallerIdentityOutput{}, "AssumeRole": AssumeRoleOutput{},
	}
	for action, out := range outputs {
		m := iam
		if _, ok := m.Operations[action]; !ok {
			m = sts
		}
		op := m.Operations[action]
		if op.Output == nil {
			t.Errorf("%s: no output in the model", action)
			continue
		}
		checkStruct(t, action, m, op.Output.Shape, reflect.TypeOf(out))
	}
}

func checkStruct(t *testing.T, path string, m *model, shapeName string, typ reflect.Type) {
	t.Helper()
	shape := m.Shapes[shapeName]
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if f.Anonymous {
			checkStruct(t, path, m, shapeName, f.Type)
			continue
		}
		tag := strings.Split(f.Tag.Get("xml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		name, _, isList := strings.Cut(tag, ">")
		member, ok := shape.Members[name]
		if !ok {
			t.Errorf("%s: element %s is not a member of %s", path, name, shapeName)
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		ms := m.Shapes[member.Shape]
		if isList {
			if ms.Type != "list" {
				t.Errorf("%s.%s: a list, model type %s", path, name, ms.Type)
				continue
			}
			if ft.Kind() == reflect.Struct {
				checkStruct(t, path+"."+name, m, ms.Member.Shape, ft)
			}
			continue
		}
		if ft.Kind() == reflect.Struct && ms.Type == "structure" {
			checkStruct(t, path+"."+name, m, member.Shape, ft)
		}
	}
}
