// Package admin holds the operation behind every mutation: validation, the
// privilege ceiling, the change itself and its audit event. Each function
// works on the ent client in the context, which for a GraphQL mutation is the
// operation's transaction, so any error rolls the whole mutation back.
package admin

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/latchkeyhq/latchkey/ent"
	feed "github.com/latchkeyhq/latchkey/internal/changes"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/ids"
	"github.com/latchkeyhq/latchkey/internal/secret"
)

// Service performs administrative changes.
type Service struct {
	Hasher secret.Hasher
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Changed runs after a change to a token, role, persona or content type
	// (kind and id, as in internal/changes) is committed, so that cached
	// verifications are dropped. May be nil.
	Changed func(kind, ref string)
	// Origin names this instance in the change feed.
	Origin string
	// Locking makes mutations read the rows they rely on FOR UPDATE (MySQL).
	Locking bool
	// Guesses counts the misses of every path that matches a secret against
	// the failed-authentication limit. May be nil.
	Guesses Guesses
	// MaxBulkRevoke bounds revokeAPITokens; 0 means DefaultMaxBulkRevoke.
	MaxBulkRevoke int
}

// Guesses is the failed-attempt budget shared by every path on which a
// caller can test whether a secret exists.
type Guesses interface {
	// Allow returns RATE_LIMITED when the request's client IP or caller has
	// used up its failed attempts.
	Allow(ctx context.Context) error
	// Miss spends one failed attempt of the client IP and of the caller.
	Miss(ctx context.Context)
}

// New returns a Service with the real clock.
func New(h secret.Hasher, changed func(kind, ref string)) *Service {
	return &Service{Hasher: h, Now: time.Now, Changed: changed}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// changed records a change of the record kind/ref in the change feed, in
// the current transaction, and arranges for s.Changed to run once that
// transaction has tried to commit, whatever the outcome but a conflict: a
// commit that failed may still have committed (the connection broke after
// the server applied it), so the cached verifications go either way.
func (s *Service) changed(ctx context.Context, kind, ref string) error {
	if err := feed.Record(ctx, db(ctx), s.Origin, kind, ref, s.now()); err != nil {
		return err
	}
	if s.Changed == nil {
		return nil
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		s.Changed(kind, ref)
		return nil
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			// A commit refused by a conflict certainly rolled back; the
			// operation runs again and invalidates when that commits.
			if !gqlerr.SerializationFailure(err) {
				s.Changed(kind, ref)
			}
			return err
		})
	})
	return nil
}

func db(ctx context.Context) *ent.Client { return ent.FromContext(ctx) }

type systemKey struct{}

// AsSystem marks ctx as Latchkey acting on its own behalf (seeding, the
// mint-token command): no caller, so no privilege ceiling.
func AsSystem(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey{}, true)
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// text trims v and checks its length in characters.
func text(field, v string, min, max int) (string, error) {
	v = strings.TrimSpace(v)
	n := utf8.RuneCountInString(v)
	if n < min {
		if min == 1 {
			return "", gqlerr.BadInput(field, "%s must not be empty", field)
		}
		return "", gqlerr.BadInput(field, "%s must be at least %d characters", field, min)
	}
	if n > max {
		return "", gqlerr.BadInput(field, "%s must be at most %d characters", field, max)
	}
	return v, nil
}

// checkName checks a display name: 1 to 100 characters, no control characters
// (names travel in HTTP headers to upstream services).
func checkName(field, v string) (string, error) {
	v, err := text(field, v, 1, 100)
	if err != nil {
		return "", err
	}
	if strings.IndexFunc(v, invisible) >= 0 {
		return "", gqlerr.BadInput(field, "%s must not contain control or invisible formatting characters", field)
	}
	// The key names are compared by (name_fold, 400 bytes) can be much
	// longer than the name: NFKC spells out ligatures and some letters.
	if len(fold(v)) > maxFoldBytes {
		return "", gqlerr.BadInput(field, "%s is too long once compared regardless of case and letter forms: use fewer ligatures or composed characters", field)
	}
	return v, nil
}

// maxFoldBytes is the size of the name_fold columns (ent/schema).
const maxFoldBytes = 400

func description(field string, v *string) (string, error) {
	if v == nil {
		return "", nil
	}
	return text(field, *v, 0, 1000)
}

// slug checks a code or uid: lower-case letters and digits joined by single hyphens.
func slug(field, v string, max int) (string, error) {
	if len(v) > max || !slugRE.MatchString(v) {
		return "", gqlerr.BadInput(field, "%s must be a slug of at most %d characters: lower-case letters and digits joined by single hyphens", field, max)
	}
	return v, nil
}

// slugify derives a code from a name.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= 90 {
			break
		}
	}
	if b.Len() == 0 {
		return "token"
	}
	return b.String()
}

func avatarURL(field string, v *string) (string, error) {
	if v == nil || strings.TrimSpace(*v) == "" {
		return "", nil
	}
	// https only: every admin's browser loads avatars, and plain http would
	// let a persona's avatar reach into the admin's own network unencrypted.
	s := strings.TrimSpace(*v)
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(s) > 2048 {
		return "", gqlerr.BadInput(field, "%s must be an https URL of at most 2048 characters", field)
	}
	return s, nil
}

// invisible reports characters that show as nothing or as a blank:
// controls, formatting characters (zero-width spaces, bidirectional
// overrides), variation selectors and the other default-ignorable code
// points, and the Braille blank. They would let two names look alike.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || r == '\u2800'
}

// fold is the key that makes names unique: compatibility-normalized (NFKC:
// full-width letters become plain ones), case-folded (ſ is s), with runs of
// white space made one space. Look-alikes across scripts (a Cyrillic А) are
// not folded.
func fold(name string) string {
	folded := cases.Fold().String(norm.NFKC.String(name))
	// x/text folds Cherokee letters of either case to the other case, so
	// "ᏣᎳᎩ" and "ꮳꮃꭹ" would stay apart: settle them on upper case, as
	// Unicode's own case folding does for Cherokee.
	folded = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cherokee, r) {
			return unicode.ToUpper(r)
		}
		return r
	}, folded)
	return strings.Join(strings.Fields(folded), " ")
}

// Fold is fold for the migration that fills in keys of older rows.
func Fold(name string) string { return fold(name) }

// notFound is the error for an id that names no record of the wanted type,
// whether it is malformed, of another type, or deleted.
func notFound(typ, id string) error {
	return gqlerr.New(gqlerr.NotFound, "no %s with id %q", typ, id)
}

// checkID returns NOT_FOUND unless id has the shape of a typ id.
func checkID(typ, id string) error {
	if ids.TypeOf(id) != typ {
		return notFound(typ, id)
	}
	return nil
}
