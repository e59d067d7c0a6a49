package auth_test

import (
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/testserver"
)

func hasherOf(s *testserver.Server) secret.Hasher { return secret.NewHasher(s.Store.Pepper) }
