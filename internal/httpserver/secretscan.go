package httpserver

import (
	"fmt"

	"entgo.io/ent/dialect"
	"golang.org/x/time/rate"

	"github.com/latchkeyhq/latchkey/internal/secretscan"
)

// Leak reports: at most reportRate a second (burst reportBurst) over all
// reporters; a scanner batches many secrets into one report.
const (
	reportRate  = 5
	reportBurst = 20
)

// secretScanning is the handler of POST /secret-scanning/report, with the
// keys of LATCHKEY_SECRET_SCANNING_KEYS (none: it answers 404).
func (s *Server) secretScanning() *secretscan.Handler {
	h := &secretscan.Handler{Client: s.store.Client, Admin: s.Admin, MySQL: s.store.Dialect == dialect.MySQL, Limit: rate.NewLimiter(reportRate, reportBurst)}
	if s.cfg.SecretScanningKeys != "" {
		keys, err := secretscan.LoadKeys(s.cfg.SecretScanningKeys)
		if err != nil {
			s.err = fmt.Errorf("LATCHKEY_SECRET_SCANNING_KEYS: %w", err)
		}
		h.Keys = keys
	}
	return h
}
