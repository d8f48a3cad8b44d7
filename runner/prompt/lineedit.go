package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
	"github.com/sockrun/sockrun/runner/host"
	"golang.org/x/sys/unix"
)

// errPromptAborted is a line abandoned with Ctrl-C at the prompt.
var errPromptAborted = errors.New("prompt aborted")

// lineEditor reads the prompt's lines.
type lineEditor interface {
	// Prompt shows prompt and reads a line: io.EOF at end of input
	// (Ctrl-D), errPromptAborted for Ctrl-C. It keeps the terminal, where
	// Ctrl-C is a key and not a signal, until Release.
	Prompt(prompt string) (string, error)
	// Release gives the terminal back as it was before Prompt: Ctrl-C is
	// a signal again. The prompt calls it once it is ready to take that
	// signal as an interrupt of the statement read.
	Release()
	// AppendHistory records a line entered.
	AppendHistory(line string)
	// Close restores the terminal and saves the history.
	Close() error
}

// newLineEditor is a line editor with history on a terminal, or one that
// reads plain lines from standard input, prompting on standard error, as
// python3 -i does when its input is not a terminal.
// On a terminal, Tab completes with complete (liner's word completer):
// the first Tab what the names share, a second lists them.
func newLineEditor(env *host.Env, complete liner.WordCompleter) lineEditor {
	if !env.Terminal {
		return &plainEditor{in: bufio.NewReader(env.Stdin), prompts: env.Stderr}
	}
	return newTermEditor(historyFile(env), complete)
}

// historyFile is where the prompt's history is kept: $SOCKRUN_HISTORY (an
// empty value keeps none), else $XDG_STATE_HOME/sockrun_history, else
// ~/.sockrun_history.
func historyFile(env *host.Env) string {
	environ := env.EnvironMap()
	if f, ok := environ["SOCKRUN_HISTORY"]; ok {
		return f
	}
	if dir := environ["XDG_STATE_HOME"]; dir != "" {
		return filepath.Join(dir, "sockrun_history")
	}
	if home := environ["HOME"]; home != "" {
		return filepath.Join(home, ".sockrun_history")
	}
	return ""
}

// termEditor edits lines on the terminal with liner. While a statement
// runs the terminal is in the mode it had before (echo, line input,
// Ctrl-C a signal), so that io.read works and Ctrl-C interrupts; liner's
// raw mode, without signals, is on only from Prompt to Release.
//
// liner turns signals off itself only while it reads, and gives back the
// mode it found when it returns: so the mode Prompt sets is liner's raw
// mode with signals off too, or a Ctrl-C right after a line was read
// would be a signal before the prompt was ready to take it for the
// statement (it was dropped, and a blocking s:accept() typed at the
// prompt waited for ever).
type termEditor struct {
	l *liner.State
	// origMode is the terminal's mode before, lineMode the one to read a
	// line in; nil if standard input's mode could not be read.
	origMode, lineMode *unix.Termios
	history            string
}

func newTermEditor(history string, complete liner.WordCompleter) *termEditor {
	e := &termEditor{history: history}
	e.origMode = terminalMode()
	e.l = liner.NewLiner()
	if e.lineMode = terminalMode(); e.lineMode != nil {
		e.lineMode.Lflag &^= unix.ISIG
	}
	e.l.SetCtrlCAborts(true)
	if complete != nil {
		e.l.SetWordCompleter(complete)
		e.l.SetTabCompletionStyle(liner.TabPrints)
	}
	if history != "" {
		if f, err := os.Open(history); err == nil {
			e.l.ReadHistory(f)
			f.Close()
		}
	}
	e.Release()
	return e
}

// terminalMode is standard input's terminal mode, nil if it has none.
func terminalMode() *unix.Termios {
	t, err := unix.IoctlGetTermios(unix.Stdin, unix.TCGETS)
	if err != nil {
		return nil
	}
	return t
}

// windowSized reports whether standard output's terminal knows its width,
// which the line editor needs to edit at all.
func windowSized() bool {
	ws, err := unix.IoctlGetWinsize(unix.Stdout, unix.TIOCGWINSZ)
	return err == nil && ws.Col > 0
}

// setTerminalMode sets standard input's terminal mode to t, if not nil.
func setTerminalMode(t *unix.Termios) {
	if t != nil {
		unix.IoctlSetTermios(unix.Stdin, unix.TCSETS, t)
	}
}

// Prompt implements lineEditor.
func (e *termEditor) Prompt(prompt string) (string, error) {
	setTerminalMode(e.lineMode)
	line, err := e.l.Prompt(prompt)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errPromptAborted
	}
	return line, err
}

// Release implements lineEditor.
func (e *termEditor) Release() { setTerminalMode(e.origMode) }

// AppendHistory implements lineEditor.
func (e *termEditor) AppendHistory(line string) { e.l.AppendHistory(line) }

// Close implements lineEditor.
func (e *termEditor) Close() error {
	var err error
	if e.history != "" {
		var f *os.File
		if f, err = os.Create(e.history); err == nil {
			_, err = e.l.WriteHistory(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			err = fmt.Errorf("history: %w", err)
		}
	}
	e.l.Close()
	e.Release()
	return err
}

// plainEditor reads lines from a stream that is not a terminal.
type plainEditor struct {
	in      *bufio.Reader
	prompts io.Writer
}

// Prompt implements lineEditor.
func (e *plainEditor) Prompt(prompt string) (string, error) {
	fmt.Fprint(e.prompts, prompt)
	line, err := e.in.ReadString('\n')
	if err != nil && (line == "" || err != io.EOF) {
		if err == io.EOF {
			return "", io.EOF
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Release implements lineEditor.
func (e *plainEditor) Release() {}

// AppendHistory implements lineEditor.
func (e *plainEditor) AppendHistory(string) {}

// Close implements lineEditor.
func (e *plainEditor) Close() error { return nil }
