// Command mixedload drives a running Latchkey with an open-loop mixed load
// (docs/PERFORMANCE.md, "SQLite under mixed load"): a fixed arrival rate,
// of which 80 % GET /auth/verify, 15 % token lists and 5 % mutations
// (creates, updates, revokes). Latency is measured from each request's
// scheduled start, so a stalled server cannot hide its queue. It samples
// the server's RSS, goroutines and open file descriptors from /metrics
// every second, and prints errors, percentiles and peaks. Exit status 1
// when any request failed.
//
//	go run ./scripts/mixedload -url http://127.0.0.1:18473 -admin "$SECRET" -rate 1000 -duration 60s
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:18473", "Latchkey's base URL")
	admin := flag.String("admin", "", "a FULL_ACCESS secret (e.g. the Bootstrap token)")
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 60*time.Second, "how long to send")
	maxOutstanding := flag.Int("max-outstanding", 2000, "requests in flight at most; a request due beyond it counts as an error")
	tokens := flag.Int("tokens", 100, "tokens the verifications use")
	flag.Parse()
	if *admin == "" || *rate < 1 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "mixedload: -admin, a positive -rate and -duration are required")
		os.Exit(2)
	}
	l := &load{base: strings.TrimSuffix(*base, "/"), admin: *admin, client: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: *maxOutstanding, IdleConnTimeout: 30 * time.Second},
	}}
	if err := l.setup(*tokens); err != nil {
		fmt.Fprintln(os.Stderr, "mixedload: setup:", err)
		os.Exit(1)
	}
	before := l.sample()
	fmt.Printf("== mixed load: %d req/s for %v (80 %% verify, 15 %% list, 5 %% mutations), %d verify tokens\n", *rate, *duration, *tokens)
	fmt.Printf("   before: RSS %.1f MB, %d goroutines, %d open fds\n", before.rssMB, before.goroutines, before.fds)
	res := l.run(*rate, *duration, *maxOutstanding)
	time.Sleep(5 * time.Second)
	after := l.sample()
	res.print()
	fmt.Printf("   peak during the load: RSS %.1f MB, %d goroutines, %d open fds\n", res.peak.rssMB, res.peak.goroutines, res.peak.fds)
	fmt.Printf("   5 s after:            RSS %.1f MB, %d goroutines, %d open fds\n", after.rssMB, after.goroutines, after.fds)
	if res.errors() > 0 {
		os.Exit(1)
	}
}

type load struct {
	base, admin string
	client      *http.Client
	verify      []string // secrets
	targets     []string // token ids that updates edit
	created     chan string
	seq         atomic.Int64
}

// setup creates the tokens the load uses.
func (l *load) setup(n int) error {
	l.created = make(chan string, 100000)
	for i := 0; i < n; i++ {
		out, err := l.gql(`mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { secret apiToken { id } } }`,
			map[string]any{"in": map[string]any{"name": fmt.Sprintf("mixedload verify %d %d", time.Now().UnixNano(), i), "type": "READ_ONLY"}})
		if err != nil {
			return err
		}
		l.verify = append(l.verify, out.Data.CreateAPIToken.Secret)
		if i < 20 {
			l.targets = append(l.targets, out.Data.CreateAPIToken.APIToken.ID)
		}
	}
	return nil
}

