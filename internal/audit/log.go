package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// File names in the audit directory.
const (
	filePrefix   = "audit-"
	fileSuffix   = ".jsonl"
	digestPrefix = "digest-"
	digestSuffix = ".json"
	// PublicKeyFile holds the audit signing key's public key (PEM), written
	// when the log is opened. Keep a copy elsewhere: verify against that.
	PublicKeyFile = "audit-public-key.pem"
)

var zeroHash = strings.Repeat("0", 64)

// ErrUnavailable is returned by Record while the audit files cannot be
// written; keyhold then refuses requests rather than serve them unaudited.
var ErrUnavailable = errors.New("audit: the audit log cannot be written")

// Options configure a Log.
type Options struct {
	// Dir is the audit directory (created 0700).
	Dir string
	// Signer signs digests (inside the crypto boundary). Required.
	Signer Signer
	// RotateBytes rotates the current file when it grows past this size
	// (default 64 MiB).
	RotateBytes int64
	// RotateInterval rotates the current file after this long (default 1h).
	RotateInterval time.Duration
	// DigestInterval writes a digest of the current file at least this
	// often while events arrive (default 5 minutes).
	DigestInterval time.Duration
	// Stdout, if set, receives every record too (after it is durable).
	Stdout io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger for the log's own problems.
	Logger *slog.Logger
	// MaxBatch bounds how many events share one fsync (default 1024).
	MaxBatch int
	// Linger is how long the writer may wait for more events when fewer
	// arrived than in its previous batch (default 500µs; negative: never).
	Linger time.Duration
}

// Log is an open audit log. Record is safe for concurrent use.
type Log struct {
	opts      Options
	reqs      chan *request
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once

	healthy atomic.Bool
	// Queue depth and the last fsync's duration, for metrics.
	queued    atomic.Int64
	lastFsync atomic.Int64 // nanoseconds

	// Writer state, owned by the writer goroutine.
	f          *os.File
	fileSeq    uint64
	fileSize   int64
	fileOpened time.Time
	seq        uint64
	prevHash   string
	digestSeq  uint64
	prevDigest string
	lastDigest time.Time
	digested   int64 // bytes of the current file covered by a digest
	lastBatch  int
}

type request struct {
	ev   *Event
	done chan error
}

// Open opens (or creates) the audit log in opts.Dir and starts its writer.
// It checks the existing chain's tail, drops a partial last line left by a
// crash (it was never acknowledged), and continues the chain.
func Open(opts Options) (*Log, error) {
	if opts.Signer == nil {
		return nil, errors.New("audit: Options.Signer is required")
	}
	if opts.RotateBytes <= 0 {
		opts.RotateBytes = 64 << 20
	}
	if opts.RotateInterval <= 0 {
		opts.RotateInterval = time.Hour
	}
	if opts.DigestInterval <= 0 {
		opts.DigestInterval = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1024
	}
	if opts.Linger == 0 {
		opts.Linger = 500 * time.Microsecond
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: creating %s: %w", opts.Dir, err)
	}
	l := &Log{opts: opts, reqs: make(chan *request, 4096), done: make(chan struct{})}
	if err := l.writePublicKey(); err != nil {
		return nil, err
	}
	if err := l.recover(); err != nil {
		return nil, err
	}
	l.healthy.Store(true)
	l.wg.Add(1)
	go l.run()
	return l, nil
}

func (l *Log) writePublicKey() error {
	p := filepath.Join(l.opts.Dir, PublicKeyFile)
	pem, err := l.opts.Signer.PublicKeyPEM()
	if err != nil {
		return fmt.Errorf("audit: public key: %w", err)
	}
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, pem) {
		return nil
	}
	if err := writeFileSync(p, pem, 0o644); err != nil {
		return fmt.Errorf("audit: writing %s: %w", p, err)
	}
	return nil
}

// listFiles returns the sequence numbers of files with prefix/suffix,
// ascending.
func listFiles(dir, prefix, suffix string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix), 10, 64)
		if err != nil {
			continue
		}
		seqs = append(seqs, n)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

func fileName(seq uint64) string   { return fmt.Sprintf("%s%08d%s", filePrefix, seq, fileSuffix) }
func digestName(seq uint64) string { return fmt.Sprintf("%s%08d%s", digestPrefix, seq, digestSuffix) }

