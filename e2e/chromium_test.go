package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// A real browser for the tests of pages (--live): Debian's chromium,
// headless, driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: the browser reads commands from its
// descriptor 3 and writes answers and events to its descriptor 4, each
// message JSON ended by a NUL byte). No WebSocket, no driver, no module.

// browser is a headless chromium and one page of it.
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	in      *os.File // the browser's descriptor 3: our commands
	session string   // the page's session

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpAnswer
	stderr  bytes.Buffer
	gone    chan struct{} // closed when the browser's output ends
}

// cdpAnswer is the answer to one command.
type cdpAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// startBrowser starts headless chromium with a page of width×height
// pixels open at url. It is closed when the test ends.
func startBrowser(t *testing.T, url string, width, height int) *browser {
	t.Helper()
	bin := testenv.Tool(t, "chromium")
	cmdR, cmdW, err := os.Pipe() // our commands: the browser's fd 3
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe() // its answers: the browser's fd 4
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, in: cmdW, waiting: map[int]chan cdpAnswer{}, gone: make(chan struct{})}
	b.cmd = exec.Command(bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--remote-debugging-pipe", "--user-data-dir="+t.TempDir(), "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--force-device-scale-factor=1", fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, outW}
	b.cmd.Stderr = &lockedWriter{mu: &b.mu, w: &b.stderr}
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	cmdR.Close()
	outW.Close()
	go b.read(outR)
	t.Cleanup(b.close)

	var target struct {
		TargetID string `json:"targetId"`
	}
	b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	b.session = attached.SessionID
	b.call(b.session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	b.call(b.session, "Page.enable", nil, nil)
	b.call(b.session, "Page.navigate", map[string]any{"url": url}, nil)
	return b
}

// read takes the browser's messages, handing each answer to its command.
func (b *browser) read(out *os.File) {
	defer close(b.gone)
	r := bufio.NewReader(out)
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID int `json:"id"`
			cdpAnswer
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
			continue // an event: not asked for
		}
		b.mu.Lock()
		ch := b.waiting[m.ID]
		delete(b.waiting, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.cdpAnswer
		}
	}
}

// call sends a command (to the page's session, or the browser's if
// session is "") and decodes its result into result (nil: ignored).
func (b *browser) call(session, method string, params any, result any) {
	b.t.Helper()
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpAnswer, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	cmd := map[string]any{"id": id, "method": method}
	if params != nil {
		cmd["params"] = params
	}
	if session != "" {
		cmd["sessionId"] = session
	}
	data, _ := json.Marshal(cmd)
	if _, err := b.in.Write(append(data, 0)); err != nil {
		b.t.Fatalf("chromium: %s: %v", method, err)
	}
	select {
	case a := <-ch:
		if a.Error != nil {
			b.t.Fatalf("chromium: %s: %s", method, a.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(a.Result, result); err != nil {
				b.t.Fatalf("chromium: %s: %v in %s", method, err, a.Result)
			}
		}
	case <-b.gone:
		b.t.Fatalf("chromium ended during %s; stderr:\n%s", method, b.stderrText())
	case <-time.After(60 * time.Second):
		b.t.Fatalf("chromium: no answer to %s within 60s", method)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting it, if it
// is a promise) and decodes its value into v.
func (b *browser) eval(expr string, v any) {
	b.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.call(b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r)
	if r.ExceptionDetails != nil {
		b.t.Fatalf("in the page: %s %s\nevaluating: %s", r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description, expr)
	}
	if v != nil {
		if err := json.Unmarshal(r.Result.Value, v); err != nil {
			b.t.Fatalf("in the page: %v (value %s) evaluating: %s", err, r.Result.Value, expr)
		}
	}
}

// waitFor waits, in the page, until the JavaScript expression cond is
// true, at most timeout, and reports whether it became true. The page
// checks it at each of its frames.
func (b *browser) waitFor(cond string, timeout time.Duration) bool {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf(`new Promise((resolve) => {
		const until = performance.now() + %d;
		const check = () => {
			let ok = false;
			try { ok = !!(%s); } catch (e) {}
			if (ok || performance.now() > until) resolve(ok); else requestAnimationFrame(check);
		};
		check();
	})`, timeout.Milliseconds(), cond), &ok)
	return ok
}

// screenshot writes the page as a PNG to path.
func (b *browser) screenshot(path string) {
	b.t.Helper()
	var shot struct {
		Data string `json:"data"`
	}
	b.call(b.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) stderrText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stderr.String()
}

// close ends the browser: asked to close, else killed.
func (b *browser) close() {
	data, _ := json.Marshal(map[string]any{"id": 1 << 30, "method": "Browser.close"})
	b.in.Write(append(data, 0))
	b.in.Close()
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}
