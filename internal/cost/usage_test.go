package cost_test

import (
	"fmt"
	"testing"
)

// Usage series are priced by their most points, and a ranking by its first
// argument (given or default), not by the largest ranking there may be.
func TestUsageCosts(t *testing.T) {
	const top = `{ topAPITokens(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z"%s) { requests apiToken { roles { id } } } }`
	def, five, most := price(t, fmt.Sprintf(top, ""), nil), price(t, fmt.Sprintf(top, ", first: 5"), nil), price(t, fmt.Sprintf(top, ", first: 100"), nil)
	if !(five < def && def < most) {
		t.Errorf("topAPITokens: first 5 costs %d, default (10) %d, first 100 %d", five, def, most)
	}
	series := price(t, `{ viewer { apiToken { usage(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", interval: MINUTE) { points { at counts { allowed } } } } } }`, nil)
	if series < 1440*2 {
		t.Errorf("a series costs %d: less than its 1440 possible points", series)
	}
}
