package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Report is the result of Verify.
type Report struct {
	Files, Records, Digests int
	// Problems lists every inconsistency found; empty means the trail is
	// intact as far as the digests cover it.
	Problems []string
	// CoveredThrough is the sequence of the last record a valid digest
	// covers; Uncovered counts the records after it (written since the
	// last digest: intact as far as the hash chain shows, but not yet
	// signed).
	CoveredThrough uint64
	Uncovered      int
}

// OK reports whether no problem was found.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

type fileRecords struct {
	name string
	data []byte
	// ends[i] is the byte offset just after record i's newline.
	ends []int64
	seqs []uint64
	hash []string
}

// Verify checks the audit trail in dir: every record's chain link, the
// sequence, every digest's signature against the public key in
// publicKeyPEM, the digest chain, and that every digest still matches the
// bytes it covers.
func Verify(dir string, publicKeyPEM []byte) (*Report, error) {
	pub, fp, err := ParsePublicKey(publicKeyPEM)
	if err != nil {
		return nil, err
	}
	files, err := listFiles(dir, filePrefix, fileSuffix)
	if err != nil {
		return nil, err
	}
	digests, err := listFiles(dir, digestPrefix, digestSuffix)
	if err != nil {
		return nil, err
	}
	r := &Report{Files: len(files), Digests: len(digests)}
	recs := map[string]*fileRecords{}
	expect := uint64(1)
	prev := zeroHash
	for _, seq := range files {
		name := fileName(seq)
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		// A file keyhold was writing when it stopped without closing it
		// ends in preallocated zeros: not records.
		data = bytes.TrimRight(data, "\x00")
		fr := &fileRecords{name: name, data: data}
		recs[name] = fr
		off := int64(0)
		lineNo := 0
		for len(data) > 0 {
			lineNo++
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				r.problem("%s line %d: ends with a partial record (%d bytes without a newline): the file was truncated or appended to", name, lineNo, len(data))
				break
			}
			line := data[:i]
			data = data[i+1:]
			off += int64(i + 1)
			var ev Event
			if err := json.Unmarshal(line, &ev); err != nil || ev.Chain == nil {
				r.problem("%s line %d: not a valid audit record: it was modified", name, lineNo)
				prev = hashHex(line)
				expect++
				continue
			}
			r.Records++
			switch {
			case ev.Chain.Sequence != expect:
				if ev.Chain.Sequence > expect {
					r.problem("%s line %d: record %d follows record %d: records %d to %d were deleted (or reordered)", name, lineNo, ev.Chain.Sequence, expect-1, expect, ev.Chain.Sequence-1)
				} else {
					r.problem("%s line %d: record %d appears after record %d: records were reordered or duplicated", name, lineNo, ev.Chain.Sequence, expect-1)
				}
			case ev.Chain.PreviousHash != prev:
				r.problem("%s line %d: record %d does not link to the record before it: that record was modified", name, lineNo, ev.Chain.Sequence)
			}
			h := hashHex(line)
			fr.ends = append(fr.ends, off)
			fr.seqs = append(fr.seqs, ev.Chain.Sequence)
			fr.hash = append(fr.hash, h)
			prev = h
			expect = ev.Chain.Sequence + 1
		}
	}

	prevDigest := zeroHash
	var covered uint64
	coveredLen := map[string]int64{}
	for i, seq := range digests {
		name := digestName(seq)
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if seq != uint64(i+1) {
			r.problem("%s: digest %d is missing (digests were deleted)", name, i+1)
		}
		var d Digest
		if err := json.Unmarshal(b, &d); err != nil {
			r.problem("%s: not a valid digest: it was modified", name)
			prevDigest = hashHex(b)
			continue
		}
		switch {
		case d.PublicKeySHA256 != fp:
			r.problem("%s: signed by a different key (%s…), not this keyhold's audit key (%s…)", name, short(d.PublicKeySHA256), short(fp))
		case !verifySignature(&d, pub):
			r.problem("%s: the signature does not verify: the digest was forged or modified", name)
		}
		if d.PreviousDigestHash != prevDigest {
			r.problem("%s: does not link to the digest before it: a digest was modified, deleted or replaced", name)
		}
		prevDigest = hashHex(b)
		fr := recs[d.File]
		if fr == nil {
			r.problem("%s: covers %s, which is missing: the audit file was deleted", name, d.File)
			continue
		}
		if int64(len(fr.data)) < d.Length {
			r.problem("%s: covers %d bytes of %s but the file has %d: it was truncated", name, d.Length, d.File, len(fr.data))
			continue
		}
		h := sha256.Sum256(fr.data[:d.Length])
		if hex.EncodeToString(h[:]) != d.SHA256 {
			r.problem("%s: %s no longer matches its digest: records in its first %d bytes were modified, deleted or reordered", name, d.File, d.Length)
			continue
		}
		if d.LastSequence > covered {
			covered = d.LastSequence
		}
		if d.Length > coveredLen[d.File] {
			coveredLen[d.File] = d.Length
		}
	}
	r.CoveredThrough = covered
	for name, fr := range recs {
		for _, end := range fr.ends {
			if end > coveredLen[name] {
				r.Uncovered++
			}
		}
	}
	return r, nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
