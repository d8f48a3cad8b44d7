package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// genConfig is the load generator's job, passed as JSON in its argument.
type genConfig struct {
	// Mode is "echo" (closed-loop round trips), "bulk" (each connection
	// writes Size-byte chunks and reads the echo, both at full speed),
	// "udp" (closed-loop datagram round trips, one socket per client) or
	// "idle" (hold the connections).
	Mode      string        `json:"mode"`
	Addr      string        `json:"addr"`
	Conns     int           `json:"conns"`
	Size      int           `json:"size"`
	Warmup    time.Duration `json:"warmup"`
	Duration  time.Duration `json:"duration"`
	ServerPID int           `json:"server_pid"` // whose CPU time to read over the window
	// Flood adds one connection that writes and reads at full speed
	// beside the measured ones (echo mode).
	Flood bool `json:"flood"`
	// Lines makes every request a line of text ending in "\n" (echo
	// mode), for servers that read lines.
	Lines bool `json:"lines"`
	// LongLine, when not 0, adds one connection that sends lines of this
	// many bytes (the last one "\n") and reads each echo back, beside the
	// measured ones (echo mode).
	LongLine int `json:"long_line"`
}

// genResult is what the generator reports, as JSON on its last line of
// output.
type genResult struct {
	Requests  int64   `json:"requests"`   // round trips completed in the window
	Seconds   float64 `json:"seconds"`    // the window's length
	P50       float64 `json:"p50_us"`     // round-trip latency percentiles, µs
	P99       float64 `json:"p99_us"`     //
	ServerCPU float64 `json:"server_cpu"` // server CPU seconds in the window
	ServerUsr float64 `json:"server_usr"` // the part of it in user space
	GenCPU    float64 `json:"gen_cpu"`    // generator CPU seconds in the window
	AllCPU    float64 `json:"all_cpu"`    // CPU seconds every process used in the window
	// ServerFaults: the server's minor page faults in the window.
	ServerFaults int64 `json:"server_faults"`
	// Total is the round trips (bulk: bytes) of the whole run, warm-up
	// included: what a profile of the server over the run divides by.
	Total int64 `json:"total"`
	Lost  int64 `json:"lost"` // udp: datagrams whose echo did not come in time
	// LongLines: the long lines echoed whole over the run (LongLine).
	LongLines int64 `json:"long_lines"`
}

// Generator phases: round trips in the warm-up are not counted.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// genMain is the load generator process: it runs one job and prints its
// result, or an error and exit code 1.
func genMain(args []string) int {
	var cfg genConfig
	if len(args) != 1 || json.Unmarshal([]byte(args[0]), &cfg) != nil {
		fmt.Fprintln(os.Stderr, "gen: want one JSON argument")
		return 2
	}
	raiseNoFile(0)
	var res *genResult
	var err error
	switch cfg.Mode {
	case "echo":
		res, err = genEcho(cfg)
	case "bulk":
		res, err = genBulk(cfg)
	case "udp":
		res, err = genUDP(cfg)
	case "idle":
		err = genIdle(cfg)
		res = &genResult{}
	default:
		err = fmt.Errorf("unknown mode %q", cfg.Mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		return 1
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return 0
}

// dialAll opens n connections to addr, a few dozen handshakes at a time so
// that the server's accept queue never overflows.
func dialAll(addr string, n int) ([]*net.TCPConn, error) {
	conns := make([]*net.TCPConn, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("connection %d: %w", i, err)
				}
				mu.Unlock()
				return
			}
			conns[i] = c.(*net.TCPConn)
		}()
	}
	wg.Wait()
	if first != nil {
		closeAll(conns)
		return nil, first
	}
	return conns, nil
}

func closeAll(conns []*net.TCPConn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// fillRequest writes request seq of connection id into req: the two
// numbers, then bytes that depend on both, so that a byte echoed from the
// wrong request or connection, or out of place, fails the check.
func fillRequest(req []byte, id int, seq uint64) {
	var hdr [16]byte
	binary.LittleEndian.PutUint64(hdr[0:], uint64(id))
	binary.LittleEndian.PutUint64(hdr[8:], seq)
	n := copy(req, hdr[:])
	x := uint32(id)*2654435761 + uint32(seq)*40503
	for i := n; i < len(req); i++ {
		x = x*1664525 + 1013904223
		req[i] = byte(x >> 24)
	}
}

// roundTrip sends req and reads its echo into resp, checking every byte.
func roundTrip(c *net.TCPConn, req, resp []byte) error {
	if _, err := c.Write(req); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, resp); err != nil {
		return err
	}
	if !bytes.Equal(req, resp) {
		return errors.New("echoed bytes differ from the request")
	}
	return nil
}

