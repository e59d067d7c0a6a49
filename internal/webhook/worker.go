package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/webhookdelivery"
	"github.com/latchkeyhq/latchkey/ent/webhookendpoint"
	"github.com/latchkeyhq/latchkey/ent/webhookevent"
	"github.com/latchkeyhq/latchkey/internal/txretry"
)

// Delivery policy.
const (
	// GiveUpAfter is how long a delivery is retried before it is FAILED.
	GiveUpAfter = 3 * 24 * time.Hour
	// firstRetry is the delay after the first failed attempt; each further
	// failure doubles it, up to maxRetry, with jitter.
	firstRetry = 30 * time.Second
	maxRetry   = 12 * time.Hour
	// maxErrorLen bounds last_error.
	maxErrorLen = 255
	// sweepBatch bounds one retention or expiry sweep.
	sweepBatch = 500
	// dbTimeout bounds the database work of one poll, and the recording
	// of one attempt.
	dbTimeout = 30 * time.Second
)

// Headers of a delivery.
const (
	SignatureHeader = "Latchkey-Signature"
	EventIDHeader   = "Latchkey-Event-Id"
	EventTypeHeader = "Latchkey-Event-Type"
	DeliveryHeader  = "Latchkey-Delivery-Id"
)

// Worker delivers pending deliveries. Every instance runs one; a delivery
// is tried by one instance at a time, the one holding its lease (a
// conditional UPDATE, so it works alike on MySQL/MariaDB and SQLite). An
// instance that dies mid-delivery leaves a lease that expires, and another
// instance (or the restarted one) tries again: delivery is at least once,
// and receivers de-duplicate by the Latchkey-Event-Id header.
type Worker struct {
	Client  *ent.Client
	Secrets Secrets
	// Now is the clock of due times, leases and signatures.
	Now func() time.Time
	// Instance names this instance in leases.
	Instance string
	// MySQL makes sweeps use READ COMMITTED transactions.
	MySQL bool
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration
	// Concurrency bounds the attempts in flight (and so the claimed queue).
	Concurrency int
	// Retention is how long finished deliveries and their events are kept.
	Retention time.Duration
	Log       zerolog.Logger

	once   sync.Once
	client *http.Client
	slots  chan struct{}
	retry  txretry.Policy // recording an attempt that lost a conflict
	wg     sync.WaitGroup
	// jitter returns a factor in [0.5, 1).
	jitter func() float64
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Concurrency < 1 {
			w.Concurrency = 1
		}
		if w.Timeout <= 0 {
			w.Timeout = 10 * time.Second
		}
		w.slots = make(chan struct{}, w.Concurrency)
		dialer := &net.Dialer{Timeout: w.Timeout, KeepAlive: 30 * time.Second}
		w.client = &http.Client{
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           dialer.DialContext,
				TLSHandshakeTimeout:   w.Timeout,
				ResponseHeaderTimeout: w.Timeout,
				MaxIdleConnsPerHost:   2,
				IdleConnTimeout:       90 * time.Second,
			},
			// A redirect could lead a delivery somewhere the admin never
			// configured (e.g. an internal address); it counts as a failure.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		if w.jitter == nil {
			w.jitter = func() float64 { return 0.5 + rand.Float64()/2 }
		}
	})
}

// lease is how long a claim lasts: longer than any attempt can take.
func (w *Worker) lease() time.Duration { return 2*w.Timeout + 5*time.Second }

func (w *Worker) now() time.Time { return w.Now().UTC().Truncate(time.Microsecond) }

