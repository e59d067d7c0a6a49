//go:build pprofdebug

package main

// Built only with -tags pprofdebug (docs/PERFORMANCE.md): serves
// net/http/pprof on LATCHKEY_PPROF_ADDR (default 127.0.0.1:6060), so that
// profiles can be taken of the real binary under wrk. Release builds have
// no profiling endpoint.

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"time"
)

func init() {
	addr := os.Getenv("LATCHKEY_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	runtime.SetMutexProfileFraction(5)
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.ListenAndServe() }()
}
