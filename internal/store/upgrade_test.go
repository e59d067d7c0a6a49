package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/latchkeyhq/latchkey/ent/contenttype"
	"github.com/latchkeyhq/latchkey/ent/permission"
	"github.com/latchkeyhq/latchkey/internal/admin"
	"github.com/latchkeyhq/latchkey/internal/secret"
)

// A database seeded before the webhook content type existed gets it when
// an instance starts on it, once, even with several starting at once.
func TestSeedAddsNewSystemContentTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lk.db")
	ctx := context.Background()
	st, err := Open("sqlite://"+path, "pepper")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := &admin.Service{Hasher: secret.NewHasher(st.Pepper), Now: nowUTC}
	if _, err := Seed(ctx, st.Client, svc, ""); err != nil {
		t.Fatal(err)
	}
	// As an older version left it: no webhook content type.
	if _, err := st.Client.Permission.Delete().Where(permission.HasContentTypeWith(contenttype.UID("webhook"))).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Client.ContentType.Delete().Where(contenttype.UID("webhook")).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			other, err := Open("sqlite://"+path, "pepper")
			if err != nil {
				errs <- err
				return
			}
			defer other.Close()
			b, err := Seed(ctx, other.Client, &admin.Service{Hasher: secret.NewHasher(other.Pepper), Now: nowUTC}, "")
			if b != nil {
				t.Error("a seeded database was seeded again")
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ct, err := st.Client.ContentType.Query().Where(contenttype.UID("webhook")).Only(ctx)
	if err != nil || !ct.System || len(ct.Actions) != 5 {
		t.Fatalf("webhook content type: %+v %v", ct, err)
	}
	if n, _ := st.Client.Permission.Query().Where(permission.ContentTypeID(ct.ID)).Count(ctx); n != 5 {
		t.Fatalf("%d webhook permissions", n)
	}
	// An admin's own content type with the uid stops the start, with a reason.
	if _, err := st.Client.Permission.Delete().Where(permission.ContentTypeID(ct.ID)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Client.ContentType.UpdateOneID(ct.ID).SetSystem(false).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Seed(ctx, st.Client, svc, ""); err == nil {
		t.Fatal("an admin's content type named webhook was taken over")
	}
}