// recover finds where the chain ends and prepares the writer to continue.
func (l *Log) recover() error {
	files, err := listFiles(l.opts.Dir, filePrefix, fileSuffix)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	digests, err := listFiles(l.opts.Dir, digestPrefix, digestSuffix)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	l.prevHash = zeroHash
	l.prevDigest = zeroHash
	if len(digests) > 0 {
		l.digestSeq = digests[len(digests)-1]
		b, err := os.ReadFile(filepath.Join(l.opts.Dir, digestName(l.digestSeq)))
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		l.prevDigest = hashHex(b)
	}
	if len(files) == 0 {
		return l.openFile(1)
	}
	last := files[len(files)-1]
	path := filepath.Join(l.opts.Dir, fileName(last))
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	// Drop a partial last line: written but never fsynced and acknowledged.
	if i := bytes.LastIndexByte(data, '\n'); i+1 != len(data) {
		l.opts.Logger.Warn("audit: dropping a partial record left by a crash (it was never acknowledged)",
			"file", path, "bytes", len(data)-(i+1))
		if err := os.Truncate(path, int64(i+1)); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		data = data[:i+1]
	}
	// The chain continues from the last complete record, in this file or
	// (if it is empty) the one before.
	for j := len(files) - 1; j >= 0; j-- {
		d := data
		if j != len(files)-1 {
			if d, err = os.ReadFile(filepath.Join(l.opts.Dir, fileName(files[j]))); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		line := lastLine(d)
		if line == nil {
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Chain == nil {
			return fmt.Errorf("audit: the last record of %s is not a keyhold audit record; run `keyhold audit verify` (%v)", fileName(files[j]), err)
		}
		l.seq = ev.Chain.Sequence
		l.prevHash = hashHex(line)
		break
	}
	// Sign what the last run wrote after its last digest (a crash leaves
	// such a tail), once its chain checks out, so the trail stays fully
	// covered. Then continue in a new file: earlier files stay exactly as
	// their digests describe them.
	if err := l.coverTail(last, data); err != nil {
		return err
	}
	return l.openFile(last + 1)
}

// coverTail writes a digest for file seq (content data) if the last digest
// does not cover all of it. It first checks that every record of the file
// links to the one before it.
func (l *Log) coverTail(seq uint64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if l.digestSeq > 0 {
		b, err := os.ReadFile(filepath.Join(l.opts.Dir, digestName(l.digestSeq)))
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		var d Digest
		if json.Unmarshal(b, &d) == nil && d.File == fileName(seq) && d.Length == int64(len(data)) {
			return nil // already covered
		}
	}
	var prev string
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Chain == nil {
			return fmt.Errorf("audit: %s line %d is not a valid record; run `keyhold audit verify` before starting keyhold again", fileName(seq), i+1)
		}
		if i > 0 && ev.Chain.PreviousHash != prev {
			return fmt.Errorf("audit: %s line %d does not link to the record before it; run `keyhold audit verify` before starting keyhold again", fileName(seq), i+1)
		}
		prev = hashHex(line)
	}
	l.fileSeq, l.fileSize = seq, int64(len(data))
	if err := l.writeDigest(); err != nil {
		return fmt.Errorf("audit: signing the records of the last run: %w", err)
	}
	l.opts.Logger.Info("audit: signed the records written after the last digest of the previous run", "file", fileName(seq))
	return nil
}

func lastLine(d []byte) []byte {
	d = bytes.TrimSuffix(d, []byte("\n"))
	if len(d) == 0 {
		return nil
	}
	return d[bytes.LastIndexByte(d, '\n')+1:]
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (l *Log) openFile(seq uint64) error {
	path := filepath.Join(l.opts.Dir, fileName(seq))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	if err := syncDir(l.opts.Dir); err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	l.f, l.fileSeq, l.fileSize, l.fileOpened, l.digested = f, seq, fi.Size(), l.opts.Now(), 0
	if l.lastDigest.IsZero() {
		l.lastDigest = l.opts.Now()
	}
	return nil
}

// Record appends ev to the log and returns once it is durable. The Log sets
// EventVersion, EventID (if empty) and Chain.
func (l *Log) Record(ctx context.Context, ev *Event) error {
	if !l.healthy.Load() {
		// Ask the writer to try again (it may have recovered), but do not
		// queue behind a broken disk.
		select {
		case l.reqs <- &request{}:
		default:
		}
		return ErrUnavailable
	}
	r := &request{ev: ev, done: make(chan error, 1)}
	l.queued.Add(1)
	select {
	case l.reqs <- r:
	case <-l.done:
		l.queued.Add(-1)
		return ErrUnavailable
	case <-ctx.Done():
		l.queued.Add(-1)
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The record may still be written; the caller gives up waiting.
		return ctx.Err()
	}
}

// Healthy reports whether the last write succeeded.
func (l *Log) Healthy() bool { return l.healthy.Load() }

// QueueDepth is the number of events waiting to be written.
func (l *Log) QueueDepth() int64 { return l.queued.Load() }

// LastFsync is the duration of the last fsync.
func (l *Log) LastFsync() time.Duration { return time.Duration(l.lastFsync.Load()) }

// Close writes the remaining events and a final digest, then closes.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		l.wg.Wait()
	})
	return nil
}

