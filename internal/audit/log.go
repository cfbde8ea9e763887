package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
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

// syncDelayBatch ends a SyncDelay wait early: an fsync shared by this many
// events already costs each of them little.
const syncDelayBatch = 16

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
	// Preallocate, if positive, extends the current file with zeros this
	// many bytes at a time, and the writer overwrites them: an fdatasync
	// then has no file size to commit, which keeps the file system's
	// journal out of every fsync (several times cheaper on ext4 under
	// load). The file is cut to its records when it is rotated or closed
	// and when keyhold starts again after a crash. Default 4 MiB on Linux;
	// negative: off (plain appends and fsync).
	Preallocate int64
	// OnSync, if set, is told of every successful write+fsync: how long it
	// took and how many events it made durable (for metrics).
	OnSync func(d time.Duration, events int)

	// SyncDelay, if positive, is how long the writer may wait for more
	// events while Busy reports true: it starts the next write+fsync no
	// sooner than SyncDelay after the previous one started, unless
	// syncDelayBatch events are already waiting. Each fsync costs CPU (and,
	// on a virtual machine, more of it on the host), so while the server is
	// busy, fewer and fuller syncs leave more CPU for requests, for at most
	// SyncDelay more latency (PostgreSQL's commit_delay and
	// commit_siblings do the same).
	SyncDelay time.Duration
	// Busy reports whether the server is busy enough for SyncDelay (keyhold:
	// at least --audit-sync-delay-in-flight requests being served).
	Busy func() bool

	// waitStandby (tests only): when the writer wants the standby file
	// while it is still being prepared, wait for it instead of extending
	// the current file, so a test sees the standby used every time.
	waitStandby bool
}

// Log is an open audit log. Record is safe for concurrent use.
type Log struct {
	opts      Options
	reqs      chan *request
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once

	healthy atomic.Bool
	// Queue depth, for metrics.
	queued atomic.Int64

	// Writer state, owned by the writer goroutine.
	f          *os.File
	fileSeq    uint64
	fileSize   int64 // bytes of records in the current file
	allocated  int64 // the current file's size on disk (records and zeros)
	fileOpened time.Time
	seq        uint64
	prevHash   string
	digestSeq  uint64
	prevDigest string
	lastDigest time.Time
	digested   int64 // bytes of the current file covered by a digest
	lastBatch  int
	lastSync   time.Time // when the last write+fsync started
	// fileHash is the running SHA-256 of the current file's records, so a
	// digest needs no second read of the file; hashed is how many bytes it
	// has seen (-1: not this file's from its start, read the file).
	fileHash hash.Hash
	hashed   int64
	// The next file, prepared in advance (standby.go).
	standby     standbyState
	standbyDone chan error
	adopted     int // files that started as a standby (for tests)
}

// request is one event on its way to the file: its JSON without the chain
// member (encoded by the caller, off the writer's path), and where the
// writer answers. A request with a nil line is a wake-up from Record while
// the log is unhealthy. Requests are pooled.
type request struct {
	line []byte
	done chan error
}

