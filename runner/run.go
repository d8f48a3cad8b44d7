package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/core"
	"github.com/sockrun/sockrun/runner/host"
	"github.com/sockrun/sockrun/runner/prompt"
	"github.com/sockrun/sockrun/runner/trace"
	lua "github.com/yuin/gopher-lua"
)

// Version is sockrun's version.
const Version = "0.1.0"

// interruptGrace is how long a run gets to end after a signal that stops
// it (SIGTERM, SIGHUP), or how long the main thread gets to take the
// KeyboardInterrupt of Ctrl-C, before sockrun closes every socket and
// exits anyway: a thread inside one long built-in call (string.find
// backtracking, a huge string.rep) cannot be interrupted, and it holds the
// interpreter lock the main thread needs to raise it. A main thread that
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
	if code := checkQuiet(env, &s); code != host.ExitOK {
		return code
	}
	tr, err := trace.New(env.Stderr, env.Dir, cfg.Trace, s.Name(), cfg.Workers)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
		return host.ExitUsage
	}
	defer tr.Close()
	done, err := host.SetupProcess(env, cfg.Profiles)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
		return host.ExitUsage
	}
	defer done()
	core.SetMaxRecv(cfg.Limits.MaxRecv) // process-wide: every worker has the same
	parent, cancelAll := context.WithCancelCause(context.Background())
	defer cancelAll(context.Canceled)

	// The limits are watched from before the script starts: the memory
	// watchdog's descriptor is not one a script could count as its own.
	limitHit := make(chan error, 1)
	host.WatchLimits(parent, env, cfg.Limits, limitHit)

	vms := make([]*host.VM, 0, cfg.Workers)
	defer func() {
		for _, v := range vms {
			v.Close()
		}
	}()
	// The workers' only common state: the shared module's store.
	store := luaapi.NewSharedStore()
	results := make(chan chunkResult, cfg.Workers)
	for i := range cfg.Workers {
		lcfg := luaapi.Config{
			Vars:           cfg.Vars,
			Worker:         i + 1,
			Workers:        cfg.Workers,
			ReusePort:      cfg.Workers > 1,
			Args:           append([]string{s.Arg0()}, s.Args...),
			Interpreter:    s.Before,
			Version:        Version,
			Shared:         store,
			NoExplain:      !cfg.Explain,
			Report:         cfg.Report,
			LuaSocketDebug: cfg.LuaSocketDebug,
			MaxMemory:      cfg.Limits.MaxMemory,
			MaxThreads:     cfg.Limits.MaxThreads,
			MaxConnections: cfg.Limits.MaxConnections,
		}
		if cfg.Timeout >= 0 {
			lcfg.DefaultTimeout = &cfg.Timeout
		}
		v := host.NewVM(parent, env, lcfg, s.Dir(), cfg.Path)
		if tr != nil {
			vt := tr.ForVM(i+1, v.Runtime())
			v.SetLockTracer(vt)
			v.Runtime().SetObserver(vt)
		}
		vms = append(vms, v)
		fn, args, err := s.Load(v.L)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
			return host.ExitUsage
		}
		// os.exit in any worker ends the whole run, every worker.
		context.AfterFunc(v.RunContext(), func() {
			if _, exited := v.Exited(); exited {
				cancelAll(luaapi.ErrExited)
			}
		})
		done := make(chan error, 1)
		v.RunChunk(fn, args, done)
		go func() { results <- chunkResult{v: v, worker: i + 1, err: <-done} }()
	}

	code := host.ExitOK
	rep := &errorReporter{env: env, vms: vms, explain: cfg.Explain}
	signals := 0
	abort := make(chan struct{})
	// overdue fires interruptGrace after the first signal that stops the
	// run, or after a Ctrl-C until every main thread has raised its
	// KeyboardInterrupt (taken).
	var overdue <-chan time.Time
	var taken <-chan struct{}
	stopping := false
	onSignal := func(sig os.Signal) bool {
		stop, delivered := false, false
		var raised []<-chan struct{}
		for _, v := range vms {
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
		if terminating(sig) {
			signals++
		}
		tr.Signal(sig, max(signals, 1))
		if signals > 1 && terminating(sig) {
			fmt.Fprintln(env.Stderr, "sockrun: interrupted twice, exiting now")
			close(abort)
			return true
		}
		switch {
		case stop && !stopping:
			stopping = true
			cancelAll(luaapi.ErrInterrupted)
			overdue = time.After(interruptGrace)
		case len(raised) > 0 && !stopping:
			overdue = time.After(interruptGrace)
			taken = allClosed(raised)
		}
		return false
	}
	// onLimit ends a run a limit stopped, as a signal that stops it does,
	// with its own message and exit code.
	var limitErr error
	onLimit := func(err error) {
		if limitErr != nil {
			return
		}
		limitErr = err
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
		stopping = true
		cancelAll(err)
		if overdue == nil {
			overdue = time.After(interruptGrace)
		}
	}
	onTaken := func() {
		taken = nil
		if !stopping {
			overdue = nil
		}
	}
	// onOverdue ends a run the first signal could not end in time; the
	// deferred closes close every socket.
	onOverdue := func() int {
		if limitErr != nil {
			close(abort)
			return host.ExitError
		}
		if !rep.interruptPrinted {
			fmt.Fprintln(env.Stderr, "KeyboardInterrupt: interrupted")
		}
		fmt.Fprintf(env.Stderr, "sockrun: still busy %v after the interrupt (in a long call), exiting\n", interruptGrace)
		close(abort)
		return host.ExitInterrupted
	}
	for finished := 0; finished < len(vms); {
		select {
		case r := <-results:
			finished++
			if r.err != nil {
				if c := rep.report(r); c > code || c == host.ExitInterrupted {
					code = c
				}
				// A failed main chunk ends the whole run.
				cancelAll(errMainFailed)
			}
		case sig := <-env.Signals:
			if onSignal(sig) {
				return host.ExitInterrupted
			}
		case <-taken:
			onTaken()
		case err := <-limitHit:
			onLimit(err)
		case <-overdue:
			return onOverdue()
		}
	}
	// The main chunks are done; the run ends when every thread of every
	// worker is (waited for together: an interrupt's grace runs once).
	waited := make(chan bool, len(vms))
	for _, v := range vms {
		go func() { waited <- v.WaitThreads(interruptGrace, abort) }()
	}
	for pending := len(vms); pending > 0; {
		select {
		case <-waited:
			pending--
		case sig := <-env.Signals:
			if onSignal(sig) {
				return host.ExitInterrupted
			}
		case <-taken:
			onTaken()
		case err := <-limitHit:
			onLimit(err)
		case <-overdue:
			return onOverdue()
		}
	}
	if cfg.Report {
		for i, v := range vms {
			who := ""
			if len(vms) > 1 {
				who = fmt.Sprintf(" (worker %d)", i+1)
			}
			v.Report(env.Stderr, who)
		}
	}
	for _, v := range vms {
		if code, exited := v.Exited(); exited {
			return code
		}
	}
	if errors.Is(context.Cause(parent), luaapi.ErrInterrupted) {
		return host.ExitInterrupted
	}
	if limitErr != nil {
		return host.ExitError
	}
	return code
}

