package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/metricset"
	"github.com/sockrun/sockrun/runner/host"
	"github.com/sockrun/sockrun/runner/live"
	"github.com/sockrun/sockrun/runner/metrics"
	"github.com/sockrun/sockrun/runner/prompt"
	"github.com/sockrun/sockrun/runner/trace"
	lua "github.com/yuin/gopher-lua"
)

// Version is sockrun's version.
const Version = "0.1.0"

// interruptGrace is how long a run gets to end after a signal that stops
// it (SIGTERM, SIGHUP), or how long the main thread gets to take the
// KeyboardInterrupt of Ctrl-C, before sockrun closes every socket and
// exits anyway: a thread inside one long built-in call that cannot be
// interrupted (a table.sort of millions of numbers) holds the interpreter
// lock the main thread needs to raise it. (A long pattern search runs
// without the lock and stops at the interrupt.) A main thread that
// has raised it is in the script's hands: it may catch it and carry on.
const interruptGrace = 2 * time.Second

// check compiles a script without running it.
func check(env *Env, s host.Script) int {
	if code := checkQuiet(env, &s); code != host.ExitOK {
		return code
	}
	fmt.Fprintf(env.Stdout, "%s: ok\n", s.Name())
	return host.ExitOK
}

// run runs a script in cfg.Workers VMs and returns the exit code.
func run(env *Env, cfg *Config, s host.Script) int {
	// Compile once up front so a syntax error is a usage error (exit 2)
	// before anything starts.
	lg := newLogger(env.Stderr, cfg.LogFormat)
	if code := checkQuietLog(lg, env, &s); code != host.ExitOK {
		return code
	}
	var view *live.Server
	var listener trace.Listener
	if cfg.Live != "" {
		var err error
		if view, err = live.Start(cfg.Live, s.Name(), cfg.Workers); err != nil {
			lg.log(luaapi.Message{Kind: "usage", Text: err.Error()})
			return host.ExitUsage
		}
		listener = view.Listener()
		lg.log(luaapi.Message{Kind: "live", Text: "live view on " + view.URL, Fields: map[string]any{"url": view.URL}})
	}
	// The script's metrics are kept whether they are served or not.
	set := metricset.New()
	var served *metrics.Server
	if cfg.Metrics != "" {
		var err error
		if served, err = metrics.Start(cfg.Metrics, set); err != nil {
			lg.log(luaapi.Message{Kind: "usage", Text: err.Error()})
			if view != nil {
				view.End(host.ExitUsage)
			}
			return host.ExitUsage
		}
		defer served.Close()
		lg.log(luaapi.Message{Kind: "metrics", Text: "metrics on " + served.URL, Fields: map[string]any{"url": served.URL}})
	}
	tr, err := trace.New(env.Stderr, env.Dir, cfg.Trace, s.Name(), cfg.Workers, listener)
	if err != nil {
		lg.log(luaapi.Message{Kind: "usage", Text: err.Error()})
		if view != nil {
			view.End(host.ExitUsage)
		}
		return host.ExitUsage
	}
	defer tr.Close()
	code := runWorkers(env, cfg, s, tr, view, set, served)
	if view != nil {
		view.End(code)
	}
	return code
}

// runWorkers runs s in its workers, traced by tr (nil if nobody watches),
// shown by view (nil without --live), with the script's metrics kept in
// set and served by served (nil without --metrics), and returns the exit
// code.
func runWorkers(env *Env, cfg *Config, s host.Script, tr *trace.Tracer, view *live.Server, set *metricset.Set, served *metrics.Server) int {
	lg := newLogger(env.Stderr, cfg.LogFormat)
	done, err := host.SetupProcess(env, cfg.Profiles)
	if err != nil {
		lg.log(luaapi.Message{Kind: "usage", Text: err.Error()})
		return host.ExitUsage
	}
	defer done()
	shared, err := luaapi.OpenSharedStore(cfg.SharedURL, cfg.MaxShared)
	if err != nil {
		lg.log(luaapi.Message{Kind: "usage", Text: "config: " + err.Error()})
		return host.ExitUsage
	}
	defer shared.Close()
	w := newWorkers(env, cfg, tr, shared)
	w.rep.view = view
	w.metrics, w.served = set, served
	defer w.close()
	w.log.log(luaapi.Message{Kind: "start", Text: "started " + s.Name(), Fields: map[string]any{
		"script": s.Name(), "pid": os.Getpid(), "workers": cfg.Workers, "version": Version}})
	if err := w.start(&s); err != nil {
		w.log.log(luaapi.Message{Kind: "usage", Text: err.Error()})
		return host.ExitUsage
	}
	code := w.wait()
	w.setState(metrics.Stopping)
	w.notifyStopping()
	w.log.log(luaapi.Message{Kind: "stop", Text: fmt.Sprintf("stopped %s, exit code %d", s.Name(), code),
		Fields: map[string]any{"script": s.Name(), "exit_code": code, "cause": w.stopCause()}})
	if !w.flushStderr() {
		tr.Abandon(w.stderr.st) // its lines wait for the same reader: no second wait
	}
	return code
}

