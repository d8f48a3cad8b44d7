package live

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockrun/sockrun/runner/trace"
)

//go:embed page
var pageFiles embed.FS

// Bounds of what the view keeps.
const (
	// maxMessages is how many changes the ring keeps for the pages that
	// are behind: one further behind gets the state as it is now.
	maxMessages = 4096
	// maxArrowData is how many arrows' bytes are kept, for a click.
	maxArrowData = 2000
	// maxClosed and maxEnded are how many closed sockets and ended
	// threads stay in the tables; maxErrors how many errors are listed.
	maxClosed = 30
	maxEnded  = 30
	maxErrors = 100
	// maxSteps bounds the diagram's steps (the trace lays out about a
	// thousand calls' worth, then starts again from the latest).
	maxSteps = 8000
)

// writeTimeout is how long one write to a page may take before the page
// is given up on (it reconnects, and gets the state as it is then).
const writeTimeout = 10 * time.Second

// endGrace bounds how long the end of a run waits for the pages to have
// been sent its last events.
const endGrace = time.Second

// Server is the live view of a run, serving its page and its events.
type Server struct {
	// URL is the page's address: http://127.0.0.1:PORT/.
	URL string

	ln   net.Listener
	srv  *http.Server
	h    *hub
	done chan struct{} // closed when Serve has returned
}