// genEcho runs closed-loop round trips on every connection: each sends a
// request, waits for its whole echo, checks it, and sends the next.
func genEcho(cfg genConfig) (*genResult, error) {
	conns, err := dialAll(cfg.Addr, cfg.Conns)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	if cfg.Flood {
		stop, err := flood(cfg.Addr)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	var longLines atomic.Int64
	if cfg.LongLine > 0 {
		stop, err := longLiner(cfg.Addr, cfg.LongLine, &longLines)
		if err != nil {
			return nil, err
		}
		defer stop()
	}

	var phase atomic.Int32
	var total atomic.Int64
	lat := make([][]uint32, len(conns)) // per connection, ns
	errs := make(chan error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := make([]byte, cfg.Size), make([]byte, cfg.Size)
			for seq := uint64(0); ; seq++ {
				p := phase.Load()
				if p == phaseStop {
					return
				}
				fillRequest(req, i, seq)
				if cfg.Lines {
					asLine(req)
				}
				t0 := time.Now()
				if err := roundTrip(c, req, resp); err != nil {
					errs <- fmt.Errorf("connection %d, request %d: %w", i, seq, err)
					return
				}
				d := time.Since(t0)
				total.Add(1)
				// A round trip counts if it began in the window; with a
				// hostile client one that ends after it (a server frozen
				// past the window) counts too: its wait is the figure.
				if p == phaseMeasure && (cfg.LongLine > 0 || phase.Load() == phaseMeasure) {
					lat[i] = append(lat[i], uint32(min(d, time.Duration(1<<32-1))))
				}
			}
		}()
	}

	w, err := runWindow(cfg, &phase, errs, func() {
		for _, c := range conns {
			c.SetDeadline(time.Now().Add(10 * time.Second))
		}
		wg.Wait()
	})
	if err != nil {
		return nil, err
	}
	var all []uint32
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return nil, errors.New("no round trip completed in the measured window")
	}
	w.Requests = int64(len(all))
	w.Total = total.Load()
	w.LongLines = longLines.Load()
	if cfg.LongLine > 0 && w.LongLines == 0 {
		return nil, fmt.Errorf("no %d-byte line was echoed during the run", cfg.LongLine)
	}
	setPercentiles(w, all)
	return w, nil
}

// setPercentiles sets r's p50 and p99 from latencies in ns (sorted here).
func setPercentiles(r *genResult, all []uint32) {
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))]) / 1e3
	}
	r.P50, r.P99 = pct(0.50), pct(0.99)
}

// cpuSnap is the CPU time used so far by the server, the generator and
// every process.
type cpuSnap struct {
	srvUsr, srvSys, genUsr, genSys, all time.Duration
	srvFaults                           int64 // the server's minor page faults
}

func snapCPU(serverPID int) (cpuSnap, error) {
	var s cpuSnap
	var err1, err2, err3 error
	s.srvUsr, s.srvSys, s.srvFaults, err1 = procTimes(serverPID)
	s.genUsr, s.genSys, err2 = cpuTime(os.Getpid())
	s.all, err3 = busyTime()
	return s, errors.Join(err1, err2, err3)
}

// runWindow waits out the warm-up, opens the measured window (phase),
// closes it after cfg.Duration and stops the workers (stop), and returns
// the CPU used in the window, or the first error a worker sent on errs.
func runWindow(cfg genConfig, phase *atomic.Int32, errs chan error, stop func()) (*genResult, error) {
	failed := func() error {
		select {
		case err := <-errs:
			return err
		default:
			return nil
		}
	}
	stopAll := func() {
		phase.Store(phaseStop)
		stop()
	}
	time.Sleep(cfg.Warmup)
	if err := failed(); err != nil {
		stopAll()
		return nil, err
	}
	s0, err := snapCPU(cfg.ServerPID)
	if err != nil {
		stopAll()
		return nil, err
	}
	t0 := time.Now()
	phase.Store(phaseMeasure)
	time.Sleep(cfg.Duration)
	phase.Store(phaseStop)
	elapsed := time.Since(t0)
	s1, err := snapCPU(cfg.ServerPID)
	stopAll()
	if err := errors.Join(failed(), err); err != nil {
		return nil, err
	}
	return &genResult{
		Seconds:   elapsed.Seconds(),
		ServerCPU: (s1.srvUsr + s1.srvSys - s0.srvUsr - s0.srvSys).Seconds(),
		ServerUsr: (s1.srvUsr - s0.srvUsr).Seconds(),
		GenCPU:    (s1.genUsr + s1.genSys - s0.genUsr - s0.genSys).Seconds(),
		AllCPU:    (s1.all - s0.all).Seconds(),

		ServerFaults: s1.srvFaults - s0.srvFaults,
	}, nil
}

