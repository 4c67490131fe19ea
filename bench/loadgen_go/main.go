// Command loadgen is the benchmarks' HTTP load generator (bench/loadgen.py builds and runs it): a
// minimal keep-alive HTTP/1.1 client reading a JSON spec on stdin and writing a JSON result on stdout.
//
// Why Go and not Python: the load generator shares the machine's two cores with the server it
// measures, so every cycle it spends is taken from the figure. The asyncio client it replaces cost
// ~140 µs of CPU per request (a fifth of the two cores at the hybrid feed's saturation, and about
// nothing at the pure-pull baseline's: it skewed the ratio between them); this one costs a fraction
// of that (docs/BENCHMARKS.md, eleventh round). Only the standard library: nothing to download.
//
// Two shapes of load:
//   - fixed (rate set): open loop at an offered rate. Latency counts from each request's *scheduled*
//     time, so a server that falls behind is charged for the queue it causes (no coordinated omission).
//     Requests not sent, or not answered within drain_seconds after the phase, are counted as failed.
//   - saturate (no rate): closed loop, concurrency clients each sending the next request as soon as the
//     last one was answered: the throughput the server sustains.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type spec struct {
	URL          string   `json:"url"`
	Paths        []string `json:"paths"`
	Tokens       []string `json:"tokens"`
	Seconds      float64  `json:"seconds"`
	Concurrency  int      `json:"concurrency"`
	Rate         *float64 `json:"rate"` // requests/s offered; null = saturate
	Method       string   `json:"method"`
	Body         string   `json:"body"`
	Once         bool     `json:"once"` // stop after one request per token (each viewer acts once: likes)
	DrainSeconds float64  `json:"drain_seconds"`
}

type result struct {
	OK        int64            `json:"ok"`
	Failed    int64            `json:"failed"`
	Statuses  map[string]int64 `json:"statuses"`
	Latencies []float64        `json:"latencies"` // seconds, answered 2xx requests only
	Starts    []float64        `json:"starts"`    // seconds from the phase's start to each latency's request
	Elapsed   float64          `json:"elapsed"`
}

func (r *result) merge(o *result) {
	r.OK += o.OK
	r.Failed += o.Failed
	for status, n := range o.Statuses {
		r.Statuses[status] += n
	}
	r.Latencies = append(r.Latencies, o.Latencies...)
	r.Starts = append(r.Starts, o.Starts...)
}

func newResult() *result {
	return &result{Statuses: map[string]int64{}, Latencies: []float64{}, Starts: []float64{}}
}

var errNotHTTP = errors.New("response is not HTTP/1.x")

// conn is one keep-alive connection, owned by one goroutine; a dropped one is reopened by the next request.
type conn struct {
	addr     string
	hardStop time.Time // no read or write outlives the phase plus its drain
	c        net.Conn
	r        *bufio.Reader
}

func (k *conn) open() error {
	if k.c != nil {
		return nil
	}
	c, err := net.DialTimeout("tcp", k.addr, 5*time.Second)
	if err != nil {
		return err
	}
	if err := c.SetDeadline(k.hardStop); err != nil {
		c.Close()
		return err
	}
	k.c, k.r = c, bufio.NewReaderSize(c, 64<<10)
	return nil
}

func (k *conn) close() {
	if k.c != nil {
		k.c.Close()
		k.c, k.r = nil, nil
	}
}

// request writes one request and reads its answer: the status code (the body is read and dropped).
func (k *conn) request(raw []byte) (int, error) {
	if err := k.open(); err != nil {
		return 0, err
	}
	status, err := k.exchange(raw)
	if err != nil {
		k.close()
	}
	return status, err
}

func (k *conn) exchange(raw []byte) (int, error) {
	if _, err := k.c.Write(raw); err != nil {
		return 0, err
	}
	line, err := k.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	status, err := statusOf(line)
	if err != nil {
		return 0, err
	}
	length := 0
	for {
		line, err = k.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 { // the blank line ending the head
			break
		}
		if n, ok := contentLength(line); ok {
			length = n
		}
	}
	if _, err := k.r.Discard(length); err != nil {
		return 0, err
	}
	return status, nil
}

// statusOf reads the code of a status line ("HTTP/1.1 200 OK\r\n").
func statusOf(line []byte) (int, error) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, errNotHTTP
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errNotHTTP
	}
	return status, nil
}

var contentLengthName = []byte("content-length:")

// contentLength parses a "Content-Length: N" header line, any case.
func contentLength(line []byte) (int, bool) {
	if len(line) <= len(contentLengthName) || !bytes.EqualFold(line[:len(contentLengthName)], contentLengthName) {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(line[len(contentLengthName):])))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// requests hands out the spec's requests, cycling through paths and tokens.
type requests struct {
	s       *spec
	host    string
	counter atomic.Int64
}

