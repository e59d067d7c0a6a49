package auth

// Pending counts the tokens whose last use is noted but not written yet
// (internal/flush reports them as lost when the final flush fails).
func (r *Recorder) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}
