package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/keyhold/keyhold/internal/sigv4"
)

// CredentialsSource says where credentials are looked up: the environment
// (as a function, so tests inject it) and an explicit profile.
type CredentialsSource struct {
	Getenv func(string) string
	// Profile is --profile; it takes precedence over the access key
	// variables, as it does for the AWS CLI.
	Profile string
}

// LoadCredentials finds the access key to sign with, in the AWS CLI's order:
//
//  1. an explicit profile (--profile), from the shared credentials file;
//  2. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN
//     for temporary credentials);
//  3. the profile AWS_PROFILE names, or "default", from the shared
//     credentials file.
//
// The shared credentials file is AWS_SHARED_CREDENTIALS_FILE, or
// ~/.aws/credentials. The returned description names the source (never the
// secret) for the run's header line.
func LoadCredentials(src CredentialsSource) (sigv4.Credentials, string, error) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if src.Profile == "" {
		id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
		switch {
		case id != "" && secret != "":
			return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN")},
				"environment (AWS_ACCESS_KEY_ID)", nil
		case id != "" || secret != "":
			return sigv4.Credentials{}, "", errors.New("only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; set both, or neither to use a profile")
		}
	}
	profile := src.Profile
	if profile == "" {
		profile = getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	path := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if path == "" {
		home := getenv("HOME")
		if home == "" {
			return sigv4.Credentials{}, "", errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE and --profile")
		}
		path = filepath.Join(home, ".aws", "credentials")
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return sigv4.Credentials{}, "", fmt.Errorf("no credentials: %s does not exist and AWS_ACCESS_KEY_ID is not set (for keyhold serve use AWS_SHARED_CREDENTIALS_FILE=<data>/credentials --profile keyhold)", path)
		}
		return sigv4.Credentials{}, "", fmt.Errorf("reading credentials: %w", err)
	}
	defer f.Close()
	profiles, err := ParseCredentialsFile(f)
	if err != nil {
		return sigv4.Credentials{}, "", fmt.Errorf("%s: %w", path, err)
	}
	p, ok := profiles[profile]
	if !ok {
		return sigv4.Credentials{}, "", fmt.Errorf("profile %q is not in %s", profile, path)
	}
	c := sigv4.Credentials{AccessKeyID: p["aws_access_key_id"], SecretAccessKey: p["aws_secret_access_key"], SessionToken: p["aws_session_token"]}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return sigv4.Credentials{}, "", fmt.Errorf("profile %q in %s lacks aws_access_key_id or aws_secret_access_key", profile, path)
	}
	return c, fmt.Sprintf("profile %s of %s", profile, path), nil
}

// ParseCredentialsFile parses the AWS shared credentials file: INI
// sections "[profile]" of "key = value" lines. Keys are returned in lower
// case; blank lines and lines starting with # or ; are comments; indented
// lines continue a nested setting (as in the config file's "s3 =" blocks)
// and are skipped. Errors give the line number but never the line, which
// may hold a secret.
func ParseCredentialsFile(r io.Reader) (map[string]map[string]string, error) {
	profiles := map[string]map[string]string{}
	var section map[string]string
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		if n == 1 {
			raw = strings.TrimPrefix(raw, "\uFEFF")
		}
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: section header without a closing ]", n)
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if name == "" {
				return nil, fmt.Errorf("line %d: empty section name", n)
			}
			if profiles[name] == nil {
				profiles[name] = map[string]string{}
			}
			section = profiles[name]
			continue
		case raw[0] == ' ' || raw[0] == '\t':
			if section == nil {
				return nil, fmt.Errorf("line %d: indented line outside a section", n)
			}
			continue // a nested setting's continuation
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: not a section, a comment or key = value", n)
		}
		if section == nil {
			return nil, fmt.Errorf("line %d: setting before the first [section]", n)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" {
			return nil, fmt.Errorf("line %d: setting without a name", n)
		}
		section[k] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return profiles, nil
}
