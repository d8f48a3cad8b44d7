package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Version is sockrun's version.
const Version = "0.1.0"

// interruptGrace is how long a run gets to end after Ctrl-C or SIGTERM
// before sockrun closes every socket and exits anyway: a thread inside one
// long built-in call (string.find backtracking, a huge string.rep) cannot
// be interrupted, and it holds the interpreter lock the others need to end.
const interruptGrace = 2 * time.Second

// script is what to run: a file, or a chunk given with -e.
type script struct {
	path  string // file path, or "" for a chunk
	chunk string
	args  []string // arg[1..]
}

func (s script) name() string {
	if s.path == "" {
		return "(command line)"
	}
	return s.path
}

// load compiles the script in L.
func (s script) load(L *lua.LState) (*lua.LFunction, error) {
	if s.path == "" {
		return L.Load(strings.NewReader(s.chunk), s.name())
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return L.Load(f, s.path)
}

// lineCount is the number of lines of the script's source.
func (s script) lineCount() int {
	src := s.chunk
	if s.path != "" {
		b, _ := os.ReadFile(s.path)
		src = string(b)
	}
	return strings.Count(strings.TrimRight(src, "\n"), "\n") + 1
}

// compileError formats a load failure as "file:line: message".
func compileError(s script, err error) string {
	var pe *parse.Error
	if errors.As(err, &pe) {
		msg := strings.TrimSpace(pe.Message)
		line := pe.Pos.Line
		if line < 1 {
			// The parser ran out of input: the error is at the last line.
			msg += " at end of file"
			line = s.lineCount()
		} else if pe.Token != "" {
			msg = fmt.Sprintf("%s near '%s'", msg, pe.Token)
		}
		return fmt.Sprintf("%s:%d: %s", s.name(), line, msg)
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		if errors.As(apiErr.Cause, &pe) {
			return compileError(s, apiErr.Cause)
		}
		return apiErr.Object.String()
	}
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return fmt.Sprintf("cannot open %s: %v", pathErr.Path, pathErr.Err)
	}
	return err.Error()
}

// check compiles a script without running it.
func check(env *Env, s script) int {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	if _, err := s.load(L); err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %s\n", compileError(s, err))
		return ExitUsage
	}
	fmt.Fprintf(env.Stdout, "%s: ok\n", s.name())
	return ExitOK
}

// run runs a script in cfg.Workers VMs and returns the exit code.
func run(env *Env, cfg *Config, s script) int {
	// Compile once up front so a syntax error is a usage error (exit 2)
	// before anything starts.
	if code := checkQuiet(env, s); code != ExitOK {
		return code
	}
	tr, err := newTracer(env, cfg.Trace, s.name(), cfg.Workers)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
		return ExitUsage
	}
	defer tr.close()
	done, err := setupProcess(env, cfg.Profiles)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
		return ExitUsage
	}
	defer done()
	parent, cancelAll := context.WithCancelCause(context.Background())
	defer cancelAll(context.Canceled)

	vms := make([]*vm, 0, cfg.Workers)
	defer func() {
		for _, v := range vms {
			v.close()
		}
	}()
	// The workers' only common state: the shared module's store.
	store := luaapi.NewSharedStore()
	results := make(chan chunkResult, cfg.Workers)
	for i := range cfg.Workers {
		lcfg := luaapi.Config{
			Vars:      cfg.Vars,
			Worker:    i + 1,
			Workers:   cfg.Workers,
			ReusePort: cfg.Workers > 1,
			Args:      append([]string{s.name()}, s.args...),
			Version:   Version,
			Shared:    store,
			NoExplain: !cfg.Explain,
		}
		if cfg.Timeout >= 0 {
			lcfg.DefaultTimeout = &cfg.Timeout
		}
		v := newVM(parent, env, lcfg, s.path)
		if tr != nil {
			v.trace = tr.forVM(i+1, v.rt)
			v.rt.SetObserver(v.trace)
		}
		vms = append(vms, v)
		fn, err := s.load(v.L)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sockrun: %s\n", compileError(s, err))
			return ExitUsage
		}
		// os.exit in any worker ends the whole run, every worker.
		context.AfterFunc(v.ctx, func() {
			if v.exited.Load() {
				cancelAll(luaapi.ErrExited)
			}
		})
		done := make(chan error, 1)
		v.runChunk(fn, done)
		go func() { results <- chunkResult{v: v, worker: i + 1, err: <-done} }()
	}

	code := ExitOK
	rep := &errorReporter{env: env, vms: vms, explain: cfg.Explain}
	signals := 0
	abort := make(chan struct{})
	// overdue fires interruptGrace after the first signal.
	var overdue <-chan time.Time
	onSignal := func(sig os.Signal) bool {
		signals++
		tr.signal(sig, signals)
		if signals == 1 {
			cancelAll(luaapi.ErrInterrupted)
			overdue = time.After(interruptGrace)
			return false
		}
		fmt.Fprintln(env.Stderr, "sockrun: interrupted twice, exiting now")
		close(abort)
		return true
	}
	// onOverdue ends a run the first signal could not end in time; the
	// deferred closes close every socket.
	onOverdue := func() int {
		if !rep.interruptPrinted {
			fmt.Fprintln(env.Stderr, "KeyboardInterrupt: interrupted")
		}
		fmt.Fprintf(env.Stderr, "sockrun: still busy %v after the interrupt (in a long call), exiting\n", interruptGrace)
		close(abort)
		return ExitInterrupted
	}
	for finished := 0; finished < len(vms); {
		select {
		case r := <-results:
			finished++
			if r.err != nil {
				if c := rep.report(r); c > code || c == ExitInterrupted {
					code = c
				}
				// A failed main chunk ends the whole run.
				cancelAll(errMainFailed)
			}
		case sig := <-env.Signals:
			if onSignal(sig) {
				return ExitInterrupted
			}
		case <-overdue:
			return onOverdue()
		}
	}
	// The main chunks are done; the run ends when every thread of every
	// worker is (waited for together: an interrupt's grace runs once).
	waited := make(chan bool, len(vms))
	for _, v := range vms {
		go func() { waited <- v.waitThreads(interruptGrace, abort) }()
	}
	for pending := len(vms); pending > 0; {
		select {
		case <-waited:
			pending--
		case sig := <-env.Signals:
			if onSignal(sig) {
				return ExitInterrupted
			}
		case <-overdue:
			return onOverdue()
		}
	}
	for _, v := range vms {
		if v.exited.Load() {
			return int(v.exitCode.Load())
		}
	}
	if errors.Is(context.Cause(parent), luaapi.ErrInterrupted) {
		return ExitInterrupted
	}
	return code
}