var requestPool = sync.Pool{New: func() any { return &request{line: make([]byte, 0, 2048), done: make(chan error, 1)} }}

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
	if opts.Preallocate == 0 {
		opts.Preallocate = defaultPreallocate
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
	// A standby file a crash left behind holds only zeros.
	os.Remove(filepath.Join(l.opts.Dir, standbyName))
	if len(files) == 0 {
		return l.openFile(1)
	}
	last := files[len(files)-1]
	path := filepath.Join(l.opts.Dir, fileName(last))
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	// A preallocated file ends in zeros; a crash during a write to it can
	// leave a torn batch: records after a run of zeros. Nothing from the
	// first zero on was acknowledged (a batch is answered only once all of
	// it is durable), so it goes.
	if i := bytes.IndexByte(data, 0); i >= 0 {
		if j := bytes.LastIndexByte(data[:i], '\n'); j+1 != len(data) {
			if bytes.IndexFunc(data[i:], func(r rune) bool { return r != 0 }) >= 0 {
				l.opts.Logger.Warn("audit: dropping the torn, unacknowledged end of a batch a crash interrupted",
					"file", path, "bytes", len(bytes.TrimRight(data[j+1:], "\x00")))
			}
			if err := os.Truncate(path, int64(j+1)); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			data = data[:j+1]
		}
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
	// The chain continues from the last record of the files before the
	// last one (signed by their digests), through the last file.
	for j := len(files) - 2; j >= 0 && l.seq == 0; j-- {
		d, err := os.ReadFile(filepath.Join(l.opts.Dir, fileName(files[j])))
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		line := lastLine(bytes.TrimRight(d, "\x00"))
		if line == nil {
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Chain == nil {
			return fmt.Errorf("audit: the last record of %s is not a keyhold audit record; run `keyhold audit verify` (%v)", fileName(files[j]), err)
		}
		l.seq, l.prevHash = ev.Chain.Sequence, hashHex(line)
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

// coverTail continues the chain (l.seq, l.prevHash) through file seq
// (content data). Unless the last digest already covers all of the file,
// it first checks that every record follows the one before it, in
// sequence and hash, and then signs the file with a digest: a start never
// signs records that do not chain.
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
			// Already covered: the digest names the chain's end.
			l.seq, l.prevHash = d.LastSequence, d.LastHash
			return nil
		}
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Chain == nil {
			return fmt.Errorf("audit: %s line %d is not a valid record; run `keyhold audit verify` before starting keyhold again", fileName(seq), i+1)
		}
		if ev.Chain.Sequence != l.seq+1 || ev.Chain.PreviousHash != l.prevHash {
			return fmt.Errorf("audit: %s line %d does not link to the record before it; run `keyhold audit verify` before starting keyhold again", fileName(seq), i+1)
		}
		l.seq, l.prevHash = ev.Chain.Sequence, hashHex(line)
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
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
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
	l.setFile(f, seq, fi.Size(), fi.Size())
	return nil
}

// setFile makes f (number seq, size records followed by zeros up to
// allocated) the current file.
func (l *Log) setFile(f *os.File, seq uint64, size, allocated int64) {
	l.f, l.fileSeq, l.fileSize, l.allocated, l.fileOpened, l.digested = f, seq, size, allocated, l.opts.Now(), 0
	if l.fileHash == nil {
		l.fileHash = sha256.New()
	}
	l.fileHash.Reset()
	l.hashed = 0
	if size > 0 {
		l.hashed = -1
	}
	if l.lastDigest.IsZero() {
		l.lastDigest = l.opts.Now()
	}
}

// nextFile closes the current file (digested and cut by the caller) and
// continues in the next one: the standby file if one is ready, else a new
// file.
func (l *Log) nextFile() error {
	l.f.Close()
	l.f = nil
	if l.adoptStandby(l.fileSeq + 1) {
		return nil
	}
	return l.openFile(l.fileSeq + 1)
}

// Record appends ev to the log and returns once it is durable. The Log sets
// EventVersion and EventID (if empty); the chain is added as the record
// takes its place in the log (ev.Chain is not set).
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
	ev.EventVersion = EventVersion
	if ev.EventID == "" {
		ev.EventID = newEventID()
	}
	r := requestPool.Get().(*request)
	var err error
	if r.line, err = appendEventBody(r.line[:0], ev); err != nil {
		requestPool.Put(r)
		return fmt.Errorf("audit: encoding event: %w", err)
	}
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
		if cap(r.line) <= 64<<10 {
			requestPool.Put(r)
		}
		return err
	case <-ctx.Done():
		// The record may still be written; the caller gives up waiting
		// (and r stays with the writer, out of the pool).
		return ctx.Err()
	}
}

// newEventID returns a random UUID (version 4), as CloudTrail's eventID.
// (keyhold.NewUUID's twin: this package imports only the standard library.)
func newEventID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Healthy reports whether the last write succeeded.
func (l *Log) Healthy() bool { return l.healthy.Load() }

