package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/luaapi/lua51"
	"github.com/sockrun/sockrun/runner/host"
	"github.com/sockrun/sockrun/runner/repr"
	lua "github.com/yuin/gopher-lua"
)

// Prompts: a new statement, and the rest of an incomplete one.
const (
	promptFirst = "> "
	promptMore  = ">> "
)

// Run runs s's chunks (the -e chunks, -l modules and the script, if any)
// in v, then reads statements at the prompt and runs each in the same VM,
// as lua and python3 do, until end of input (Ctrl-D). It returns the exit
// code: 0 at end of input, os.exit's code, or 130 for SIGTERM or a second
// Ctrl-C. s has been read (host.Script.Read).
//
// On a terminal it first says how to leave, as python3 does: banner is
// what it prints, version the one it names.
func Run(env *host.Env, v *host.VM, s host.Script, version string) int {
	p := &prompt{v: v, env: env}
	p.ed = newLineEditor(env, p.complete)
	if env.Terminal {
		fmt.Fprint(env.Stderr, banner(version, windowSized()))
	}
	code := p.session(s)
	if err := p.ed.Close(); err != nil {
		fmt.Fprintf(env.Stderr, "sockrun: %v\n", err)
	}
	return code
}

// banner is what the prompt says first on a terminal: what runs, how to
// leave, what Ctrl-C and Tab do. sized is whether the terminal says how
// wide it is: the line editor edits (and Tab completes) only then, so on a
// terminal that was never given a size (a bare pty, a serial console) the
// banner says how to give it one instead of promising Tab.
func banner(version string, sized bool) string {
	tab := "Tab completes names."
	if !sized {
		tab = "this terminal has no size, so lines are not edited and Tab does not complete (stty cols 80 rows 24 gives it one)."
	}
	return "sockrun " + version + " (Lua 5.1). Leave with Ctrl-D (end of input) or os.exit().\n" +
		"Ctrl-C interrupts the statement that runs (threads run on); " + tab + "\n"
}

// prompt is an interactive session on one VM. Its statements run on the
// main thread, holding the interpreter lock, which is released while a
// line is read: threads started at the prompt run meanwhile.
//
// A Ctrl-C while a statement runs is delivered as in a run, as Python
// does at its prompt: a KeyboardInterrupt in the main thread only, which
// ends what the statement waits in (accept, recv, sleep, a join ...) or
// its Lua code between two instructions; the threads started before run
// on. If the script made SIGINT stop the run (signal.SIG_DFL), the Ctrl-C
// cancels the VM's current epoch instead (the context every blocking call
// of every thread watches), and the prompt starts a new one, so that the
// session goes on. A second Ctrl-C during the same statement (one inside
// a long built-in call) exits, as in a run.
type prompt struct {
	v   *host.VM
	env *host.Env
	ed  lineEditor

	mu         sync.Mutex // guards what follows
	busy       bool       // a statement runs
	pending    bool       // a Ctrl-C came after a line was read, before its statement ran
	reading    bool       // from before Prompt until before Release: the editor has the terminal
	interrupts int        // Ctrl-Cs while it runs
	cur        *host.Epoch
}

// session runs the session and returns the exit code: 0 at end of input,
// os.exit's code, or 130 for SIGTERM or a second Ctrl-C.
func (p *prompt) session(s host.Script) int {
	v := p.v
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Lock(v.L)
		defer v.Unlock(v.L)
		p.newEpoch()
		// As python3 -i: an error in the chunks is printed as a run
		// prints it, and the prompt opens, with the globals they set, to
		// look at it.
		if calls, err := s.Load(v.L); err != nil {
			fmt.Fprintf(p.env.Stderr, "sockrun: %v\n", err)
		} else {
			for _, c := range calls {
				if !p.run(c.Run, false, "sockrun: ") {
					break
				}
			}
		}
		p.loop()
	}()
	for {
		select {
		case <-done:
			return p.exitCode()
		case <-v.RunContext().Done():
			return p.exitCode() // os.exit in a thread
		case sig := <-p.env.Signals:
			if sig == syscall.SIGTERM {
				return host.ExitInterrupted
			}
			if p.interrupt() > 1 {
				fmt.Fprintln(p.env.Stderr, "sockrun: interrupted twice, exiting now")
				return host.ExitInterrupted
			}
		}
	}
}