// postWriter writes to a Stream without waiting (Stream.Post): what the
// run's own messages to standard error go through once the script runs,
// in order with the script's writes there and the trace's, so that a
// reader that stalled cannot keep Ctrl-C from ending the run.
type postWriter struct{ st *luaapi.Stream }

func (p postWriter) Write(b []byte) (int, error) {
	p.st.Post(b)
	return len(b), nil
}

// flushStderr waits until what was queued for standard error is written,
// as a program that ends writes its last words. A run that a signal or a
// limit ended gives them interruptGrace, one abandoned (a second signal,
// the grace ran out) none, and a terminating signal that comes meanwhile
// ends the wait: a reader that stalled must not keep the run from ending.
// It reports whether everything was written.
func (w *workers) flushStderr() bool {
	select {
	case <-w.abort:
		return false
	default:
	}
	var timeout <-chan time.Time
	if w.signals > 0 || w.stopping {
		t := time.NewTimer(interruptGrace)
		defer t.Stop()
		timeout = t.C
	}
	idle := w.stderr.st.Idle()
	for {
		select {
		case <-idle:
			return true
		case <-timeout:
			return false
		case sig := <-w.env.Signals:
			if terminating(sig, true) {
				return false
			}
		}
	}
}

// luaConfig is the script modules' configuration for a VM of s, as the
// configuration says: what a run's workers and the prompt's VM share.
func luaConfig(cfg *Config, s *host.Script) luaapi.Config {
	lcfg := luaapi.Config{
		Vars:           cfg.Vars,
		Args:           append([]string{s.Arg0()}, s.Args...),
		Interpreter:    s.Before,
		Version:        Version,
		NoExplain:      !cfg.Explain,
		LuaSocketDebug: cfg.LuaSocketDebug,
		MaxMemory:      cfg.Limits.MaxMemory,
		MaxMemoryNote:  cfg.Limits.MaxMemoryNote,
		MaxThreads:     cfg.Limits.MaxThreads,
		MaxConnections: cfg.Limits.MaxConnections,
		MaxRecv:        cfg.Limits.MaxRecv,
		LogFormat:      cfg.LogFormat,
	}
	if cfg.Timeout >= 0 {
		lcfg.DefaultTimeout = &cfg.Timeout
	}
	return lcfg
}

// workers is a run of a script in its VMs, from their start to the exit
// code: what its one loop (wait) keeps track of.
type workers struct {
	env *Env
	cfg *Config
	tr  *trace.Tracer // nil without --trace
	// shared is the workers' only common state: the shared module's
	// store, in the process or Redis.
	shared luaapi.SharedStore
	// stderr is standard error as the run's messages reach it, through
	// its Stream (postWriter).
	stderr postWriter
	// metrics are the script's metrics, common to every worker; served
	// serves them and the VMs' counts (nil without --metrics).
	metrics *metricset.Set
	served  *metrics.Server
	// log writes sockrun's own messages there, in the run's format.
	log logger

	// ctx is the run's context, every VM's parent; cancelAll ends it,
	// with the cause: an interrupt, a limit, os.exit, a failed chunk.
	ctx       context.Context
	cancelAll context.CancelCauseFunc
	vms       []*host.VM
	results   chan chunkResult // how each main chunk ended
	limitHit  chan error       // the first limit reached
	// notifier tells the service manager the run's state (sd_notify);
	// nil when none listens.
	notifier *host.Notifier
	rep      *errorReporter
	code     int // the exit code the main chunks' errors gave

	signals  int  // terminating signals received
	stopping bool // a signal or a limit is ending the run
	limitErr error
	// overdue fires interruptGrace after the first signal or limit that
	// stops the run, or after a Ctrl-C until every main thread has raised
	// its KeyboardInterrupt (taken).
	overdue <-chan time.Time
	taken   <-chan struct{}
	// abort is closed when the run ends without waiting for its threads.
	abort chan struct{}
}