// bulkPattern is what every bulk connection sends, over and over: the
// byte at stream offset k is bulkPattern[k % len], so the reader checks
// each byte it gets at memcmp speed.
func bulkPattern(size int) []byte {
	p := make([]byte, size)
	fillRequest(p, 0, 0)
	return p
}

// genBulk runs cfg.Conns connections that each write cfg.Size-byte chunks
// and read the echo, both at full speed; a round trip is a byte here:
// Requests is the bytes echoed in the window, every one checked.
func genBulk(cfg genConfig) (*genResult, error) {
	conns, err := dialAll(cfg.Addr, cfg.Conns)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	pat := bulkPattern(cfg.Size)
	var phase atomic.Int32
	var inWindow, total atomic.Int64
	errs := make(chan error, 2*len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			for phase.Load() != phaseStop {
				if _, err := c.Write(pat); err != nil {
					if phase.Load() != phaseStop {
						errs <- fmt.Errorf("connection %d: write: %w", i, err)
					}
					return
				}
			}
		})
		wg.Go(func() {
			buf := make([]byte, 64<<10)
			off := 0 // stream offset modulo len(pat)
			for {
				n, err := c.Read(buf)
				for got := buf[:n]; len(got) > 0; {
					k := min(len(got), len(pat)-off)
					if !bytes.Equal(got[:k], pat[off:off+k]) {
						errs <- fmt.Errorf("connection %d: echoed bytes differ from the stream sent", i)
						return
					}
					got, off = got[k:], (off+k)%len(pat)
				}
				total.Add(int64(n))
				if phase.Load() == phaseMeasure {
					inWindow.Add(int64(n))
				}
				if err != nil {
					if phase.Load() != phaseStop {
						errs <- fmt.Errorf("connection %d: read: %w", i, err)
					}
					return
				}
			}
		})
	}
	w, err := runWindow(cfg, &phase, errs, func() {
		closeAll(conns)
		wg.Wait()
	})
	if err != nil {
		return nil, err
	}
	if w.Requests = inWindow.Load(); w.Requests == 0 {
		return nil, errors.New("no byte echoed in the measured window")
	}
	w.Total = total.Load()
	return w, nil
}

// udpTimeout is how long a UDP client waits for an echo before it counts
// the datagram lost and sends the next. Long against a round trip (tens
// of µs to a few ms), so that a server descheduled for a while by other
// work does not see every client give up and resend at once.
const udpTimeout = 500 * time.Millisecond