func (p *prompt) exitCode() int {
	if code, exited := p.v.Exited(); exited {
		return code
	}
	return host.ExitOK
}

// interrupt is Ctrl-C: it interrupts the statement running, if one is,
// and returns how many Ctrl-Cs it has had.
func (p *prompt) interrupt() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.busy {
		// Between reading a line (the terminal in raw mode: Ctrl-C is a
		// key, not a signal, from Prompt to Release) and running it: the
		// Ctrl-C is for that statement. One that comes as the editor
		// starts, before it takes the terminal, is dropped.
		if !p.reading {
			p.pending = true
		}
		return 0
	}
	p.interrupts++
	p.deliver()
	return p.interrupts
}

// deliver hands a Ctrl-C to the statement that runs: to the main thread,
// as signal.signal has SIGINT do (a KeyboardInterrupt by default, or the
// script's handler; nothing with signal.SIG_IGN), or, with signal.SIG_DFL,
// to every wait of the VM. p.mu is held.
func (p *prompt) deliver() {
	if d, _ := p.v.Runtime().Deliver(syscall.SIGINT); d == luaapi.SignalStop {
		p.cur.Interrupt()
	}
}

// newEpoch gives the VM a fresh context for its blocking calls, the main
// state's checks between instructions and its sockets' interrupts. It is
// called holding the interpreter lock.
func (p *prompt) newEpoch() {
	e := p.v.NewEpoch()
	p.mu.Lock()
	p.cur = e
	p.mu.Unlock()
}

// loop reads statements and runs them until end of input. It holds the
// interpreter lock except while it reads.
func (p *prompt) loop() {
	v, L := p.v, p.v.L
	var lines []string
	for {
		pr := promptFirst
		if len(lines) > 0 {
			pr = promptMore
		}
		v.Unlock(L)
		p.mu.Lock()
		p.pending = false // a Ctrl-C before this prompt was for the statement before
		p.reading = true
		p.mu.Unlock()
		line, err := p.ed.Prompt(pr)
		// The editor keeps the terminal, Ctrl-C a key, until Release: the
		// prompt leaves reading first, so that a Ctrl-C from the moment
		// the terminal is given back is taken for the statement just read
		// (pending), never for the editor's and dropped.
		p.mu.Lock()
		p.reading = false
		p.mu.Unlock()
		p.ed.Release()
		v.Lock(L)
		switch {
		case errors.Is(err, errPromptAborted):
			// As python3: Ctrl-C drops the line being typed.
			lines = nil
			fmt.Fprintln(p.env.Stderr, "KeyboardInterrupt")
			continue
		case err == io.EOF:
			if p.env.Terminal {
				fmt.Fprintln(p.env.Stdout)
			}
			return
		case err != nil:
			fmt.Fprintf(p.env.Stderr, "sockrun: reading the prompt: %v\n", err)
			return
		}
		if strings.TrimSpace(line) != "" {
			p.ed.AppendHistory(line)
		}
		lines = append(lines, line)
		src := strings.Join(lines, "\n")
		if strings.TrimSpace(src) == "" {
			lines = nil
			continue
		}
		fn, err := p.compile(src)
		if err != nil {
			if incomplete(err) {
				continue // the statement goes on at the next line
			}
			fmt.Fprintln(p.env.Stderr, err)
			lines = nil
			continue
		}
		lines = nil
		p.exec(fn)
	}
}

// compile compiles what was typed: as an expression, whose values the
// prompt shows, if it is one (as lua 5.3 does; "=expr" as lua 5.1 does),
// else as statements (whose return values it shows too).
func (p *prompt) compile(src string) (*lua.LFunction, error) {
	if expr, ok := strings.CutPrefix(src, "="); ok {
		src = "return " + expr
	}
	if proto, err := lua51.Compile("return "+src, "stdin"); err == nil {
		return p.v.L.NewFunctionFromProto(proto), nil
	}
	proto, err := lua51.Compile(src, "stdin")
	if err != nil {
		return nil, err
	}
	return p.v.L.NewFunctionFromProto(proto), nil
}