func newWorkers(env *Env, cfg *Config, tr *trace.Tracer, shared luaapi.SharedStore) *workers {
	w := &workers{env: env, cfg: cfg, tr: tr, shared: shared,
		results: make(chan chunkResult, cfg.Workers), limitHit: make(chan error, 1), abort: make(chan struct{})}
	w.ctx, w.cancelAll = context.WithCancelCause(context.Background())
	w.stderr = postWriter{luaapi.StreamOf(env.Stderr)}
	w.log = newLogger(w.stderr, cfg.LogFormat)
	w.rep = &errorReporter{log: w.log, explain: cfg.Explain}
	w.notifier = host.NewNotifier(env.Systemd.NotifySocket, func(state string, err error) {
		w.log.log(luaapi.Message{Kind: "warning", Text: fmt.Sprintf("sd_notify %s: %v", state, err)})
	})
	if env.Systemd.Warning != "" {
		w.log.log(luaapi.Message{Kind: "warning", Text: env.Systemd.Warning})
	}
	// The limits are watched from before the script starts: the memory
	// watchdog's descriptor is not one a script could count as its own.
	host.WatchLimits(w.ctx, env, cfg.Limits, w.limitHit)
	return w
}

// start creates the VMs and starts each one's main chunk.
func (w *workers) start(s *host.Script) error {
	for i := range w.cfg.Workers {
		lcfg := luaConfig(w.cfg, s)
		lcfg.Worker, lcfg.Workers = i+1, w.cfg.Workers
		lcfg.ReusePort = w.cfg.Workers > 1
		lcfg.Shared = w.shared
		lcfg.Report = w.cfg.Report
		lcfg.Metrics = w.metrics
		lcfg.CountCalls = w.served != nil
		if len(w.env.Systemd.Listen) > 0 {
			fds, err := host.ListenFDsFor(w.env.Systemd.Listen)
			if err != nil {
				return err
			}
			lcfg.ListenFDs = fds
		}
		if w.notifier != nil {
			lcfg.Notifier = w.notifier
		}
		v := host.NewVM(w.ctx, w.env, lcfg, s.Dir(), w.cfg.Path)
		if w.served != nil {
			w.served.Add(v)
		}
		if w.tr != nil {
			vt := w.tr.ForVM(i+1, v.Runtime())
			v.SetLockTracer(vt)
			v.Runtime().SetObserver(vt)
		}
		w.vms = append(w.vms, v)
		w.rep.vms = w.vms
		calls, err := s.Load(v.L)
		if err != nil {
			return err
		}
		// os.exit in any worker ends the whole run, every worker.
		context.AfterFunc(v.RunContext(), func() {
			if _, exited := v.Exited(); exited {
				w.cancelAll(luaapi.ErrExited)
			}
		})
		if i == w.cfg.Workers-1 {
			// Ready before the last main chunk runs, not after: what the
			// script prints or accepts comes after /healthz says ok.
			w.setState(metrics.Running)
		}
		// results has room for every worker's: the chunk's goroutine
		// never waits there.
		v.RunChunk(calls, func(err error) { w.results <- chunkResult{v: v, worker: i + 1, err: err} })
	}
	// Every VM holds its own descriptors of the inherited sockets: the
	// process's go, so that closing a VM's closes the socket.
	host.CloseListenFDs(w.env.Systemd.Listen)
	w.env.Systemd.Listen = nil
	return nil
}

// setState tells the metrics' health check how the run is, if they are
// served.
func (w *workers) setState(st metrics.State) {
	if w.served != nil {
		w.served.SetState(st)
	}
}

// notifyStopping tells the service manager the run is stopping
// (STOPPING=1, once).
func (w *workers) notifyStopping() { w.notifier.Stopping() }