var errMainFailed = errors.New("main chunk failed")

// checkQuiet compiles the script and reports only a failure.
func checkQuiet(env *Env, s script) int {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	if _, err := s.load(L); err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %s\n", compileError(s, err))
		return ExitUsage
	}
	return ExitOK
}

// chunkResult is how a worker's main chunk ended.
type chunkResult struct {
	v      *vm
	worker int // 1..Workers
	err    error
}

// errorReporter prints the uncaught errors of the workers' main chunks.
type errorReporter struct {
	env              *Env
	vms              []*vm
	interruptPrinted bool
	explain          bool // print explanations under errors
}

// report prints r's error and returns the exit code it means. An error
// that only echoes how the run was ended is not a failure of its own: the
// interrupt a chunk gets when another thread or worker called os.exit, or
// when another worker's chunk failed, is not printed, and Ctrl-C's is
// printed once, not once per worker.
func (rep *errorReporter) report(r chunkResult) int {
	cause := context.Cause(r.v.ctx)
	switch {
	case errors.Is(cause, luaapi.ErrExited):
		return ExitOK // the exit code is os.exit's
	case errors.Is(cause, errMainFailed):
		return ExitError // reported with the chunk that failed
	}
	interrupted := false
	for _, v := range rep.vms {
		if errors.Is(context.Cause(v.ctx), luaapi.ErrInterrupted) {
			interrupted = true
		}
	}
	msg, trace := describeError(r.err)
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
		return ExitInterrupted
	}
	who := ""
	if len(rep.vms) > 1 {
		who = fmt.Sprintf("worker %d: ", r.worker)
	}
	fmt.Fprintf(rep.env.Stderr, "sockrun: %s%s\n", who, msg)
	if why := explanation(r.err); why != "" && rep.explain {
		fmt.Fprintf(rep.env.Stderr, "  why: %s\n", why)
	}
	if trace != "" {
		fmt.Fprintf(rep.env.Stderr, "%s\n", trace)
	}
	return ExitError
}

// explanation is the explanation an error from PCall carries, if any.
func explanation(err error) string {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		return luaapi.Explanation(apiErr.Object)
	}
	return ""
}

// describeError is the message and Lua traceback of an error from PCall.
func describeError(err error) (msg, trace string) {
	var apiErr *lua.ApiError
	if !errors.As(err, &apiErr) {
		return err.Error(), ""
	}
	if m, ok := luaapi.IsErrorValue(apiErr.Object); ok {
		msg = m
	} else if apiErr.Object != nil {
		msg = apiErr.Object.String()
	} else {
		msg = err.Error()
	}
	return msg, strings.TrimRight(apiErr.StackTrace, "\n")
}