// genUDP runs cfg.Conns UDP clients, each with its own socket, in a closed
// loop: send a cfg.Size-byte datagram, wait for its echo, check it, send
// the next. A datagram whose echo has not come within udpTimeout counts
// as lost and the client goes on with the next; a late echo of an earlier
// one is skipped, and so is one of an earlier generator's client that had
// the same port (a slow server still answers a round that has ended): each
// run's requests carry a nonce in their connection number.
func genUDP(cfg genConfig) (*genResult, error) {
	raddr, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	conns := make([]*net.UDPConn, cfg.Conns)
	for i := range conns {
		if conns[i], err = net.DialUDP("udp", nil, raddr); err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			return nil, err
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	nonce := uint64(time.Now().UnixNano()) << 32
	var phase atomic.Int32
	var total, lost atomic.Int64
	lat := make([][]uint32, len(conns))
	errs := make(chan error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			req, resp := make([]byte, cfg.Size), make([]byte, cfg.Size+1)
			for seq := uint64(0); ; seq++ {
				p := phase.Load()
				if p == phaseStop {
					return
				}
				id := nonce | uint64(i)
				fillRequest(req, int(id), seq)
				t0 := time.Now()
				if _, err := c.Write(req); err != nil {
					errs <- fmt.Errorf("client %d, datagram %d: %w", i, seq, err)
					return
				}
				c.SetReadDeadline(t0.Add(udpTimeout))
				for {
					n, err := c.Read(resp)
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						lost.Add(1)
						break
					}
					if err != nil {
						if phase.Load() != phaseStop {
							errs <- fmt.Errorf("client %d, datagram %d: %w", i, seq, err)
						}
						return
					}
					if bytes.Equal(resp[:n], req) {
						total.Add(1)
						if p == phaseMeasure && phase.Load() == phaseMeasure {
							lat[i] = append(lat[i], uint32(min(time.Since(t0), time.Duration(1<<32-1))))
						}
						break
					}
					if n >= 16 && binary.LittleEndian.Uint64(resp[0:])&^0xffffffff != nonce {
						continue // an earlier run's datagram: read on
					}
					if n != len(req) || binary.LittleEndian.Uint64(resp[0:]) != id || binary.LittleEndian.Uint64(resp[8:]) >= seq {
						errs <- fmt.Errorf("client %d, datagram %d: echoed bytes differ from the request", i, seq)
						return
					}
					// the late echo of an earlier datagram: read on
				}
			}
		})
	}
	w, err := runWindow(cfg, &phase, errs, func() {
		for _, c := range conns {
			c.SetReadDeadline(time.Now())
		}
		wg.Wait()
	})
	if err != nil {
		return nil, err
	}
	var all []uint32
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return nil, errors.New("no datagram echoed in the measured window")
	}
	w.Requests, w.Total, w.Lost = int64(len(all)), total.Load(), lost.Load()
	setPercentiles(w, all)
	return w, nil
}

// flood opens a connection to addr that writes 256 KiB chunks and reads
// what comes back, both at full speed, so that the server's side of it
// always has data to read and room to write: a thread serving it never
// waits. stop closes it.
func flood(addr string) (stop func(), err error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("flooding connection: %w", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		chunk := make([]byte, 256<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	wg.Go(func() { io.Copy(io.Discard, c) })
	return func() {
		c.Close()
		wg.Wait()
	}, nil
}

// asLine turns a request made by fillRequest into a line of text: each
// byte a lower-case letter that still depends on the request's bytes, the
// last one "\n".
func asLine(req []byte) {
	for i := range req {
		req[i] = 'a' + req[i]%26
	}
	req[len(req)-1] = '\n'
}

// longLiner opens a connection to addr that sends lines of n bytes, the
// first n-1 of them letters, in 1 MiB writes, and reads each echo back
// whole before sending the next: the hostile client of the long-line row,
// whose every line a line-reading server must gather before it can answer.
// Each line echoed whole counts in done. stop closes the connection.
func longLiner(addr string, n int, done *atomic.Int64) (stop func(), err error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("long-line connection: %w", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		line := bytes.Repeat([]byte{'x'}, n)
		line[n-1] = '\n'
		back := make([]byte, n)
		for {
			for off := 0; off < n; off += 1 << 20 {
				if _, err := c.Write(line[off:min(n, off+1<<20)]); err != nil {
					return
				}
			}
			if _, err := io.ReadFull(c, back); err != nil {
				return
			}
			if !bytes.Equal(back, line) {
				return
			}
			done.Add(1)
		}
	})
	return func() {
		c.Close()
		wg.Wait()
	}, nil
}

// genIdle opens the connections, makes one checked round trip on each (so
// the server has accepted it and its thread is back waiting in recv), says
// "ready" and holds them until its standard input closes.
func genIdle(cfg genConfig) error {
	conns, err := dialAll(cfg.Addr, cfg.Conns)
	if err != nil {
		return err
	}
	defer closeAll(conns)
	sem := make(chan struct{}, 64)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for i, c := range conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			req, resp := make([]byte, cfg.Size), make([]byte, cfg.Size)
			fillRequest(req, i, 0)
			c.SetDeadline(time.Now().Add(30 * time.Second))
			if err := roundTrip(c, req, resp); err != nil {
				select {
				case errs <- fmt.Errorf("connection %d: %w", i, err):
				default:
				}
			}
			c.SetDeadline(time.Time{})
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	fmt.Printf("ready %d\n", len(conns))
	io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	return nil
}
