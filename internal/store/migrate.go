package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/namesearch"
)

// Migrate brings the schema up to date; it is safe to run again, and safe
// to run from many instances at once on one database. Instances starting
// together race to create the same tables: the losers see "already exists"
// (or, on Galera, where DDL is replicated in total order and GET_LOCK is
// only node-local, a deadlock or certification failure) and try again,
// when ent finds the schema made by the winner.
func (s *Store) Migrate(ctx context.Context) error {
	return retryRace(ctx, func() error {
		if err := s.createSchema(ctx); err != nil {
			return err
		}
		if err := namesearch.Migrate(ctx, s.DB, s.Dialect); err != nil {
			return err
		}
		if err := s.moveLastUsed(ctx); err != nil {
			return err
		}
		return foldPersonaNames(ctx, s.Client)
	})
}

// schemaMu serialises ent's migrations within one process: they write to
// the generated, package-level table descriptors. Instances in other
// processes race for real, which the retries absorb.
var schemaMu sync.Mutex

func (s *Store) createSchema(ctx context.Context) error {
	schemaMu.Lock()
	defer schemaMu.Unlock()
	return s.Client.Schema.Create(ctx)
}

// raceAttempts bounds retryRace: about 10 s of backoff in all.
const raceAttempts = 10

// retryRace runs fn until it succeeds, fails with an error that is not a
// lost race (see lostRace), or has lost raceAttempts times, sleeping a
// jittered, doubling backoff between attempts.
func retryRace(ctx context.Context, fn func() error) error {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !lostRace(err) || attempt == raceAttempts {
			return err
		}
		sleep := backoff/2 + rand.N(backoff)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(sleep):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// Errors another instance's concurrent migration or seed may cause.
var raceErrors = map[uint16]bool{
	1005: true, // can't create table (a duplicate foreign key name, errno 121)
	1022: true, // duplicate key on write
	1047: true, // WSREP has not yet prepared node for application use
	1050: true, // table already exists
	1060: true, // duplicate column name
	1061: true, // duplicate key name
	1062: true, // duplicate entry
	1091: true, // can't drop: does not exist
	1146: true, // table doesn't exist (created by a statement not yet applied here)
	1205: true, // lock wait timeout
	1213: true, // deadlock, and Galera's certification failure
	1826: true, // duplicate foreign key constraint name
}

// lostRace reports whether err comes from racing another instance.
func lostRace(err error) bool {
	var seed *lostSeed
	if errors.As(err, &seed) || gqlerr.SerializationFailure(err) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return raceErrors[me.Number]
	}
	msg := err.Error()
	for _, s := range []string{"already exists", "Error 1050", "Error 1061", "Error 1062", "Error 1213", "Error 1205", "Error 1047", "Error 1826", "database is locked", "SQLITE_BUSY"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
