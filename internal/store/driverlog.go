package store

import (
	"context"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/internal/logthrottle"
)

// DriverLogs sends what the MySQL driver logs (a connection lost, a bad
// idle connection closed; by default plain lines on stderr, one per
// connection of the pool when the database goes away) to log as warnings,
// at most one a second per kind of message. The driver's logger is global:
// call this once, from main.
func DriverLogs(log zerolog.Logger) {
	_ = mysql.SetLogger(driverLogger{ctx: logthrottle.With(log.WithContext(context.Background()), logthrottle.New(time.Second))})
}

type driverLogger struct{ ctx context.Context }

func (l driverLogger) Print(v ...any) {
	msg := fmt.Sprint(v...)
	logthrottle.Event(l.ctx, zerolog.WarnLevel, "mysql driver: "+logthrottle.Shape(fmt.Errorf("%s", msg))).Str("component", "mysql driver").Msg(msg)
}