// QueueDepth is the number of events waiting to be written.
func (l *Log) QueueDepth() int64 { return l.queued.Load() }

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
			//
			// While the server is busy (SyncDelay), wait instead until
			// SyncDelay after the previous sync started, or for a full
			// batch.
			var linger <-chan time.Time
			want := l.lastBatch
			if l.opts.SyncDelay > 0 && l.opts.Busy != nil && l.opts.Busy() {
				if d := time.Until(l.lastSync.Add(l.opts.SyncDelay)); d > 0 {
					linger, want = time.After(d), syncDelayBatch
				}
			} else if l.opts.Linger > 0 && l.lastBatch > 1 {
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
				if linger == nil || len(batch) >= want {
					break drain
				}
				select {
				case r := <-l.reqs:
					batch = append(batch, r)
				case <-linger:
					break drain
				case <-l.done: // closing: write now
					break drain
				}
			}
			l.lastBatch, l.lastSync = len(batch), time.Now()
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
			l.removeStandby()
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
	var sum [sha256.Size]byte
	for _, r := range batch {
		if r.line == nil { // a wake-up from Record while unhealthy
			continue
		}
		n++
		seq++
		start := buf.Len()
		buf.Write(r.line)
		line := appendChain(buf.AvailableBuffer(), seq, prev)
		buf.Write(line)
		sum = sha256.Sum256(buf.Bytes()[start:])
		prev = hex.EncodeToString(sum[:])
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
	if l.opts.Preallocate > 0 && l.fileSize > 0 && l.fileSize+int64(buf.Len()) > l.allocated && int64(buf.Len()) <= l.standbySize() {
		// The current file is full: continue in the standby if it is
		// ready (no extension to wait for).
		l.pollStandby(l.opts.waitStandby)
		if l.standby == standbyReady {
			l.rotate()
			if l.f == nil {
				l.fail(batch, errors.New("audit: no file to write to after rotation"))
				return
			}
		}
	}
	err := l.grow(int64(buf.Len()))
	if err == nil {
		_, err = l.f.WriteAt(buf.Bytes(), l.fileSize)
	}
	if err == nil {
		err = l.sync()
	}
	took := time.Since(start)
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
	if l.opts.Preallocate <= 0 {
		l.allocated = l.fileSize + int64(buf.Len())
	}
	if !l.healthy.Load() {
		l.opts.Logger.Info("audit: the audit log is writable again")
	}
	l.healthy.Store(true)
	if l.opts.OnSync != nil {
		l.opts.OnSync(took, n)
	}
	l.seq, l.prevHash = seq, prev
	if l.hashed == l.fileSize {
		l.fileHash.Write(buf.Bytes())
		l.hashed += int64(buf.Len())
	}
	l.fileSize += int64(buf.Len())
	l.maybePrepareStandby()
	for _, r := range batch {
		if r.line != nil {
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
		if r.line != nil {
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
	if final {
		if err := l.cut(); err != nil {
			l.opts.Logger.Error("audit: cutting the preallocated end of the audit file failed", "error", err.Error())
		}
	} else if rotate {
		l.rotate()
	}
}

// rotate finishes the current file (a digest of what none covers yet, the
// preallocated zeros cut off) and continues in the next one. Errors are
// logged; with no file open, the next batch opens one (or fails).
func (l *Log) rotate() {
	if l.fileSize > l.digested {
		if err := l.writeDigest(); err != nil {
			l.opts.Logger.Error("audit: writing a digest failed", "error", err.Error())
			return
		}
	}
	if err := l.cut(); err != nil {
		l.opts.Logger.Error("audit: cutting the preallocated end of the audit file failed", "error", err.Error())
	}
	if err := l.nextFile(); err != nil {
		l.opts.Logger.Error("audit: rotating the audit file failed", "error", err.Error())
	}
}

// zeros is what a preallocated file is extended with.
var zeros = make([]byte, 64<<10)

// grow makes room for n more bytes of records: with preallocation, by
// extending the file with zeros (the next sync commits the new size once
// for many batches).
func (l *Log) grow(n int64) error {
	if l.opts.Preallocate <= 0 || l.fileSize+n <= l.allocated {
		return nil
	}
	target := l.allocated + l.opts.Preallocate
	if target < l.fileSize+n {
		target = l.fileSize + n
	}
	for off := l.allocated; off < target; {
		chunk := zeros
		if target-off < int64(len(chunk)) {
			chunk = chunk[:target-off]
		}
		if _, err := l.f.WriteAt(chunk, off); err != nil {
			return err
		}
		off += int64(len(chunk))
	}
	l.allocated = target
	return l.f.Sync() // the new size, once
}

// sync makes the records written durable: fdatasync where the file is
// preallocated (no size to commit), fsync otherwise.
func (l *Log) sync() error {
	if l.opts.Preallocate > 0 {
		return datasync(l.f)
	}
	return l.f.Sync()
}

// cut removes the preallocated zeros after the records, so a closed file
// holds exactly its records.
func (l *Log) cut() error {
	if l.allocated == l.fileSize {
		return nil
	}
	if err := l.f.Truncate(l.fileSize); err != nil {
		return err
	}
	l.allocated = l.fileSize
	return l.f.Sync()
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