type gqlOut struct {
	Data struct {
		CreateAPIToken struct {
			Secret   string `json:"secret"`
			APIToken struct {
				ID string `json:"id"`
			} `json:"apiToken"`
		} `json:"createAPIToken"`
	} `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}

func (l *load) gql(query string, vars map[string]any) (*gqlOut, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, l.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.admin)
	res, err := l.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	var out gqlOut
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
	}
	if res.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		return nil, fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
	}
	return &out, nil
}

// The request classes.
const (
	verify = iota
	list
	mutate
	classes
)

var className = [classes]string{"verify", "list", "mutation"}

type results struct {
	mu        sync.Mutex
	latencies [classes][]time.Duration
	errs      map[string]int
	late      int
	sent      int
	took      time.Duration
	peak      sample
}

func (r *results) errors() int {
	n := r.late
	for _, c := range r.errs {
		n += c
	}
	return n
}

func (r *results) print() {
	fmt.Printf("   sent %d requests in %v (%.0f req/s)\n", r.sent, r.took.Round(time.Millisecond), float64(r.sent)/r.took.Seconds())
	fmt.Printf("   errors: %d", r.errors())
	if r.late > 0 {
		fmt.Printf(" (%d not sent: over -max-outstanding)", r.late)
	}
	keys := make([]string, 0, len(r.errs))
	for k := range r.errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("; %s: %d", k, r.errs[k])
	}
	fmt.Println()
	var all []time.Duration
	for c := 0; c < classes; c++ {
		all = append(all, r.latencies[c]...)
		printLatencies(className[c], r.latencies[c])
	}
	printLatencies("all", all)
}

func printLatencies(name string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	fmt.Printf("   %-9s n=%-6d p50 %-9v p90 %-9v p99 %-9v max %v\n", name, len(d), q(.50).Round(10*time.Microsecond), q(.90).Round(10*time.Microsecond), q(.99).Round(10*time.Microsecond), d[len(d)-1].Round(10*time.Microsecond))
}

// run sends rate requests a second for d, each at its scheduled time
// whatever the answers to earlier ones (open loop).
func (l *load) run(rate int, d time.Duration, maxOutstanding int) *results {
	r := &results{errs: map[string]int{}}
	rng := rand.New(rand.NewPCG(1, 2))
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				s := l.sample()
				r.mu.Lock()
				r.peak = r.peak.max(s)
				r.mu.Unlock()
			}
		}
	}()
	interval := time.Second / time.Duration(rate)
	total := int(d / interval)
	var outstanding atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		if outstanding.Load() >= int64(maxOutstanding) {
			r.mu.Lock()
			r.late++
			r.mu.Unlock()
			continue
		}
		class := mutate
		switch p := rng.IntN(100); {
		case p < 80:
			class = verify
		case p < 95:
			class = list
		}
		pick := rng.IntN(1 << 30)
		outstanding.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer outstanding.Add(-1)
			err := l.do(class, pick)
			lat := time.Since(due)
			r.mu.Lock()
			r.latencies[class] = append(r.latencies[class], lat)
			if err != "" {
				r.errs[className[class]+" "+err]++
			}
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	r.took = time.Since(start)
	r.sent = total - r.late
	close(stopSampling)
	sampling.Wait()
	return r
}

// do sends one request of the class; it returns "" or a short error kind.
func (l *load) do(class, pick int) string {
	var req *http.Request
	graphQL := true
	switch class {
	case verify:
		req, _ = http.NewRequest(http.MethodGet, l.base+"/auth/verify?contentType=api-token&action=read", nil)
		req.Header.Set("Authorization", "Bearer "+l.verify[pick%len(l.verify)])
		graphQL = false
	case list:
		req = l.post(`{ apiTokens(first: 20) { totalCount edges { node { id name status lastUsedAt } } } }`, nil)
	default:
		n := l.seq.Add(1)
		switch n % 5 {
		case 0, 1:
			req = l.post(`mutation($in: CreateAPITokenInput!) { createAPIToken(input: $in) { apiToken { id } } }`,
				map[string]any{"in": map[string]any{"name": fmt.Sprintf("mixedload %d %d", time.Now().UnixNano(), n), "type": "READ_ONLY"}})
		case 2, 3:
			req = l.post(`mutation($id: ID!, $d: String!) { updateAPIToken(id: $id, input: {description: $d}) { id } }`,
				map[string]any{"id": l.targets[pick%len(l.targets)], "d": fmt.Sprintf("load %d", n)})
		default:
			select {
			case id := <-l.created:
				req = l.post(`mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": id})
			default: // nothing created yet to revoke: update instead
				req = l.post(`mutation($id: ID!, $d: String!) { updateAPIToken(id: $id, input: {description: $d}) { id } }`,
					map[string]any{"id": l.targets[pick%len(l.targets)], "d": fmt.Sprintf("load %d", n)})
			}
		}
	}
	res, err := l.client.Do(req)
	if err != nil {
		if strings.Contains(err.Error(), "Timeout") || strings.Contains(err.Error(), "deadline") {
			return "timeout"
		}
		return "connection error"
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "HTTP " + strconv.Itoa(res.StatusCode)
	}
	if graphQL {
		var out gqlOut
		if json.Unmarshal(raw, &out) != nil {
			return "bad JSON"
		}
		if len(out.Errors) > 0 {
			return "GraphQL error"
		}
		if id := out.Data.CreateAPIToken.APIToken.ID; id != "" {
			select {
			case l.created <- id:
			default:
			}
		}
	}
	return ""
}

func (l *load) post(query string, vars map[string]any) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, l.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.admin)
	return req
}

// sample is what /metrics says about the server process.
type sample struct {
	rssMB      float64
	goroutines int
	fds        int
}

func (s sample) max(o sample) sample {
	return sample{rssMB: max(s.rssMB, o.rssMB), goroutines: max(s.goroutines, o.goroutines), fds: max(s.fds, o.fds)}
}

func (l *load) sample() sample {
	var s sample
	res, err := l.client.Get(l.base + "/metrics")
	if err != nil {
		return s
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			s.rssMB = v / (1 << 20)
		case "go_goroutines":
			s.goroutines = int(v)
		case "process_open_fds":
			s.fds = int(v)
		}
	}
	return s
}
