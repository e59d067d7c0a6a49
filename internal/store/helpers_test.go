package store

import (
	"syscall"
	"time"
)

func nowUTC() time.Time { return time.Now().UTC() }

func syscallUmask(mask int) int { return syscall.Umask(mask) }