// exec runs fn, a statement typed, on the main thread, holding the lock,
// and prints its error or its values.
func (p *prompt) exec(fn *lua.LFunction) {
	p.run(func(L *lua.LState) error {
		L.Push(fn)
		return host.ExplainError(L, L.PCall(0, lua.MultRet, nil))
	}, true, "")
}

// run makes call on the main thread, holding the lock, as the statement
// that Ctrl-C interrupts, and prints its error (after prefix) or, if
// show, the values it left on the stack. It reports whether call
// succeeded.
func (p *prompt) run(call func(L *lua.LState) error, show bool, prefix string) bool {
	L := p.v.L
	p.v.Runtime().MainRunning(true)
	p.mu.Lock()
	p.busy, p.interrupts = true, 0
	if p.pending {
		p.pending = false
		p.interrupts++
		p.deliver()
	}
	p.mu.Unlock()
	top := L.GetTop()
	err := call(L)
	p.mu.Lock()
	p.busy = false
	interrupted := p.cur.Ended()
	p.mu.Unlock()
	p.v.Runtime().MainRunning(false)
	// A KeyboardInterrupt that came as the statement ended is not the
	// next one's.
	p.v.Runtime().DropInterrupt()
	if err != nil {
		p.printError(err, interrupted || host.IsKeyboardInterrupt(err), prefix)
	} else if show {
		p.printValues(top)
	}
	L.SetTop(top)
	if interrupted && p.v.RunContext().Err() == nil {
		// The threads whose waits the Ctrl-C ended and that wait for the
		// lock run first, while the old epoch is still cancelled, so that
		// they see they were interrupted.
		p.v.Yield(L)
		p.newEpoch()
	}
	return err == nil
}

// printError prints a statement's error, after prefix, and its traceback
// on stderr.
func (p *prompt) printError(err error, interrupted bool, prefix string) {
	msg, trace := host.DescribeError(err)
	if interrupted {
		// Interrupted between two instructions, the VM raises the
		// context's own error: say it as the blocking calls do.
		if where, ok := strings.CutSuffix(msg, context.Canceled.Error()); ok {
			msg = where + "KeyboardInterrupt: interrupted"
		}
		trace = ""
	}
	fmt.Fprintln(p.env.Stderr, prefix+msg)
	if trace != "" {
		fmt.Fprintln(p.env.Stderr, trace)
	}
}

// printValues prints the values above top on the stack, readably (repr),
// separated by tabs as print does.
func (p *prompt) printValues(top int) {
	L := p.v.L
	n := L.GetTop() - top
	if n == 0 {
		return
	}
	show := L.NewFunction(func(L *lua.LState) int {
		pr := valuePrinter(L)
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = pr.Value(L.Get(i + 1))
		}
		L.Push(lua.LString(strings.Join(parts, "\t")))
		return 1
	})
	L.Insert(show, top+1)
	if err := L.PCall(n, 1, nil); err != nil {
		p.printError(err, false, "")
		return
	}
	fmt.Fprintln(p.env.Stdout, L.Get(-1).String())
}

// Bounds of what the prompt prints of one value.
const (
	reprDepth = 4   // tables nested deeper print as {...}
	reprItems = 100 // fields printed in all; the rest is "..."
)

// valuePrinter is how the prompt shows values: as repr.Printer does, an
// error value as its message and userdata through __tostring. It calls
// __tostring, so it runs where a Lua error is caught.
func valuePrinter(L *lua.LState) *repr.Printer {
	return &repr.Printer{
		Depth: reprDepth,
		Items: reprItems,
		Special: func(v lua.LValue) (string, bool) {
			switch v := v.(type) {
			case *lua.LTable:
				return luaapi.IsErrorValue(v)
			case *lua.LUserData:
				return L.ToStringMeta(v).String(), true
			}
			return "", false
		},
	}
}

// incomplete reports whether err, from compiling src, says that src ends
// before its statement does (the prompt then asks for more), as lua5.1's
// prompt decides it.
func incomplete(err error) bool {
	var se *lua51.SyntaxError
	return errors.As(err, &se) && se.Incomplete()
}