// stopCause says why the run ended, for the stop message: signal,
// limit, os.exit, error or end.
func (w *workers) stopCause() string {
	for _, v := range w.vms {
		if _, exited := v.Exited(); exited {
			return "os.exit"
		}
	}
	switch {
	case w.signals > 0:
		return "signal"
	case w.limitErr != nil:
		return "limit"
	case w.code != 0:
		return "error"
	}
	return "end"
}

// wait is the run's one loop: it takes the main chunks' ends, then waits
// for every thread of every worker (together: an interrupt's grace runs
// once), and meanwhile takes the signals and the limits. It returns the
// exit code.
func (w *workers) wait() int {
	chunks := len(w.vms)   // main chunks running
	threads := 0           // workers whose threads are waited for
	var waited <-chan bool // nil until the main chunks are done
	for chunks > 0 || threads > 0 {
		select {
		case r := <-w.results:
			w.chunkEnded(r)
			if chunks--; chunks == 0 {
				waited, threads = w.waitThreads(), len(w.vms)
			}
		case <-waited:
			threads--
		case sig := <-w.env.Signals:
			if w.signal(sig) {
				return host.ExitInterrupted
			}
		case <-w.taken:
			w.interruptTaken()
		case err := <-w.limitHit:
			w.limitReached(err)
		case <-w.overdue:
			return w.overdueExit()
		}
	}
	w.report()
	return w.exitCode()
}

// chunkEnded takes a main chunk's end: its error, if any, is printed and
// ends the whole run.
func (w *workers) chunkEnded(r chunkResult) {
	if r.err == nil {
		return
	}
	if c := w.rep.report(r); c > w.code || c == host.ExitInterrupted {
		w.code = c
	}
	w.cancelAll(errMainFailed)
}

// waitThreads waits for every worker's threads, each reporting on the
// channel returned when its threads have ended (or been given up on).
func (w *workers) waitThreads() <-chan bool {
	waited := make(chan bool, len(w.vms))
	for _, v := range w.vms {
		if v.ThreadsEnded() {
			waited <- true // no goroutine to wake for a run without threads
			continue
		}
		go func() { waited <- v.WaitThreads(interruptGrace, w.abort) }()
	}
	return waited
}

// signal delivers sig to every worker, and reports whether the run ends
// at once: a second SIGINT, SIGTERM or SIGHUP. A first that stops the run
// ends every VM's context, with interruptGrace to end in; a Ctrl-C that
// main threads take as a KeyboardInterrupt gives them interruptGrace to
// raise it.
func (w *workers) signal(sig os.Signal) bool {
	stop, delivered := false, false
	var raised []<-chan struct{}
	for _, v := range w.vms {
		switch d, tk := v.Runtime().Deliver(sig); d {
		case luaapi.SignalStop:
			stop = true
		case luaapi.SignalDelivered:
			delivered = true
			if tk != nil {
				raised = append(raised, tk)
			}
		}
	}
	if !stop && !delivered {
		return false // ignored: signal.SIG_IGN
	}
	ending := terminating(sig, stop)
	if ending {
		w.signals++
		w.notifyStopping()
	}
	if sig == syscall.SIGTERM && !w.stopping {
		// A script's SIGTERM handler is its drain: a load balancer's or
		// Kubernetes' probe of /healthz stops sending it clients now.
		w.setState(metrics.Stopping)
	}
	w.tr.Signal(sig, max(w.signals, 1))
	if w.signals > 1 && ending {
		w.log.log(luaapi.Message{Kind: "signal", Text: "interrupted twice, exiting now", Fields: map[string]any{"signal": sig.String()}})
		close(w.abort)
		return true
	}
	switch {
	case stop && !w.stopping:
		w.stopping = true
		w.setState(metrics.Stopping)
		w.cancelAll(luaapi.ErrInterrupted)
		w.overdue = time.After(interruptGrace)
	case len(raised) > 0 && !w.stopping:
		w.overdue = time.After(interruptGrace)
		w.taken = allClosed(raised)
	}
	return false
}

// interruptTaken is every main thread having raised the KeyboardInterrupt
// of a Ctrl-C: the script has it, and no grace runs unless the run is
// stopping anyway.
func (w *workers) interruptTaken() {
	w.taken = nil
	if !w.stopping {
		w.overdue = nil
	}
}

