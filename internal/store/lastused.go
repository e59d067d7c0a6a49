package store

import (
	"context"

	"entgo.io/ent/dialect"
)

// moveLastUsed carries last-use times from the api_tokens columns of
// earlier versions into token_usage (internal/lastused), then drops those
// columns: the old NOT NULL sort key would refuse every new token. It runs
// after ent has created token_usage, and again harmlessly: a database
// without the old columns is left as it is. Instances racing here lose
// with a duplicate row or a column already dropped, and Migrate retries.
// Instances of an earlier version still running stop writing last use
// (and creating tokens) once it has run: upgrade all at once.
func (s *Store) moveLastUsed(ctx context.Context) error {
	var n int
	q := "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'api_tokens' AND COLUMN_NAME = 'last_used_sort'"
	if s.Dialect == dialect.SQLite {
		q = "SELECT COUNT(*) FROM pragma_table_info('api_tokens') WHERE name = 'last_used_sort'"
	}
	if err := s.DB.QueryRowContext(ctx, q).Scan(&n); err != nil || n == 0 {
		return err
	}
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO token_usage (id, last_used_at, last_used_ip, last_used_sort)
		SELECT t.id, t.last_used_at, t.last_used_ip, t.last_used_sort FROM api_tokens t
		WHERE t.last_used_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM token_usage u WHERE u.id = t.id)`); err != nil {
		return err
	}
	drops := []string{"ALTER TABLE api_tokens DROP INDEX apitoken_last_used_sort_id, DROP COLUMN last_used_sort, DROP COLUMN last_used_at, DROP COLUMN last_used_ip"}
	if s.Dialect == dialect.SQLite {
		drops = []string{
			"DROP INDEX IF EXISTS apitoken_last_used_sort_id",
			"ALTER TABLE api_tokens DROP COLUMN last_used_sort",
			"ALTER TABLE api_tokens DROP COLUMN last_used_at",
			"ALTER TABLE api_tokens DROP COLUMN last_used_ip",
		}
	}
	for _, d := range drops {
		if _, err := s.DB.ExecContext(ctx, d); err != nil {
			return err
		}
	}
	return nil
}
