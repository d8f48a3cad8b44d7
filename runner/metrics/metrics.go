package metrics

import (
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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
}

// Start listens on addr (as ParseAddr returns it) and serves the metrics
// of the run's VMs (added with Add as they are made) and of set, the
// script's own.
func Start(addr string, set *metricset.Set) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{ln: ln, done: make(chan struct{}), src: &source{}}
	s.URL = "http://" + ln.Addr().String() + "/metrics"
	own := prometheus.NewRegistry()
	own.MustRegister(s.src,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(prometheus.Gatherers{own, set.Gatherer()},
		promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
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

// SetState sets the run's state, as /healthz answers it.
func (s *Server) SetState(st State) { s.state.Store(int32(st)) }

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

// source is the collector of sockrun's own families: the sum of the
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

var (
	descWorkers       = prometheus.NewDesc("sockrun_workers", "VMs running the script in this process (--workers); the other families sum them.", nil, nil)
	descAccepted      = prometheus.NewDesc("sockrun_connections_accepted_total", "Connections accept made.", nil, nil)
	descConnsOpen     = prometheus.NewDesc("sockrun_connections_open", "Connections accept made that are open now.", nil, nil)
	descSocketsOpened = prometheus.NewDesc("sockrun_sockets_opened_total", "Sockets the script made or accepted.", nil, nil)
	descSocketsOpen   = prometheus.NewDesc("sockrun_sockets_open", "Sockets open now (listening, accepted, connected, datagram).", nil, nil)
	descReceived      = prometheus.NewDesc("sockrun_received_bytes_total", "Bytes the script's socket calls received (handed to the script).", nil, nil)
	descSent          = prometheus.NewDesc("sockrun_sent_bytes_total", "Bytes the script's socket calls sent.", nil, nil)
	descCalls         = prometheus.NewDesc("sockrun_calls_total", "Calls of sockrun's functions, by function (module.name, or type:method).", []string{"function"}, nil)
	descCallErrors    = prometheus.NewDesc("sockrun_call_errors_total", "Errors sockrun's functions raised, by function and errno name (none: a misuse, such as a bad argument).", []string{"function", "errno"}, nil)
	descThreads       = prometheus.NewDesc("sockrun_threads", "Script threads running (thread.spawn), the main chunks excluded.", nil, nil)
	descLockWait      = prometheus.NewDesc("sockrun_lock_wait_seconds_total", "Time threads spent waiting for the interpreter lock.", nil, nil)
	descLockWaits     = prometheus.NewDesc("sockrun_lock_waits_total", "Times a thread waited for the interpreter lock.", nil, nil)
	descs             = []*prometheus.Desc{descWorkers, descAccepted, descConnsOpen, descSocketsOpened, descSocketsOpen, descReceived, descSent, descCalls, descCallErrors, descThreads, descLockWait, descLockWaits}
	counter, gauge    = prometheus.CounterValue, prometheus.GaugeValue
)

// Describe implements prometheus.Collector.
func (src *source) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it sums the VMs' counts. It
// reads atomics and the sockets' group locks, never an interpreter lock.
func (src *source) Collect(ch chan<- prometheus.Metric) {
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
	ch <- prometheus.MustNewConstMetric(descWorkers, gauge, float64(len(vms)))
	ch <- prometheus.MustNewConstMetric(descAccepted, counter, float64(sum.Sockets.AcceptedTotal))
	ch <- prometheus.MustNewConstMetric(descConnsOpen, gauge, float64(sum.Sockets.Accepted))
	ch <- prometheus.MustNewConstMetric(descSocketsOpened, counter, float64(sum.Sockets.Opened))
	ch <- prometheus.MustNewConstMetric(descSocketsOpen, gauge, float64(sum.Sockets.Open))
	ch <- prometheus.MustNewConstMetric(descReceived, counter, float64(sum.Sockets.Received))
	ch <- prometheus.MustNewConstMetric(descSent, counter, float64(sum.Sockets.Sent))
	ch <- prometheus.MustNewConstMetric(descThreads, gauge, float64(sum.Threads))
	ch <- prometheus.MustNewConstMetric(descLockWait, counter, sum.LockWait.Seconds())
	ch <- prometheus.MustNewConstMetric(descLockWaits, counter, float64(sum.LockWaits))
	for fn, n := range calls {
		ch <- prometheus.MustNewConstMetric(descCalls, counter, float64(n), fn)
	}
	for k, n := range errs {
		ch <- prometheus.MustNewConstMetric(descCallErrors, counter, float64(n), k[0], k[1])
	}
}