// ParseAddr reads the live key's value: host:port, :port or a port
// (127.0.0.1 unless a host is given; port 0 picks a free one).
func ParseAddr(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.Atoi(s); err == nil {
		s = ":" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("live %q: want host:port (127.0.0.1:8080; port 0 picks a free one)", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("live %q: the port must be a number 0-65535", s)
	}
	if host == "" {
		// The page shows every byte the script moves: only this machine
		// sees it unless a host is named.
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Start listens on addr (as ParseAddr returns it) and serves the view of
// a run of script by workers VMs.
func Start(addr, script string, workers int) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	s := &Server{ln: ln, h: newHub(script, workers), done: make(chan struct{})}
	s.URL = "http://" + ln.Addr().String() + "/"
	page, _ := fs.Sub(pageFiles, "page")
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(page))
	mux.HandleFunc("GET /events", s.h.serveEvents)
	mux.HandleFunc("GET /bytes/{seq}", s.h.serveBytes)
	var h http.Handler = mux
	if ip := ln.Addr().(*net.TCPAddr).IP; ip.IsLoopback() {
		h = loopbackOnly(mux)
	}
	// (net/http's own log would go to the script's stderr.)
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// loopbackOnly answers only requests that name this machine's loopback
// (127.0.0.1, [::1], localhost) as their host: a web page elsewhere that
// has a name of its own resolve to 127.0.0.1 (DNS rebinding) could
// otherwise read every byte the script moves.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && !strings.EqualFold(host, "localhost") {
			http.Error(w, "the live view answers only at its loopback address (http://127.0.0.1:PORT/)", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Listener is what the trace tells of each event.
func (s *Server) Listener() trace.Listener { return s.h }

// RunError shows the error that ended a main chunk, as the run printed
// it, with its explanation (why, "" if none).
func (s *Server) RunError(worker int, msg, why string) { s.h.runError(worker, msg, why) }

// End tells the pages the run ended with code, gives them endGrace at
// most to be sent what they have not been, and closes the server.
func (s *Server) End(code int) {
	s.h.end(code)
	ctx, cancel := context.WithTimeout(context.Background(), endGrace)
	defer cancel()
	s.h.flushed(ctx)
	s.srv.Close()
	<-s.done
}

// message is one change of the view as a page receives it: a line of
// JSON in a server-sent event. It is made into JSON by the first page's
// writer that sends it, not by the run (nor under the hub's lock): c is
// never changed once published.
type message struct {
	seq  int
	c    *change
	once sync.Once
	data []byte
}

// json is the message's JSON.
func (m *message) json() []byte {
	m.once.Do(func() { m.data, _ = json.Marshal(m.c) })
	return m.data
}

// hub is the view's state and the ring of its latest changes. Its lock
// is held only to update them or copy them out, never for a write to a
// page.
type hub struct {
	script  string
	workers int

	mu      sync.Mutex
	changed chan struct{} // closed (and replaced) at every change
	// progress is closed (and replaced) when a page was sent changes.
	progress chan struct{}
	seq      int        // changes so far
	ring     []*message // the latest changes, oldest first
	pages    int        // pages being sent changes
	sent     map[*pageConn]int
	ended    *endState

	events   int // events seen
	parts    []string
	steps    []trace.Step
	forgot   int // steps forgotten to keep maxSteps
	data     map[int]arrowData
	dataSeqs []int // the keys of data, oldest first
	sockets  map[int]*socketRow
	closed   []int // closed sockets still shown, oldest first
	threads  map[string]*threadRow
	gone     []string // ended threads still shown, oldest first
	errors   []errorRow
	errCount int
}

// pageConn is a page being sent changes (not of size zero: each one's
// address is its own).
type pageConn struct{ _ byte }

// arrowData is what a call moved, kept for a click on its arrow.
type arrowData struct {
	data               string
	length             int
	thread, call, line string
}

// socketRow is a socket in the sockets table.
type socketRow struct {
	trace.SocketState
	Closed bool `json:"closed,omitempty"`
}

// threadRow is a script thread in the threads table.
type threadRow struct {
	Key    string  `json:"key"`
	Worker int     `json:"worker"`
	ID     int     `json:"id"`
	Name   string  `json:"name"`
	Label  string  `json:"label,omitempty"`
	State  string  `json:"state"` // running, waiting, ended, failed
	Call   string  `json:"call,omitempty"`
	Socket int     `json:"socket,omitempty"`
	FD     *int    `json:"fd,omitempty"`
	Since  float64 `json:"since"`
	Error  string  `json:"error,omitempty"`
}

// errorRow is an error raised by a call (caught or not), or one that
// ended a thread or the run.
type errorRow struct {
	N       int     `json:"n"`
	T       float64 `json:"t"`
	Worker  int     `json:"worker"`
	Thread  string  `json:"thread"`
	Call    string  `json:"call,omitempty"`
	Name    string  `json:"name,omitempty"`
	Message string  `json:"message"`
	Why     string  `json:"why,omitempty"`
	Ended   string  `json:"ended,omitempty"` // "thread" or "run": the error ended it
}

// endState is how the run ended.
type endState struct {
	Code int `json:"code"`
}

func newHub(script string, workers int) *hub {
	return &hub{script: script, workers: workers, changed: make(chan struct{}), progress: make(chan struct{}),
		sent: map[*pageConn]int{}, data: map[int]arrowData{}, sockets: map[int]*socketRow{}, threads: map[string]*threadRow{}}
}

// change is what an event changed, as a page receives it.
type change struct {
	Type    string       `json:"type"`
	Seq     int          `json:"seq"`
	T       float64      `json:"t"`
	Events  int          `json:"events"`
	Diagram *diagramJSON `json:"diagram,omitempty"`
	Sockets []*socketRow `json:"sockets,omitempty"`
	Gone    []int        `json:"gone,omitempty"` // sockets no longer shown
	Threads []*threadRow `json:"threads,omitempty"`
	Drop    []string     `json:"drop,omitempty"` // threads no longer shown
	Errors  []errorRow   `json:"errors,omitempty"`
	End     *endState    `json:"end,omitempty"`
}

// diagramJSON is the diagram, or what it gained.
type diagramJSON struct {
	Reset  bool         `json:"reset,omitempty"`
	Parts  []string     `json:"parts,omitempty"`
	Steps  []trace.Step `json:"steps,omitempty"`
	Forgot int          `json:"forgot,omitempty"`
}

// Event implements trace.Listener: it runs with a VM's interpreter lock
// held, so it only updates the state and appends the change.
func (h *hub) Event(ev *trace.LiveEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ended != nil {
		return
	}
	if !ev.Untraced {
		h.events++
	}
	c := &change{Type: "event", T: ev.T, Events: h.events}
	h.diagram(ev, c)
	if ev.DataLen > 0 {
		h.keepData(ev)
	}
	for _, st := range ev.Sockets {
		h.socket(st, c)
	}
	if ev.Thread > 0 {
		h.thread(ev, c)
	}
	if ev.Message != "" {
		ended := ""
		if ev.Kind == "thread_end" {
			ended = "thread"
		}
		h.addError(errorRow{T: ev.T, Worker: ev.Worker, Thread: threadName(ev.Thread), Call: callText(ev.Event),
			Name: ev.Error, Message: ev.Message, Why: ev.Why, Ended: ended}, c)
	}
	h.publish(c)
}

// diagram applies what ev drew.
func (h *hub) diagram(ev *trace.LiveEvent, c *change) {
	d := ev.Diagram
	if !d.Reset && len(d.Parts) == 0 && len(d.Steps) == 0 {
		return
	}
	if d.Reset {
		h.parts, h.steps, h.forgot = d.Parts, d.Steps, 0
	} else {
		h.parts = append(h.parts, d.Parts...)
		h.steps = append(h.steps, d.Steps...)
	}
	c.Diagram = &diagramJSON{Reset: d.Reset, Parts: d.Parts, Steps: d.Steps}
	if len(h.steps) > maxSteps {
		n := len(h.steps) - maxSteps/2
		h.forgot += n
		h.steps = append(h.steps[:0:0], h.steps[n:]...)
		c.Diagram = &diagramJSON{Reset: true, Parts: h.parts, Steps: h.steps, Forgot: h.forgot}
	}
}

// keepData keeps the bytes ev moved, for a click on its arrow.
func (h *hub) keepData(ev *trace.LiveEvent) {
	h.data[ev.Seq] = arrowData{data: ev.Data, length: ev.DataLen, thread: threadName(ev.Thread), call: callText(ev.Event), line: ev.Result}
	h.dataSeqs = append(h.dataSeqs, ev.Seq)
	if len(h.dataSeqs) > maxArrowData {
		delete(h.data, h.dataSeqs[0])
		h.dataSeqs = h.dataSeqs[1:]
	}
}

// socket updates a row of the sockets table.
func (h *hub) socket(st trace.SocketState, c *change) {
	row := h.sockets[st.ID]
	if row == nil {
		row = &socketRow{}
		h.sockets[st.ID] = row
	}
	fd, local, peer := row.FD, row.Local, row.Peer
	row.SocketState = st
	if st.FD < 0 && fd > 0 {
		row.FD = fd
	}
	if st.Local == "" && st.Peer == "" {
		// A socket closed by no call tells no addresses: keep those known.
		row.Local, row.Peer = local, peer
	}
	if st.State == "CLOSED" && !row.Closed {
		row.Closed = true
		h.closed = append(h.closed, st.ID)
		if len(h.closed) > maxClosed {
			gone := h.closed[0]
			h.closed = h.closed[1:]
			delete(h.sockets, gone)
			c.Gone = append(c.Gone, gone)
		}
	}
	r := *row
	c.Sockets = append(c.Sockets, &r)
}

// thread updates a row of the threads table from ev.
func (h *hub) thread(ev *trace.LiveEvent, c *change) {
	key := strconv.Itoa(ev.Worker) + ":" + strconv.Itoa(ev.Thread)
	row := h.threads[key]
	if row == nil {
		row = &threadRow{Key: key, Worker: ev.Worker, ID: ev.Thread, Name: threadName(ev.Thread), State: "running", Since: ev.T}
		h.threads[key] = row
	}
	if row.State == "ended" || row.State == "failed" {
		return
	}
	switch ev.Kind {
	case "thread_start":
		row.Label = ev.Detail
		row.State, row.Since = "running", ev.T
	case "waiting":
		row.State, row.Since = "waiting", ev.T
		row.Call = ev.Call + "(" + ev.Args + ")"
		row.Socket, row.FD = ev.Socket, ev.FD
	case "thread_end":
		row.State, row.Since = "ended", ev.T
		if ev.Error != "" {
			row.State, row.Error = "failed", ev.Error
		}
		row.Call, row.Socket, row.FD = "", 0, nil
		h.gone = append(h.gone, key)
		if len(h.gone) > maxEnded {
			gone := h.gone[0]
			h.gone = h.gone[1:]
			delete(h.threads, gone)
			c.Drop = append(c.Drop, gone)
		}
	default:
		if row.State == "waiting" {
			row.State, row.Since = "running", ev.T
			row.Call, row.Socket, row.FD = "", 0, nil
		}
	}
	r := *row
	c.Threads = append(c.Threads, &r)
}

// addError lists an error.
func (h *hub) addError(e errorRow, c *change) {
	h.errCount++
	e.N = h.errCount
	h.errors = append(h.errors, e)
	if len(h.errors) > maxErrors {
		h.errors = append(h.errors[:0:0], h.errors[len(h.errors)-maxErrors:]...)
	}
	c.Errors = append(c.Errors, e)
}

// runError lists the error that ended a worker's main chunk.
func (h *hub) runError(worker int, msg, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ended != nil {
		return
	}
	c := &change{Type: "event", Events: h.events}
	h.addError(errorRow{Worker: worker, Thread: "main", Message: msg, Why: why, Ended: "run"}, c)
	h.publish(c)
}

// end tells the pages the run ended with code.
func (h *hub) end(code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ended != nil {
		return
	}
	h.ended = &endState{Code: code}
	h.publish(&change{Type: "end", Events: h.events, End: h.ended})
}

// publish appends c to the ring and wakes the pages. With no page
// watching, nothing is appended: a page that comes gets the state.
func (h *hub) publish(c *change) {
	h.seq++
	c.Seq = h.seq
	if h.pages > 0 {
		h.ring = append(h.ring, &message{seq: h.seq, c: c})
		if len(h.ring) > maxMessages {
			h.ring = append(h.ring[:0:0], h.ring[len(h.ring)-maxMessages/2:]...)
		}
	} else {
		h.ring = h.ring[:0]
	}
	close(h.changed)
	h.changed = make(chan struct{})
}

// snapshot is the view's state as a page is sent it when it comes, or
// when it fell behind the ring (skipped: the changes it missed).
type snapshot struct {
	Type    string         `json:"type"`
	Seq     int            `json:"seq"`
	Script  string         `json:"script"`
	Workers int            `json:"workers"`
	Events  int            `json:"events"`
	Skipped int            `json:"skipped,omitempty"`
	Diagram diagramJSON    `json:"diagram"`
	Sockets []*socketRow   `json:"sockets"`
	Threads []*threadRow   `json:"threads"`
	Errors  []errorRow     `json:"errors"`
	End     *endState      `json:"end,omitempty"`
	Limits  map[string]int `json:"limits"`
}

// snapshotLocked is the state now, h.mu held: the rows copied, so that
// it is made into JSON without the lock (the diagram's and the errors'
// slices are only ever appended to, or replaced).
func (h *hub) snapshotLocked(skipped int) *snapshot {
	s := &snapshot{Type: "snapshot", Seq: h.seq, Script: h.script, Workers: h.workers, Events: h.events, Skipped: skipped,
		Diagram: diagramJSON{Reset: true, Parts: h.parts, Steps: h.steps, Forgot: h.forgot},
		Sockets: make([]*socketRow, 0, len(h.sockets)), Threads: make([]*threadRow, 0, len(h.threads)),
		Errors: h.errors, End: h.ended,
		Limits: map[string]int{"closed": maxClosed, "ended": maxEnded, "errors": maxErrors, "data": maxArrowData}}
	for _, r := range h.sockets {
		c := *r
		s.Sockets = append(s.Sockets, &c)
	}
	for _, r := range h.threads {
		c := *r
		s.Threads = append(s.Threads, &c)
	}
	return s
}

// serveEvents streams the view to a page: the state now, then every
// change, as server-sent events. It writes without the hub's lock; a page
// that cannot keep up with the ring is sent the state again.
func (h *hub) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	pc := &pageConn{}
	h.mu.Lock()
	h.pages++
	snap := h.snapshotLocked(0)
	cursor, changed, ended := h.seq, h.changed, h.ended != nil
	h.sent[pc] = cursor
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.pages--
		delete(h.sent, pc)
		close(h.progress)
		h.progress = make(chan struct{})
		h.mu.Unlock()
	}()
	var buf []byte
	var msgs []*message
	for {
		// Made into JSON here, without the lock.
		if snap != nil {
			if data, err := json.Marshal(snap); err == nil {
				buf = appendSSE(buf, data)
			}
		}
		for _, m := range msgs {
			buf = appendSSE(buf, m.json())
		}
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(buf); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		h.mu.Lock()
		h.sent[pc] = cursor
		close(h.progress)
		h.progress = make(chan struct{})
		h.mu.Unlock()
		if ended {
			return
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
		buf, snap, msgs = buf[:0], nil, msgs[:0]
		h.mu.Lock()
		start := h.seq + 1
		if len(h.ring) > 0 {
			start = h.ring[0].seq
		}
		if cursor+1 < start {
			// Behind the ring: the state now, and what was skipped.
			snap = h.snapshotLocked(h.seq - cursor)
		} else {
			msgs = append(msgs, h.ring[cursor+1-start:]...)
		}
		cursor, changed, ended = h.seq, h.changed, h.ended != nil
		h.mu.Unlock()
	}
}

// appendSSE appends data as one server-sent event.
func appendSSE(b, data []byte) []byte {
	b = append(b, "data: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// flushed waits until every page has been sent every change, or ctx
// ends.
func (h *hub) flushed(ctx context.Context) {
	for {
		h.mu.Lock()
		behind := false
		for _, c := range h.sent {
			if c < h.seq {
				behind = true
			}
		}
		progress := h.progress
		h.mu.Unlock()
		if !behind {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-progress:
		}
	}
}

// serveBytes answers a click on an arrow: the bytes its call moved, as
// text and as a hex dump.
func (h *hub) serveBytes(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if err != nil {
		http.Error(w, "bad event number", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	d, ok := h.data[seq]
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		json.NewEncoder(w).Encode(map[string]any{"seq": seq, "kept": false})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"seq": seq, "kept": true, "thread": d.thread, "call": d.call, "result": d.line,
		"length": d.length, "shown": len(d.data), "text": textView(d.data), "hex": hexView(d.data)})
}

// callText is a call as the text trace prints it: fd=7 recv(1024).
func callText(ev *trace.Event) string {
	if ev.Call == "" || ev.Kind == "thread_end" {
		return ""
	}
	s := ev.Call + "(" + ev.Args + ")"
	if ev.FD != nil && ev.StateBefore != "" {
		s = "fd=" + strconv.Itoa(*ev.FD) + " " + s
	}
	return s
}

// threadName is how the trace names a thread: main, t2, t3 ...
func threadName(id int) string {
	if id <= 1 {
		return "main"
	}
	return "t" + strconv.Itoa(id)
}