// limitReached ends a run a limit stopped, as a signal that stops it
// does, with its own message and exit code.
func (w *workers) limitReached(err error) {
	if w.limitErr != nil {
		return
	}
	w.limitErr = err
	w.notifyStopping()
	w.log.log(luaapi.Message{Kind: "limit", Text: err.Error()})
	w.stopping = true
	w.setState(metrics.Stopping)
	w.cancelAll(err)
	if w.overdue == nil {
		w.overdue = time.After(interruptGrace)
	}
}

// overdueExit ends a run the first signal or limit could not end in
// time; close, deferred, closes every socket.
func (w *workers) overdueExit() int {
	close(w.abort)
	if w.limitErr != nil {
		return host.ExitError
	}
	if !w.rep.interruptPrinted {
		w.log.log(luaapi.Message{Kind: "error", Text: "KeyboardInterrupt: interrupted", Bare: true})
	}
	w.log.log(luaapi.Message{Kind: "signal", Level: "error", Text: fmt.Sprintf("still busy %v after the interrupt (in a long call), exiting", interruptGrace)})
	return host.ExitInterrupted
}

// report prints each worker's leak report, if --report asks for it.
func (w *workers) report() {
	if !w.cfg.Report {
		return
	}
	for i, v := range w.vms {
		who := ""
		if len(w.vms) > 1 {
			who = fmt.Sprintf(" (worker %d)", i+1)
		}
		v.Report(w.stderr, who)
	}
}

// exitCode is the code of a run whose workers all ended: os.exit's, an
// interrupt's, a limit's, else the main chunks' errors'.
func (w *workers) exitCode() int {
	for _, v := range w.vms {
		if code, exited := v.Exited(); exited {
			return code
		}
	}
	if errors.Is(context.Cause(w.ctx), luaapi.ErrInterrupted) {
		return host.ExitInterrupted
	}
	if w.limitErr != nil {
		return host.ExitError
	}
	return w.code
}

// close ends the run: every VM is interrupted and its sockets closed.
func (w *workers) close() {
	for _, v := range w.vms {
		v.Close()
	}
	w.cancelAll(context.Canceled)
}

// repl runs s's chunks (the -e chunks, -l modules and the script, if any),
// then reads statements at the prompt and runs each in the same VM, as lua
// and python3 do, until end of input (Ctrl-D). It returns the exit code.
func repl(env *Env, cfg *Config, s host.Script) int {
	if cfg.Workers > 1 {
		fmt.Fprintln(env.Stderr, "sockrun: the prompt runs one VM: --workers does not apply to it")
		return host.ExitUsage
	}
	if cfg.Live != "" {
		fmt.Fprintln(env.Stderr, "sockrun: --live shows a script's run: it does not apply to the prompt")
		return host.ExitUsage
	}
	if cfg.Metrics != "" {
		fmt.Fprintln(env.Stderr, "sockrun: --metrics serves a script's run: it does not apply to the prompt")
		return host.ExitUsage
	}
	if err := s.Read(env); err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
		return host.ExitUsage
	}
	done, err := host.SetupProcess(env, cfg.Profiles)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
		return host.ExitUsage
	}
	defer done()
	lcfg := luaConfig(cfg, &s)
	shared, err := luaapi.OpenSharedStore(cfg.SharedURL, cfg.MaxShared)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: config: %v\n", err)
		return host.ExitUsage
	}
	defer shared.Close()
	lcfg.Shared = shared
	v := host.NewVM(context.Background(), env, lcfg, s.Dir(), cfg.Path)
	defer v.Close()
	return prompt.Run(env, v, s, Version)
}

var errMainFailed = errors.New("main chunk failed")

// terminating says sig asks the run to end, and counts toward the second
// signal that ends it at once whatever the script does: Ctrl-C and
// SIGTERM always (a script's handler of them is its drain), SIGHUP only
// when it stops the run (unhandled; stops): a SIGHUP the script handles is
// a reload, as daemons take it, and its handler runs as often as it comes.
func terminating(sig os.Signal, stops bool) bool {
	switch sig {
	case syscall.SIGINT, syscall.SIGTERM:
		return true
	case syscall.SIGHUP:
		return stops
	}
	return false
}

