package httpserver

import (
	"github.com/latchkeyhq/latchkey/internal/flush"
	"github.com/latchkeyhq/latchkey/internal/usage"
)

// Flushes are what this instance keeps in memory and writes in batches:
// flushed periodically while it serves and once more at shutdown. Later
// counters add their job here.
func (s *Server) Flushes() []flush.Job {
	return []flush.Job{
		{Name: "last-used times", Writer: s.Recorder, Every: s.cfg.LastUsedFlushEvery},
		{Name: "usage counts", Writer: s.Usage, Every: s.cfg.LastUsedFlushEvery},
		{Name: "usage retention", Writer: usage.Sweeper{R: s.Usage}, Every: s.cfg.LastUsedFlushEvery},
	}
}