// repl runs s's chunks (the -e chunks, -l modules and the script, if any),
// then reads statements at the prompt and runs each in the same VM, as lua
// and python3 do, until end of input (Ctrl-D). It returns the exit code.
func repl(env *Env, cfg *Config, s host.Script) int {
	if cfg.Workers > 1 {
		fmt.Fprintln(env.Stderr, "sockrun: the prompt runs one VM: --workers does not apply to it")
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
	lcfg := luaapi.Config{
		Vars:        cfg.Vars,
		Args:        append([]string{s.Arg0()}, s.Args...),
		Interpreter: s.Before,
		Version:     Version,
	}
	if cfg.Timeout >= 0 {
		lcfg.DefaultTimeout = &cfg.Timeout
	}
	v := host.NewVM(context.Background(), env, lcfg, s.Dir(), cfg.Path)
	defer v.Close()
	return prompt.Run(env, v, s)
}

var errMainFailed = errors.New("main chunk failed")

// terminating reports whether sig is one that, sent twice, ends the
// process at once whatever the script does: SIGINT, SIGTERM, SIGHUP.
func terminating(sig os.Signal) bool {
	switch sig {
	case syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP:
		return true
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
	env              *Env
	vms              []*host.VM
	interruptPrinted bool
	explain          bool // print explanations under errors
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
	interrupted := isKeyboardInterrupt(r.err)
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
			fmt.Fprintf(rep.env.Stderr, "%s\n", msg)
		}
		return host.ExitInterrupted
	}
	who := ""
	if len(rep.vms) > 1 {
		who = fmt.Sprintf("worker %d: ", r.worker)
	}
	var apiErr *lua.ApiError
	if errors.As(r.err, &apiErr) {
		// An error join re-raised from a thread that printed it: once is enough.
		if line, ok := r.v.Runtime().MainThread().Rejoined(apiErr.Object); ok {
			fmt.Fprintf(rep.env.Stderr, "sockrun: %s%s\n", who, line)
			return host.ExitError
		}
	}
	fmt.Fprintf(rep.env.Stderr, "sockrun: %s%s\n", who, msg)
	if why := explanation(r.err); why != "" && rep.explain {
		fmt.Fprintf(rep.env.Stderr, "  why: %s\n", why)
	}
	if trace != "" {
		fmt.Fprintf(rep.env.Stderr, "%s\n", trace)
	}
	return host.ExitError
}

// isKeyboardInterrupt reports whether err, from PCall, is the
// KeyboardInterrupt a signal raised in the main thread.
func isKeyboardInterrupt(err error) bool {
	var apiErr *lua.ApiError
	if !errors.As(err, &apiErr) {
		return false
	}
	t, ok := apiErr.Object.(*lua.LTable)
	return ok && t.RawGetString("class") == lua.LString("KeyboardInterrupt")
}

// explanation is the explanation an error from PCall carries, if any.
func explanation(err error) string {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		return luaapi.Explanation(apiErr.Object)
	}
	return ""
}
