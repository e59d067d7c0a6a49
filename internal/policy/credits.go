package policy

import (
	"math"
	"time"
)

// Interval is how often credits are refilled: at 00:00 UTC every day
// (DAILY) or on the first of every month (MONTHLY).
type Interval string

const (
	Daily   Interval = "DAILY"
	Monthly Interval = "MONTHLY"
)

// RefillMode says what a refill does. RESET sets the balance to the refill
// amount, whatever was left (Unkey's refill): unused credits do not carry
// over. ADD adds the amount to what is left: unused credits carry over.
type RefillMode string

const (
	Reset RefillMode = "RESET"
	Add   RefillMode = "ADD"
)

// MaxCredits is the largest balance (GraphQL's Int).
const MaxCredits = math.MaxInt32

// Credits is a token's balance of uses as the database holds it: credits
// leased by instances (internal/credits) are already taken out of
// Remaining.
type Credits struct {
	Remaining      int64
	RefillAmount   int64 // 0: never refilled
	RefillInterval Interval
	RefillMode     RefillMode
	// LastRefillAt is the refill boundary last applied, or when the
	// balance was last set by an admin.
	LastRefillAt time.Time
	// Epoch changes whenever the balance is set or reset: leases taken from
	// an older balance are never returned to a newer one.
	Epoch int64
}

// boundaryAfter is the first refill boundary strictly after t.
func boundaryAfter(iv Interval, t time.Time) time.Time {
	t = t.UTC()
	if iv == Monthly {
		return time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
}

// NextRefill is when the balance is next refilled, if ever.
func (c *Credits) NextRefill() (time.Time, bool) {
	if c == nil || c.RefillAmount <= 0 {
		return time.Time{}, false
	}
	return boundaryAfter(c.RefillInterval, c.LastRefillAt), true
}

// Refilled applies the refills due by now: the balance then, the boundary
// last applied and how many refills were due (0: c is unchanged). Missed
// periods each count for ADD; RESET resets once.
func (c *Credits) Refilled(now time.Time) (remaining int64, last time.Time, due int) {
	next, ok := c.NextRefill()
	if !ok || now.Before(next) {
		return c.Remaining, c.LastRefillAt, 0
	}
	last = next
	due = 1
	switch c.RefillInterval {
	case Monthly:
		n := now.UTC()
		months := (n.Year()-next.Year())*12 + int(n.Month()-next.Month())
		due += months
		last = time.Date(next.Year(), next.Month()+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	default:
		days := int(now.Sub(next) / (24 * time.Hour))
		due += days
		last = next.AddDate(0, 0, days)
	}
	if c.RefillMode == Add {
		total := c.Remaining + int64(due)*c.RefillAmount
		if due > MaxCredits || total > MaxCredits || total < 0 {
			total = MaxCredits
		}
		return total, last, due
	}
	return c.RefillAmount, last, due
}
