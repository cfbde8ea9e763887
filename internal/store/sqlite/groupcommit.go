package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Group commit. Every write is a transaction on the one writer connection,
// and with synchronous=FULL every commit waits for an fsync of the WAL, so
// one transaction per call caps writes at one per fsync (a few hundred
// CreateKeys a second under load). Instead, one goroutine runs the writes
// that queued while the previous commit was syncing in one transaction,
// each inside its own savepoint: a write that fails rolls back only its own
// changes and gets its own error; the others commit together, with one
// fsync. Durability is unchanged: a write returns nil only after the commit
// that holds it is durable. Writes run in the order they queued, so the
// result is that of running them one after the other.

// maxWriteBatch bounds the writes one transaction holds.
const maxWriteBatch = 256

var errStoreClosed = errors.New("sqlite: the store is closed")

type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// write runs fn in a transaction on the writer connection (IMMEDIATE) and
// returns once the transaction holding it has committed; if fn returns an
// error, its changes are rolled back and the error returned.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	// Close takes the write lock before it stops the writer goroutine, so
	// while this holds the read lock and closed is false, the goroutine
	// is there to take r.
	s.writeMu.RLock()
	if s.closed {
		s.writeMu.RUnlock()
		return errStoreClosed
	}
	select {
	case s.writes <- r:
	case <-ctx.Done():
		s.writeMu.RUnlock()
		return ctx.Err()
	}
	s.writeMu.RUnlock()
	// Wait even if ctx ends: fn belongs to the caller and may run still.
	return <-r.done
}

func (s *Store) runWrites() {
	defer close(s.writerDone)
	batch := make([]*writeReq, 0, maxWriteBatch)
	for {
		var r *writeReq
		select {
		case r = <-s.writes:
		case <-s.closing:
			// Finish what is queued, then stop.
			for {
				select {
				case r := <-s.writes:
					r.done <- s.writeOne(r)
					continue
				default:
				}
				return
			}
		}
		batch = append(batch[:0], r)
	drain:
		for len(batch) < maxWriteBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.writeBatch(batch)
	}
}

// writeOne runs one write in a transaction of its own.
func (s *Store) writeOne(r *writeReq) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	s.transactions.Add(1)
	tx, err := s.writer.BeginTx(context.WithoutCancel(r.ctx), nil)
	if err != nil {
		return err
	}
	if err := r.fn(tx); err != nil {
		// The rollback error, if any, says less than err does.
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// writeBatch runs the writes in one transaction, each in a savepoint, and
// answers each. If the transaction itself fails (a write's error rolled
// back the whole transaction, as SQLite does for an interrupted statement,
// or the commit failed), nothing of it was committed, and each write runs
// again in a transaction of its own.
func (s *Store) writeBatch(batch []*writeReq) {
	if len(batch) == 1 {
		batch[0].done <- s.writeOne(batch[0])
		return
	}
	errs := make([]error, len(batch))
	if err := s.tryBatch(batch, errs); err != nil {
		for _, r := range batch {
			r.done <- s.writeOne(r)
		}
		return
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}

func (s *Store) tryBatch(batch []*writeReq, errs []error) error {
	ctx := context.Background()
	s.transactions.Add(1)
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := r.fn(tx); err != nil {
			errs[i] = err
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO w"); rerr != nil {
				_ = tx.Rollback()
				return fmt.Errorf("rolling back one write of a batch: %w", rerr)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