func (l *Log) run() {
	defer l.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	batch := make([]*request, 0, l.opts.MaxBatch)
	var buf bytes.Buffer
	for {
		select {
		case r := <-l.reqs:
			batch = append(batch[:0], r)
			// Group commit: take what is queued; if the previous batch
			// was larger than what arrived (a steady load whose callers
			// are a moment away), linger briefly for them, so one fsync
			// serves many calls instead of a few.
			var linger <-chan time.Time
			if l.opts.Linger > 0 && l.lastBatch > 1 {
				linger = time.After(l.opts.Linger)
			}
		drain:
			for len(batch) < l.opts.MaxBatch {
				select {
				case r := <-l.reqs:
					batch = append(batch, r)
					continue
				default:
				}
				if linger == nil || len(batch) >= l.lastBatch {
					break drain
				}
				select {
				case r := <-l.reqs:
					batch = append(batch, r)
				case <-linger:
					break drain
				}
			}
			l.lastBatch = len(batch)
			l.writeBatch(batch, &buf)
		case <-tick.C:
			l.maintain(false)
		case <-l.done:
			// Drain what is queued, then finish.
			for {
				select {
				case r := <-l.reqs:
					l.writeBatch([]*request{r}, &buf)
					continue
				default:
				}
				break
			}
			l.maintain(true)
			if l.f != nil {
				l.f.Close()
			}
			return
		}
	}
}

// writeBatch chains, writes and fsyncs a batch, then answers every caller.
func (l *Log) writeBatch(batch []*request, buf *bytes.Buffer) {
	if l.f == nil {
		if err := l.openFile(l.fileSeq + 1); err != nil {
			l.fail(batch, err)
			return
		}
	}
	buf.Reset()
	seq, prev := l.seq, l.prevHash
	n := 0
	for _, r := range batch {
		if r.ev == nil { // a wake-up from Record while unhealthy
			continue
		}
		n++
		seq++
		r.ev.EventVersion = EventVersion
		r.ev.Chain = &Chain{Sequence: seq, PreviousHash: prev}
		line, err := json.Marshal(r.ev)
		if err != nil {
			r.done <- fmt.Errorf("audit: encoding event: %w", err)
			r.ev = nil
			seq--
			continue
		}
		prev = hashHex(line)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	l.queued.Add(-int64(n))
	if buf.Len() == 0 {
		// Only wake-ups: try a write of nothing to see if we recovered.
		if !l.healthy.Load() {
			if err := l.f.Sync(); err == nil {
				l.healthy.Store(true)
				l.opts.Logger.Info("audit: the audit log is writable again")
			}
		}
		return
	}
	start := time.Now()
	_, err := l.f.Write(buf.Bytes())
	if err == nil {
		err = l.f.Sync()
	}
	l.lastFsync.Store(int64(time.Since(start)))
	if err != nil {
		// The file may now hold a partial batch: start a new file, so the
		// damaged one ends where the last good digest can say.
		l.opts.Logger.Error("audit: writing the audit log failed; refusing requests until it works again", "error", err.Error())
		// Cut off whatever part of the batch reached the file: those
		// records were never acknowledged and their sequence numbers are
		// used again.
		_ = l.f.Truncate(l.fileSize)
		l.f.Close()
		l.f = nil
		l.fail(batch, err)
		return
	}
	if !l.healthy.Load() {
		l.opts.Logger.Info("audit: the audit log is writable again")
	}
	l.healthy.Store(true)
	l.seq, l.prevHash = seq, prev
	l.fileSize += int64(buf.Len())
	for _, r := range batch {
		if r.ev != nil {
			r.done <- nil
		}
	}
	if l.opts.Stdout != nil {
		l.opts.Stdout.Write(buf.Bytes())
	}
	l.maintain(false)
}

func (l *Log) fail(batch []*request, err error) {
	l.healthy.Store(false)
	for _, r := range batch {
		if r.ev != nil {
			r.done <- fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
}

// maintain rotates the file and writes digests when due. final writes a
// digest of whatever is not yet covered.
func (l *Log) maintain(final bool) {
	if l.f == nil {
		return
	}
	now := l.opts.Now()
	rotate := l.fileSize >= l.opts.RotateBytes || (l.fileSize > 0 && now.Sub(l.fileOpened) >= l.opts.RotateInterval)
	due := l.fileSize > l.digested && (final || rotate || now.Sub(l.lastDigest) >= l.opts.DigestInterval)
	if due {
		if err := l.writeDigest(); err != nil {
			l.opts.Logger.Error("audit: writing a digest failed", "error", err.Error())
			return
		}
	}
	if rotate && !final {
		l.f.Close()
		l.f = nil
		if err := l.openFile(l.fileSeq + 1); err != nil {
			l.opts.Logger.Error("audit: rotating the audit file failed", "error", err.Error())
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func writeFileSync(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}
