package metrics

import (
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockrun/sockrun/luaapi/metricset"
	"github.com/sockrun/sockrun/runner/host"
)

// ParseAddr reads --metrics' address: host:port, or :port (every
// interface, as exporters listen: Prometheus scrapes from elsewhere), or
// a bare port (the same). Port 0 picks a free one.
func ParseAddr(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.Atoi(s); err == nil {
		s = ":" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("metrics %q: want host:port (127.0.0.1:9100, :9100 for every interface; port 0 picks a free one)", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("metrics %q: the port must be a number 0-65535", s)
	}
	return net.JoinHostPort(host, port), nil
}

// State is the run's state as /healthz tells it.
type State int32

// The states of a run.
const (
	// Starting: the script has not started yet: /healthz answers 503.
	Starting State = iota
	// Running: every worker's main chunk has started: 200.
	Running
	// Stopping: a signal or a limit is ending the run, or the script
	// has ended: 503, so that a load balancer sends no new clients.
	Stopping
)

var stateText = [...]string{"starting", "ok", "stopping"}

// Server serves the metrics of a run.
type Server struct {
	// URL is the metrics' address: http://127.0.0.1:9100/metrics.
	URL string

	ln    net.Listener
	srv   *http.Server
	done  chan struct{}
	state atomic.Int32
	src   *source
	set   *metricset.Set
}

// Start listens on addr (as ParseAddr returns it) and serves the metrics
// of the run's VMs (added with Add as they are made) and of set, the
// script's own.
func Start(addr string, set *metricset.Set) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{ln: ln, done: make(chan struct{}), src: &source{}, set: set}
	s.URL = "http://" + ln.Addr().String() + "/metrics"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "sockrun: metrics at /metrics, health at /healthz\n")
	})
	// (net/http's own log would go to the script's stderr.)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// Add counts v's metrics in the run's.
func (s *Server) Add(v *host.VM) { s.src.add(v) }

// SetState moves the run's state, as /healthz answers it, forward to st:
// a run never goes back, so a Running that comes after a handled SIGTERM's
// Stopping leaves it stopping.
func (s *Server) SetState(st State) {
	for {
		cur := s.state.Load()
		if int32(st) <= cur || s.state.CompareAndSwap(cur, int32(st)) {
			return
		}
	}
}

// serveMetrics is /metrics: every family in Prometheus' text format,
// gzipped for a scraper that accepts it, as the Go client's promhttp
// serves them.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	fams := s.src.families()
	fams = append(fams, goFamilies()...)
	fams = append(fams, processFamilies()...)
	fams = append(fams, s.set.Families()...)
	h := w.Header()
	h.Set("Content-Type", metricset.ContentType)
	h.Add("Vary", "Accept")
	h.Add("Vary", "Accept-Encoding")
	out := io.Writer(w)
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		out = gz
	}
	metricset.WriteText(out, fams)
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if strings.TrimSpace(coding) != "gzip" {
			continue
		}
		q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if v, err := strconv.ParseFloat(q, 64); ok && err == nil && v == 0 {
			return false
		}
		return true
	}
	return false
}

// serveHealth is /healthz: 200 "ok" while the script runs, 503 with
// "starting" or "stopping" otherwise.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	st := State(s.state.Load())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if st != Running {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, stateText[st])
}

// Close stops serving.
func (s *Server) Close() {
	s.srv.Close()
	<-s.done
}

// source is sockrun's own families: the sum of the
// run's VMs' counts.
type source struct {
	mu  sync.Mutex
	vms []*host.VM
}

func (src *source) add(v *host.VM) {
	src.mu.Lock()
	src.vms = append(src.vms, v)
	src.mu.Unlock()
}

// families sums the VMs' counts into sockrun's families. It reads
// atomics and the sockets' group locks, never an interpreter lock.
func (src *source) families() []metricset.Family {
	src.mu.Lock()
	vms := src.vms[:len(src.vms):len(src.vms)]
	src.mu.Unlock()
	var sum host.Stats
	calls := map[string]int64{}
	errs := map[[2]string]int64{}
	for _, v := range vms {
		st := v.Stats()
		sum.Threads += st.Threads
		sum.LockWait += st.LockWait
		sum.LockWaits += st.LockWaits
		sum.Sockets.Open += st.Sockets.Open
		sum.Sockets.Accepted += st.Sockets.Accepted
		sum.Sockets.Opened += st.Sockets.Opened
		sum.Sockets.AcceptedTotal += st.Sockets.AcceptedTotal
		sum.Sockets.Received += st.Sockets.Received
		sum.Sockets.Sent += st.Sockets.Sent
		for _, c := range st.Calls {
			if n := c.Calls(); n > 0 {
				calls[c.Function] += n
			}
			for errno, n := range c.Errors() {
				errs[[2]string{c.Function, errno}] += n
			}
		}
	}
	callsFam := metricset.Family{Name: "sockrun_calls_total", Help: "Calls of sockrun's functions, by function (module.name, or type:method).", Type: "counter"}
	for fn, n := range calls {
		callsFam.Series = append(callsFam.Series, metricset.Series{Labels: []metricset.Label{{Name: "function", Value: fn}}, Value: float64(n)})
	}
	errsFam := metricset.Family{Name: "sockrun_call_errors_total", Help: "Errors sockrun's functions raised, by function and errno name (none: a misuse, such as a bad argument).", Type: "counter"}
	for k, n := range errs {
		errsFam.Series = append(errsFam.Series, metricset.Series{Labels: []metricset.Label{{Name: "function", Value: k[0]}, {Name: "errno", Value: k[1]}}, Value: float64(n)})
	}
	return []metricset.Family{
		gauge("sockrun_workers", "VMs running the script in this process (--workers); the other families sum them.", float64(len(vms))),
		counter("sockrun_connections_accepted_total", "Connections accept made.", float64(sum.Sockets.AcceptedTotal)),
		gauge("sockrun_connections_open", "Connections accept made that are open now.", float64(sum.Sockets.Accepted)),
		counter("sockrun_sockets_opened_total", "Sockets the script made or accepted.", float64(sum.Sockets.Opened)),
		gauge("sockrun_sockets_open", "Sockets open now (listening, accepted, connected, datagram).", float64(sum.Sockets.Open)),
		counter("sockrun_received_bytes_total", "Bytes the script's socket calls received (handed to the script).", float64(sum.Sockets.Received)),
		counter("sockrun_sent_bytes_total", "Bytes the script's socket calls sent.", float64(sum.Sockets.Sent)),
		callsFam,
		errsFam,
		gauge("sockrun_threads", "Script threads running (thread.spawn), the main chunks excluded.", float64(sum.Threads)),
		counter("sockrun_lock_wait_seconds_total", "Time threads spent waiting for the interpreter lock.", sum.LockWait.Seconds()),
		counter("sockrun_lock_waits_total", "Times a thread waited for the interpreter lock.", float64(sum.LockWaits)),
	}
}
