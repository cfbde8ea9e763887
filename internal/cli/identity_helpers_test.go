package cli_test

import (
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/keyhold/keyhold/internal/cli"
)

// awsCreds are credentials for the SDK clients: long-term (token "") or
// temporary.
type awsCreds struct{ id, secret, token string }

func fromSTS(c *ststypes.Credentials) awsCreds {
	return awsCreds{aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)}
}

func (c awsCreds) config(region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(c.id, c.secret, c.token),
		RetryMaxAttempts: 1,
	}
}

func (ts *testServer) iam(c awsCreds) *iam.Client {
	return iam.NewFromConfig(c.config("us-east-1"), func(o *iam.Options) { o.BaseEndpoint = aws.String("http://" + ts.API) })
}

func (ts *testServer) sts(c awsCreds) *sts.Client {
	return sts.NewFromConfig(c.config(region), func(o *sts.Options) { o.BaseEndpoint = aws.String("http://" + ts.API) })
}

func (ts *testServer) kms(c awsCreds) *kms.Client {
	return kms.NewFromConfig(c.config(region), func(o *kms.Options) { o.BaseEndpoint = aws.String("http://" + ts.API) })
}

// movableClock is the identity service's clock in a test: real time plus
// an offset the test moves.
type movableClock struct{ offset atomic.Int64 }

func (c *movableClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *movableClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// useMovableClock makes servers started afterwards use a movable identity
// clock, until the test ends.
func useMovableClock(t *testing.T) *movableClock {
	c := &movableClock{}
	t.Cleanup(cli.SetIdentityClock(c.now))
	return c
}

// decodeDocument undoes IAM's percent-encoding of policy documents.
func decodeDocument(t *testing.T, s *string) string {
	t.Helper()
	d, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatalf("policy document %q: %v", aws.ToString(s), err)
	}
	return d
}

// must returns v, or on an error makes the test fail (through catch, which
// every test using must defers) with the error and where it happened.
// Go does not let must(t, f()) pass a multi-valued f, hence the panic.
func must[T any](v T, err error) T {
	if err != nil {
		_, file, line, _ := runtime.Caller(1)
		panic(mustFailure{fmt.Sprintf("%s:%d: %v", filepath.Base(file), line, err)})
	}
	return v
}

type mustFailure struct{ msg string }

// catch turns a failed must into a test failure.
func catch(t *testing.T) {
	if r := recover(); r != nil {
		if f, ok := r.(mustFailure); ok {
			t.Fatal(f.msg)
		}
		panic(r)
	}
}
