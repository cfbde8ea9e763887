package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Op is a KMS operation the bench can send.
type Op uint8

// The operations, in the order the usage text lists them.
const (
	Encrypt Op = iota
	Decrypt
	GenerateDataKey
	ReEncrypt
	Sign
	Verify
	GenerateMac
	DescribeKey
	CreateKey
	numOps
)

var opNames = [numOps]string{"Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "Sign", "Verify", "GenerateMac", "DescribeKey", "CreateKey"}

func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// OpNames lists the operation names --op accepts.
func OpNames() []string { return opNames[:] }

// keyClass is the kind of KMS key an operation needs.
type keyClass uint8

const (
	noKey        keyClass = iota // CreateKey
	symmetricKey                 // ENCRYPT_DECRYPT, SYMMETRIC_DEFAULT
	signingKey                   // SIGN_VERIFY
	macKey                       // GENERATE_VERIFY_MAC
)

func (o Op) keyClass() keyClass {
	switch o {
	case Sign, Verify:
		return signingKey
	case GenerateMac:
		return macKey
	case CreateKey:
		return noKey
	}
	// DescribeKey works on any key; a symmetric one is the common case.
	return symmetricKey
}

// usesSize reports whether --size sets the operation's plaintext or message.
func (o Op) usesSize() bool {
	switch o {
	case Encrypt, Decrypt, ReEncrypt, Sign, Verify, GenerateMac:
		return true
	}
	return false
}

// Weighted is one operation of a mix with its share of the requests.
type Weighted struct {
	Op     Op
	Weight int
}

// Mix is the operations a run sends, each with a weight: with
// "Encrypt=3,Decrypt=1" three requests in four are Encrypt.
type Mix []Weighted

// maxWeight bounds one weight, so that the interleaved sequence (as long as
// the sum of the weights) stays small.
const maxWeight = 1000

// ParseMix parses an operation name ("Encrypt") or a weighted mix
// ("Encrypt=3,Decrypt=1"). Names are matched without regard to case; a name
// without a weight has weight 1.
func ParseMix(s string) (Mix, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no operation given; use one of %s, or a mix like Encrypt=3,Decrypt=1", strings.Join(opNames[:], ", "))
	}
	var m Mix
	seen := map[Op]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("mix %q has an empty entry", s)
		}
		name, weight, hasWeight := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		op, ok := lookupOp(name)
		if !ok {
			return nil, fmt.Errorf("unknown operation %q; the bench sends %s", name, strings.Join(opNames[:], ", "))
		}
		w := 1
		if hasWeight {
			n, err := strconv.Atoi(strings.TrimSpace(weight))
			if err != nil || n < 1 || n > maxWeight {
				return nil, fmt.Errorf("weight of %s: %q is not a whole number from 1 to %d", op, strings.TrimSpace(weight), maxWeight)
			}
			w = n
		}
		if seen[op] {
			return nil, fmt.Errorf("mix %q names %s twice", s, op)
		}
		seen[op] = true
		m = append(m, Weighted{Op: op, Weight: w})
	}
	return m, nil
}

func lookupOp(name string) (Op, bool) {
	for i, n := range opNames {
		if strings.EqualFold(n, name) {
			return Op(i), true
		}
	}
	return 0, false
}

// String returns the mix in the form ParseMix reads; a single operation of
// weight 1 is just its name.
func (m Mix) String() string {
	if len(m) == 1 && m[0].Weight == 1 {
		return m[0].Op.String()
	}
	parts := make([]string, len(m))
	for i, w := range m {
		parts[i] = w.Op.String() + "=" + strconv.Itoa(w.Weight)
	}
	return strings.Join(parts, ",")
}

// Has reports whether the mix sends op.
func (m Mix) Has(op Op) bool {
	for _, w := range m {
		if w.Op == op {
			return true
		}
	}
	return false
}

// Sequence returns indexes into m, one per request of a cycle: request i of
// a run is m[seq[i%len(seq)]]. Each entry appears in proportion to its
// weight (weights are first divided by their greatest common divisor), and
// the entries are interleaved as evenly as possible by smooth weighted
// round-robin, so that even a short run sends the mix's proportions and no
// burst of one operation follows a burst of another.
func (m Mix) Sequence() []int {
	if len(m) == 0 {
		return nil
	}
	g := 0
	for _, w := range m {
		g = gcd(g, w.Weight)
	}
	total := 0
	weights := make([]int, len(m))
	for i, w := range m {
		weights[i] = w.Weight / g
		total += weights[i]
	}
	seq := make([]int, 0, total)
	current := make([]int, len(m))
	for range total {
		best := 0
		for i := range current {
			current[i] += weights[i]
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		seq = append(seq, best)
	}
	return seq
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