// next appends the next request's bytes to buf; false once there is nothing left to send.
func (q *requests) next(buf []byte) ([]byte, bool) {
	n := q.counter.Add(1)
	if q.s.Once && n > int64(len(q.s.Tokens)) {
		return buf, false
	}
	path := q.s.Paths[n%int64(len(q.s.Paths))]
	token := q.s.Tokens[n%int64(len(q.s.Tokens))]
	buf = append(buf, q.s.Method...)
	buf = append(buf, ' ')
	buf = append(buf, path...)
	buf = append(buf, " HTTP/1.1\r\nHost: "...)
	buf = append(buf, q.host...)
	buf = append(buf, "\r\nAuthorization: Bearer "...)
	buf = append(buf, token...)
	buf = append(buf, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(q.s.Body)), 10)
	buf = append(buf, "\r\n\r\n"...)
	buf = append(buf, q.s.Body...)
	return buf, true
}

// client is one connection's loop and its share of the result.
type client struct {
	k     conn
	q     *requests
	res   *result
	buf   []byte
	start time.Time // the phase's
}

// one sends one request scheduled at the given time; false once there is nothing left to send.
func (c *client) one(scheduled time.Time) bool {
	var ok bool
	c.buf, ok = c.q.next(c.buf[:0])
	if !ok {
		return false
	}
	status, err := c.k.request(c.buf)
	if err != nil {
		c.res.Failed++
		return true
	}
	c.res.Statuses[strconv.Itoa(status)]++
	if status >= 200 && status < 300 {
		c.res.OK++
		c.res.Latencies = append(c.res.Latencies, time.Since(scheduled).Seconds())
		c.res.Starts = append(c.res.Starts, scheduled.Sub(c.start).Seconds())
	} else {
		c.res.Failed++
	}
	return true
}

func run(s *spec) (*result, error) {
	parts, err := url.Parse(s.URL)
	if err != nil {
		return nil, err
	}
	host := parts.Hostname()
	port := parts.Port()
	if port == "" {
		port = "80"
	}
	if len(s.Paths) == 0 || len(s.Tokens) == 0 || s.Concurrency < 1 || s.Seconds <= 0 {
		return nil, fmt.Errorf("spec needs paths, tokens, concurrency >= 1 and seconds > 0")
	}
	if s.Method == "" {
		s.Method = "GET"
	}
	drain := time.Duration(s.DrainSeconds * float64(time.Second))
	phase := time.Duration(s.Seconds * float64(time.Second))
	q := &requests{s: s, host: host}
	clients := make([]*client, s.Concurrency)
	// Every connection is open before the clock starts, as a client fleet's keep-alive connections are
	// (opened during the phase, they were charged to its first requests). One that fails to open is
	// tried again by its first request, and counted there if it fails.
	var wg sync.WaitGroup
	hardStopFar := time.Now().Add(phase + drain + 30*time.Second)
	for i := range clients {
		clients[i] = &client{k: conn{addr: net.JoinHostPort(host, port), hardStop: hardStopFar}, q: q, res: newResult()}
		wg.Add(1)
		go func(c *client) { defer wg.Done(); _ = c.k.open() }(clients[i])
	}
	wg.Wait()
	start := time.Now()
	deadline := start.Add(phase)
	for _, c := range clients {
		c.start = start
		c.k.hardStop = deadline.Add(drain)
		if c.k.c != nil {
			_ = c.k.c.SetDeadline(c.k.hardStop)
		}
	}
	total := newResult()
	if s.Rate == nil {
		for _, c := range clients {
			wg.Add(1)
			go func(c *client) {
				defer wg.Done()
				for time.Now().Before(deadline) && c.one(time.Now()) {
				}
				c.k.close()
			}(c)
		}
		wg.Wait()
	} else {
		interval := time.Duration(float64(time.Second) / *s.Rate)
		schedule := make(chan time.Time, int(*s.Rate*s.Seconds)+16)
		for _, c := range clients {
			wg.Add(1)
			go func(c *client) {
				defer wg.Done()
				for scheduled := range schedule {
					if time.Now().After(c.k.hardStop) { // the drain is over: what is left was never sent
						c.res.Failed++
						continue
					}
					c.one(scheduled)
				}
				c.k.close()
			}(c)
		}
		sent := 0
		tick := min(interval, 2*time.Millisecond)
		for now := time.Now(); now.Before(deadline); now = time.Now() {
			due := int(now.Sub(start)/interval) + 1
			for i := sent; i < due; i++ {
				schedule <- start.Add(time.Duration(i) * interval)
			}
			sent = due
			time.Sleep(tick)
		}
		close(schedule)
		wg.Wait()
	}
	total.Elapsed = time.Since(start).Seconds()
	for _, c := range clients {
		total.merge(c.res)
	}
	return total, nil
}

func main() {
	// One thread runs the clients: at the rates measured here it is a small share of one core, and
	// more threads would only add handoffs on a machine whose cores belong to the server.
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(400)
	var s spec
	if err := json.NewDecoder(os.Stdin).Decode(&s); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: bad spec:", err)
		os.Exit(2)
	}
	res, err := run(&s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: writing the result:", err)
		os.Exit(1)
	}
}