// allClosed returns a channel closed once every one of chans is.
func allClosed(chans []<-chan struct{}) <-chan struct{} {
	all := make(chan struct{})
	go func() {
		for _, c := range chans {
			<-c
		}
		close(all)
	}()
	return all
}

// checkQuiet reads the script and compiles every chunk, and reports only
// a failure.
func checkQuiet(env *Env, s *host.Script) int {
	if err := s.Check(env); err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
		return host.ExitUsage
	}
	return host.ExitOK
}

// chunkResult is how a worker's main chunk ended.
type chunkResult struct {
	v      *host.VM
	worker int // 1..Workers
	err    error
}

// errorReporter prints the uncaught errors of the workers' main chunks.
type errorReporter struct {
	log              logger
	vms              []*host.VM
	interruptPrinted bool
	explain          bool         // print explanations under errors
	view             *live.Server // the live view, nil without --live
}

// report prints r's error and returns the exit code it means. An error
// that only echoes how the run was ended is not a failure of its own: the
// interrupt a chunk gets when another thread or worker called os.exit, or
// when another worker's chunk failed, is not printed, and Ctrl-C's is
// printed once, not once per worker.
func (rep *errorReporter) report(r chunkResult) int {
	cause := context.Cause(r.v.RunContext())
	switch {
	case errors.Is(cause, luaapi.ErrExited):
		return host.ExitOK // the exit code is os.exit's
	case errors.Is(cause, errMainFailed):
		return host.ExitError // reported with the chunk that failed
	case host.IsLimit(cause):
		return host.ExitError // the limit's message is printed
	}
	interrupted := host.IsKeyboardInterrupt(r.err)
	for _, v := range rep.vms {
		if errors.Is(context.Cause(v.RunContext()), luaapi.ErrInterrupted) {
			interrupted = true
		}
	}
	msg, trace := host.DescribeError(r.err)
	if interrupted {
		// Interrupted between two instructions rather than in a blocking
		// call, the VM raises the context's own error: say it as the
		// blocking calls do.
		if where, ok := strings.CutSuffix(msg, context.Canceled.Error()); ok {
			msg = where + "KeyboardInterrupt: interrupted"
		}
		if !rep.interruptPrinted {
			rep.interruptPrinted = true
			rep.log.log(luaapi.Message{Kind: "error", Text: msg, Bare: true})
		}
		return host.ExitInterrupted
	}
	m := luaapi.Message{Kind: "error"}
	if len(rep.vms) > 1 {
		m.Who, m.Worker = fmt.Sprintf("worker %d", r.worker), r.worker
	}
	var apiErr *lua.ApiError
	if errors.As(r.err, &apiErr) {
		// An error join re-raised from a thread that printed it: once is enough.
		if line, ok := r.v.Runtime().MainThread().Rejoined(apiErr.Object); ok {
			m.Text = line
			rep.log.log(m)
			return host.ExitError
		}
	}
	why := explanation(r.err)
	m.Text, m.Traceback = msg, trace
	if rep.explain {
		m.Why = why
	}
	rep.log.log(m)
	if rep.view != nil {
		rep.view.RunError(r.worker, msg, why)
	}
	return host.ExitError
}

// explanation is the explanation an error from PCall carries, if any.
func explanation(err error) string {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		return luaapi.Explanation(apiErr.Object)
	}
	return ""
}

// logger writes sockrun's own messages to standard error in the run's
// format (--log-format): the one place a message meets its format, for
// every message of the runner and, through the Config, of the script
// modules.
type logger struct {
	w io.Writer
	f luaapi.LogFormat
}

func newLogger(w io.Writer, f luaapi.LogFormat) logger { return logger{w: w, f: f} }

// log writes m, if its format writes it.
func (l logger) log(m luaapi.Message) {
	if b := l.f.Format(m); len(b) > 0 {
		l.w.Write(b)
	}
}

// checkQuietLog is checkQuiet with its message in the run's format.
func checkQuietLog(lg logger, env *Env, s *host.Script) int {
	if err := s.Check(env); err != nil {
		lg.log(luaapi.Message{Kind: "usage", Text: err.Error()})
		return host.ExitUsage
	}
	return host.ExitOK
}