// Run polls for due deliveries every interval and sweeps every sweepEvery
// until ctx ends, then waits for the attempts in flight.
func (w *Worker) Run(ctx context.Context, interval, sweepEvery time.Duration) {
	w.init()
	defer w.wg.Wait()
	t := time.NewTicker(interval)
	defer t.Stop()
	var swept time.Time
	for {
		// Every round has a deadline: a database that stops answering must
		// not stop the worker for good.
		pctx, cancel := context.WithTimeout(ctx, dbTimeout)
		if err := w.poll(pctx, ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn().Err(err).Msg("webhooks: polling for due deliveries")
		}
		cancel()
		if time.Since(swept) >= sweepEvery {
			swept = time.Now()
			sctx, cancel := context.WithTimeout(ctx, 2*dbTimeout)
			if err := w.Sweep(sctx); err != nil && ctx.Err() == nil {
				w.Log.Warn().Err(err).Msg("webhooks: sweeping")
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll claims as many due deliveries as there are free slots and starts
// an attempt for each. The attempts run until done or until stop ends.
func (w *Worker) Poll(ctx context.Context) error { return w.poll(ctx, context.Background()) }

func (w *Worker) poll(ctx, stop context.Context) error {
	w.init()
	free := cap(w.slots) - len(w.slots)
	if free == 0 {
		return nil
	}
	now := w.now()
	due, err := w.Client.WebhookDelivery.Query().
		Where(
			webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING),
			webhookdelivery.NextAttemptAtLTE(now),
			webhookdelivery.Or(webhookdelivery.LeaseUntilIsNil(), webhookdelivery.LeaseUntilLT(now)),
			webhookdelivery.HasEndpointWith(webhookendpoint.Enabled(true)),
		).
		Order(ent.Asc(webhookdelivery.FieldNextAttemptAt), ent.Asc(webhookdelivery.FieldID)).
		Limit(2 * free).
		All(ctx)
	if err != nil {
		return err
	}
	for _, d := range due {
		if free == 0 {
			break
		}
		until := now.Add(w.lease())
		n, err := w.Client.WebhookDelivery.Update().
			Where(
				webhookdelivery.ID(d.ID),
				webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING),
				webhookdelivery.Or(webhookdelivery.LeaseUntilIsNil(), webhookdelivery.LeaseUntilLT(now)),
			).
			SetLeaseUntil(until).SetLeasedBy(w.Instance).
			Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			continue // another instance claimed it first
		}
		free--
		w.slots <- struct{}{}
		w.wg.Add(1)
		go func(d *ent.WebhookDelivery) {
			defer func() { <-w.slots; w.wg.Done() }()
			if err := w.attempt(stop, d); err != nil {
				w.Log.Warn().Err(err).Str("delivery_id", d.ID).Msg("webhooks: recording a delivery attempt")
			}
		}(d)
	}
	return nil
}

// outcome is what one attempt found.
type outcome struct {
	ok   bool
	code *int
	err  string
}

// attempt tries a claimed delivery once. When ctx ends first (shutdown),
// the attempt is not counted and the lease is given back at once, so that
// another instance need not wait for it to expire.
func (w *Worker) attempt(ctx context.Context, d *ent.WebhookDelivery) error {
	// Recording the outcome must not fail because the attempt was cut short.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbTimeout)
	defer cancel()
	read, cancelRead := context.WithTimeout(ctx, dbTimeout)
	defer cancelRead()
	ep, err := w.Client.WebhookEndpoint.Get(read, d.EndpointID)
	if err != nil {
		return w.release(rec, d, err)
	}
	ev, err := w.Client.WebhookEvent.Query().Where(webhookevent.ID(d.EventID)).Only(read)
	switch {
	case ent.IsNotFound(err):
		return w.finish(rec, d, ep, outcome{err: "the event is no longer kept"}, true)
	case err != nil:
		return w.release(rec, d, err)
	}
	out := w.send(ctx, ep, d, []byte(ev.Payload))
	if ctx.Err() != nil && out.code == nil {
		// Cut short before the receiver answered: not an attempt. One
		// that answered is recorded, or it would be sent again.
		return w.release(rec, d, nil)
	}
	return w.finish(rec, d, ep, out, false)
}

// release gives a lease back without counting an attempt.
func (w *Worker) release(ctx context.Context, d *ent.WebhookDelivery, cause error) error {
	_, err := w.Client.WebhookDelivery.Update().
		Where(webhookdelivery.ID(d.ID), webhookdelivery.LeasedBy(w.Instance)).
		ClearLeaseUntil().SetLeasedBy("").Save(ctx)
	return errors.Join(cause, err)
}

// send makes one HTTP attempt.
func (w *Worker) send(ctx context.Context, ep *ent.WebhookEndpoint, d *ent.WebhookDelivery, body []byte) outcome {
	rctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return outcome{err: "bad endpoint URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Latchkey-Webhooks/1")
	req.Header.Set(EventIDHeader, d.EventID)
	req.Header.Set(EventTypeHeader, d.Event)
	req.Header.Set(DeliveryHeader, d.ID)
	req.Header.Set(SignatureHeader, Signature(w.Secrets.For(ep.SecretSalt), w.Now(), body))
	res, err := w.client.Do(req)
	if err != nil {
		msg := "request failed"
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
			msg = fmt.Sprintf("no answer within %s", w.Timeout)
		case errors.Is(err, context.Canceled):
			msg = "cancelled"
		default:
			var oe *net.OpError
			if errors.As(err, &oe) {
				msg = "connection failed: " + oe.Op
			}
		}
		return outcome{err: msg}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	code := res.StatusCode
	if code >= 200 && code < 300 {
		return outcome{ok: true, code: &code}
	}
	return outcome{code: &code, err: fmt.Sprintf("answered HTTP %d", code)}
}

// finish records an attempt, if this instance still holds the lease. A
// lost conflict (deadlock, lock wait, Galera certification) is tried again
// (txretry): an attempt that reached the receiver but was not recorded
// would be sent again when its lease passes.
func (w *Worker) finish(ctx context.Context, d *ent.WebhookDelivery, ep *ent.WebhookEndpoint, out outcome, giveUp bool) error {
	now := w.now()
	var n int
	err := w.retry.Do(ctx, func(ctx context.Context) (err error) {
		n, err = w.recordAttempt(ctx, d, out, giveUp, now)
		return err
	})
	if err != nil || n == 0 {
		return err // n == 0: the lease passed to another instance, whose result stands
	}
	return w.retry.Do(ctx, func(ctx context.Context) error {
		health := w.Client.WebhookEndpoint.UpdateOneID(ep.ID).SetLastAttemptAt(now).SetLastAttemptOk(out.ok).SetNillableLastResponseCode(out.code)
		if out.code == nil {
			health.ClearLastResponseCode()
		}
		if out.ok {
			health.SetConsecutiveFailures(0)
		} else {
			health.AddConsecutiveFailures(1)
		}
		if err := health.Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return err
		}
		return nil
	})
}

// recordAttempt writes one attempt's outcome on delivery d, if this
// instance still holds its lease: the rows it changed (0 or 1).
func (w *Worker) recordAttempt(ctx context.Context, d *ent.WebhookDelivery, out outcome, giveUp bool, now time.Time) (int, error) {
	upd := w.Client.WebhookDelivery.Update().
		Where(webhookdelivery.ID(d.ID), webhookdelivery.LeasedBy(w.Instance), webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING)).
		AddAttempts(1).SetNillableLastResponseCode(out.code).SetLastError(truncate(out.err, maxErrorLen)).
		ClearLeaseUntil().SetLeasedBy("")
	if out.code == nil {
		upd.ClearLastResponseCode()
	}
	switch {
	case out.ok:
		upd.SetStatus(webhookdelivery.StatusDELIVERED).SetDeliveredAt(now)
	default:
		next := now.Add(w.backoff(d.Attempts + 1)).Truncate(time.Microsecond)
		if giveUp || next.Sub(d.CreatedAt) > GiveUpAfter {
			upd.SetStatus(webhookdelivery.StatusFAILED)
		} else {
			upd.SetNextAttemptAt(next)
		}
	}
	return upd.Save(ctx)
}

// backoff is the delay after the n-th failed attempt: 30 s doubling up to
// 12 h, times a random factor in [0.5, 1).
func (w *Worker) backoff(n int) time.Duration {
	d := firstRetry
	for i := 1; i < n && d < maxRetry; i++ {
		d *= 2
	}
	d = min(d, maxRetry)
	return time.Duration(float64(d) * w.jitter())
}

// Sweep emits expiry events, gives up on deliveries too old to retry and
// deletes what is past retention.
func (w *Worker) Sweep(ctx context.Context) error {
	w.init()
	return errors.Join(w.SweepExpiry(ctx), w.sweepRetention(ctx))
}

func (w *Worker) sweepRetention(ctx context.Context) error {
	now := w.now()
	// Pending deliveries that waited 3 days (a disabled endpoint's) fail.
	if _, err := w.Client.WebhookDelivery.Update().
		Where(
			webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING),
			webhookdelivery.CreatedAtLT(now.Add(-GiveUpAfter)),
			webhookdelivery.Or(webhookdelivery.LeaseUntilIsNil(), webhookdelivery.LeaseUntilLT(now)),
		).
		SetStatus(webhookdelivery.StatusFAILED).SetLastError("not delivered within 3 days").
		Save(ctx); err != nil {
		return err
	}
	if w.Retention <= 0 {
		return nil
	}
	cutoff := now.Add(-w.Retention)
	old, err := w.Client.WebhookDelivery.Query().
		Where(webhookdelivery.StatusNEQ(webhookdelivery.StatusPENDING), webhookdelivery.CreatedAtLT(cutoff)).
		Limit(sweepBatch).IDs(ctx)
	if err != nil {
		return err
	}
	if len(old) > 0 {
		if _, err := w.Client.WebhookDelivery.Delete().Where(webhookdelivery.IDIn(old...)).Exec(ctx); err != nil {
			return err
		}
	}
	// Events go once no delivery of theirs is left.
	evs, err := w.Client.WebhookEvent.Query().Where(webhookevent.CreatedAtLT(cutoff)).Limit(sweepBatch).IDs(ctx)
	if err != nil || len(evs) == 0 {
		return err
	}
	kept, err := w.Client.WebhookDelivery.Query().Where(webhookdelivery.EventIDIn(evs...)).
		Select(webhookdelivery.FieldEventID).Strings(ctx)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, id := range kept {
		keep[id] = true
	}
	var gone []string
	for _, id := range evs {
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 {
		if _, err := w.Client.WebhookEvent.Delete().Where(webhookevent.IDIn(gone...)).Exec(ctx); err != nil {
			return err
		}
	}
	return w.pruneNotices(ctx, cutoff)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
