package e2e

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// liveClient is a chat client that counts the bytes it sent and received,
// to check the live view's socket table against.
type liveClient struct {
	t              *testing.T
	name           string
	conn           net.Conn
	r              *bufio.Reader
	sent, received int
	local          string
}

func dialLive(t *testing.T, name, addr string) *liveClient {
	t.Helper()
	c := dial(t, addr, time.Now().Add(90*time.Second))
	return &liveClient{t: t, name: name, conn: c, r: bufio.NewReader(c), local: c.LocalAddr().String()}
}

func (c *liveClient) send(s string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("%s: send: %v", c.name, err)
	}
	c.sent += len(s)
}

func (c *liveClient) expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("%s: receive: %v (got %q)", c.name, err, line)
		}
		c.received += len(line)
		if got := strings.TrimSuffix(line, "\n"); got != w {
			c.t.Fatalf("%s received %q, want %q", c.name, got, w)
		}
	}
}

// TestLiveView runs scripts/chat_server.lua with --live while three
// clients chat, and looks at the page in a real browser (headless
// chromium): its socket table must show the clients' connections with
// the bytes each sent and received and the thread waiting on each; a
// click on an arrow must show its bytes as text and hex; a reset
// connection's error must be listed with its explanation; and when the
// run has ended, the page's diagram must be, arrow for arrow, the Mermaid
// diagram --trace-format mermaid wrote of the same run. A screenshot is
// left in $SOCKRUN_TEST_ARTIFACTS (else the test's temporary directory).
func TestLiveView(t *testing.T) {
	dir := t.TempDir()
	mmd := filepath.Join(dir, "trace.mmd")
	// (The script as a newcomer names it, from the repository's top: the
	// page shows the name.)
	srv := start(t, "--live", "127.0.0.1:0", "--trace-file", mmd, "--var", "port=0", "scripts/chat_server.lua")
	addr := srv.waitLine(`^listening on (127\.0\.0\.1:[1-9]\d*)$`, 10*time.Second)[1]
	url := waitStderrMatch(t, srv, `sockrun: live view on (http://127\.0\.0\.1:[1-9]\d*/)`, 10*time.Second)[1]

	b := startBrowser(t, url, 1360, 860)
	if !b.waitFor(`document.querySelector("#status.live") && document.querySelector("tr.socket[data-state=LISTENING]")`, 30*time.Second) {
		t.Fatalf("the page never showed the listening socket live; stderr:\n%s", b.stderrText())
	}

	// Three clients join, pick their nicks and talk.
	var room []*liveClient
	join := func(name string, guest int) *liveClient {
		c := dialLive(t, name, addr)
		c.expect(fmt.Sprintf("* welcome guest%d%s", guest, chatWelcome))
		for _, o := range room {
			o.expect(fmt.Sprintf("* guest%d joined", guest))
		}
		room = append(room, c)
		c.send("/nick " + name + "\n")
		for _, o := range room {
			o.expect(fmt.Sprintf("* guest%d is now known as %s", guest, name))
		}
		return c
	}
	alice, bob, carol := join("alice", 1), join("bob", 2), join("carol", 3)
	say := func(from *liveClient, text string) {
		from.send(text + "\n")
		for _, o := range room {
			if o != from {
				o.expect("[" + from.name + "] " + text)
			}
		}
	}
	say(alice, "hello, anyone here?")
	say(bob, "hi alice, bob here")
	say(carol, "carol too  (two spaces)")
	say(alice, "bytes: \x01\x02 ok")

	// The socket table: the listener, and each client's connection with
	// the bytes it sent (the server's in) and received (its out), its
	// reader thread waiting in recvline.
	conds := []string{`document.querySelector('tr.socket[data-state=LISTENING][data-local="` + addr + `"]')?.dataset.waiting.startsWith("main accept(")`}
	for _, c := range room {
		conds = append(conds, fmt.Sprintf(`(() => { const r = document.querySelector('tr.socket[data-peer="%s"]');
			return r && r.dataset.state === "CONNECTED" && r.dataset.local === "%s" && r.dataset.in === "%d" && r.dataset.out === "%d" && /recvline\(4096\)/.test(r.dataset.waiting); })()`,
			c.local, addr, c.sent, c.received))
	}
	if !b.waitFor(strings.Join(conds, " && "), 30*time.Second) {
		var rows []map[string]string
		b.eval(`Array.from(document.querySelectorAll("tr.socket")).map((r) => Object.assign({}, r.dataset))`, &rows)
		for _, c := range room {
			t.Logf("%s at %s sent %d, received %d", c.name, c.local, c.sent, c.received)
		}
		t.Fatalf("the socket table does not show the three clients as they are: %v", rows)
	}
	var threads []map[string]string
	b.eval(`Array.from(document.querySelectorAll("tr.thread")).map((r) => Object.assign({}, r.dataset))`, &threads)
	waitingIn := map[string]int{}
	for _, th := range threads {
		if th["state"] == "waiting" {
			waitingIn[th["call"]]++
		}
	}
	// Per client a reader in recvline and a writer in its queue's get.
	if waitingIn["recvline(4096)"] != 3 || waitingIn["queue:get()"] < 3 || waitingIn["accept()"] != 1 {
		t.Errorf("threads waiting: %v, want 3 in recvline(4096), 3 or more in queue:get(), main in accept()", waitingIn)
	}

	// A click on an arrow shows its bytes: the line alice sent, as the
	// server's recvline took it off the wire (with its end of line, which
	// recvline does not return), and the server's send of it to bob.
	line := "hello, anyone here?\n"
	text, dump := clickArrow(t, b, `"hello, anyone here?\n" (20 bytes)`)
	if text != `hello, anyone here?\n`+"\n" {
		t.Errorf("a receive's bytes as text: %q", text)
	}
	if got := hexOfDump(dump); got != hex.EncodeToString([]byte(line)) {
		t.Errorf("a receive's bytes as hex:\n%s\nwant %x", dump, line)
	}
	sent := "[alice] hello, anyone here?\n"
	text, dump = clickArrow(t, b, `"[alice] hello, anyone here?\n" (28 bytes)`)
	if text != `[alice] hello, anyone here?\n`+"\n" {
		t.Errorf("a send's bytes as text: %q", text)
	}
	if got := hexOfDump(dump); got != hex.EncodeToString([]byte(sent)) {
		t.Errorf("a send's bytes as hex:\n%s\nwant %x", dump, sent)
	}

	// A client whose connection is reset: its error is listed with the
	// explanation.
	crasher := dialLive(t, "crasher", addr)
	crasher.expect("* welcome guest4" + chatWelcome)
	for _, o := range room {
		o.expect("* guest4 joined")
	}
	crasher.conn.(*net.TCPConn).SetLinger(0) // close sends RST
	crasher.conn.Close()
	for _, o := range room {
		o.expect("* guest4 left")
	}
	if !b.waitFor(`document.querySelector('#errors li[data-name=ECONNRESET]')?.dataset.why.includes("reset")`, 20*time.Second) {
		var errs string
		b.eval(`document.getElementById("errors").innerText`, &errs)
		t.Errorf("no ECONNRESET with its explanation among the errors: %s", errs)
	}

	shots := os.Getenv("SOCKRUN_TEST_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	}
	shot := filepath.Join(shots, "live.png")
	b.screenshot(shot)
	t.Logf("screenshot: %s", shot)

	// The end: Ctrl-C. The page says how the run ended, and keeps what
	// it showed.
	carol.send("/quit\n")
	carol.expect("* bye")
	srv.signal(syscall.SIGINT)
	if code := srv.wait(20 * time.Second); code != 130 {
		t.Errorf("exit %d after Ctrl-C, want 130", code)
	}
	if !b.waitFor(`document.getElementById("status").textContent === "run ended: exit 130"`, 20*time.Second) {
		var st string
		b.eval(`document.getElementById("status").textContent`, &st)
		t.Errorf("status after the run: %q", st)
	}

	// Arrow for arrow, the page's diagram is the one the trace drew.
	data, err := os.ReadFile(mmd)
	if err != nil {
		t.Fatal(err)
	}
	wantParts, wantSteps := parseMermaid(t, string(data))
	var page struct {
		Parts []string
		Steps []string
	}
	b.eval(`({Parts: Array.from(document.querySelectorAll("#heads .part")).map((p) => p.dataset.part),
		Steps: Array.from(document.querySelectorAll("#diagram g.step")).map((g) => g.dataset.kind + " " + g.dataset.from +
			(g.dataset.kind === "note" ? "" : " -> " + g.dataset.to) + ": " + g.dataset.label)})`, &page)
	if strings.Join(page.Parts, "\n") != strings.Join(wantParts, "\n") {
		t.Errorf("participants:\n%s\nthe trace's:\n%s", strings.Join(page.Parts, "\n"), strings.Join(wantParts, "\n"))
	}
	arrows := 0
	for _, s := range wantSteps {
		if !strings.HasPrefix(s, "note") {
			arrows++
		}
	}
	if arrows < 20 {
		t.Errorf("the trace drew only %d arrows:\n%s", arrows, data)
	}
	if got, want := strings.Join(page.Steps, "\n"), strings.Join(wantSteps, "\n"); got != want {
		t.Errorf("the page's diagram differs from the trace's.\npage:\n%s\ntrace:\n%s", got, want)
	}
}

// clickArrow clicks the first arrow of the page's diagram whose label
// starts with label, waits for its bytes, and returns them as the page
// shows them: as text, and as a hex dump.
func clickArrow(t *testing.T, b *browser, label string) (text, dump string) {
	t.Helper()
	var clicked bool
	b.eval(fmt.Sprintf(`(() => { const g = Array.from(document.querySelectorAll("#diagram g.step.arrow")).find((g) => g.dataset.label.startsWith(%q));
		if (!g) return false; g.querySelector(".hit").dispatchEvent(new MouseEvent("click", {bubbles: true})); return true; })()`, label), &clicked)
	if !clicked {
		var labels []string
		b.eval(`Array.from(document.querySelectorAll("#diagram g.step.arrow")).map((g) => g.dataset.label)`, &labels)
		t.Fatalf("no arrow labelled %s in the diagram: %q", label, labels)
	}
	if !b.waitFor(fmt.Sprintf(`document.getElementById("bytes").dataset.state === "shown" && document.getElementById("bytes-title").textContent.startsWith(%q)`, label), 20*time.Second) {
		var st string
		b.eval(`document.getElementById("bytes").dataset.state + ": " + document.getElementById("bytes-what").textContent`, &st)
		t.Fatalf("the bytes of the arrow %s are not shown: %s", label, st)
	}
	b.eval(`document.getElementById("bytes-text").textContent`, &text)
	b.eval(`document.getElementById("bytes-hex").textContent`, &dump)
	return text, dump
}

// hexOfDump is the bytes of a hex dump as the page shows it, in hex.
func hexOfDump(dump string) string {
	var hexes []string
	for _, line := range strings.Split(strings.TrimSpace(dump), "\n") {
		if i, j := strings.Index(line, "  "), strings.Index(line, "|"); i > 0 && j > i {
			hexes = append(hexes, strings.Fields(line[i:j])...)
		}
	}
	return strings.Join(hexes, "")
}

// waitStderrMatch waits for a line of p's stderr matching pattern and
// returns its submatches.
func waitStderrMatch(t *testing.T, p *proc, pattern string, timeout time.Duration) []string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(p.Stderr()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no stderr line matching %q within %v; stderr:\n%s", p.name, pattern, timeout, p.Stderr())
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

// parseMermaid reads a Mermaid sequence diagram as --trace-format mermaid
// writes it: its participants, and its steps as "arrow FROM -> TO:
// LABEL", "fail FROM -> TO: LABEL" or "note FROM: LABEL" (a note over
// several participants by its first).
func parseMermaid(t *testing.T, doc string) (parts, steps []string) {
	t.Helper()
	names := map[string]string{}
	partRe := regexp.MustCompile(`^\s*participant (P\d+) as (.*)$`)
	msgRe := regexp.MustCompile(`^\s*(P\d+)(->>|-x)(P\d+): (.*)$`)
	noteRe := regexp.MustCompile(`^\s*Note over (P\d+)(?:,P\d+)?: (.*)$`)
	entity := regexp.MustCompile(`#(\d+);`)
	unescape := func(s string) string {
		return entity.ReplaceAllStringFunc(s, func(e string) string {
			n, _ := strconv.Atoi(e[1 : len(e)-1])
			return string(rune(n))
		})
	}
	for _, line := range strings.Split(doc, "\n") {
		if m := partRe.FindStringSubmatch(line); m != nil {
			names[m[1]] = unescape(m[2])
			parts = append(parts, names[m[1]])
		} else if m := msgRe.FindStringSubmatch(line); m != nil {
			kind := "arrow"
			if m[2] == "-x" {
				kind = "fail"
			}
			steps = append(steps, kind+" "+names[m[1]]+" -> "+names[m[3]]+": "+unescape(m[4]))
		} else if m := noteRe.FindStringSubmatch(line); m != nil {
			steps = append(steps, "note "+names[m[1]]+": "+unescape(m[2]))
		}
	}
	return parts, steps
}

// TestLiveConfig: --live is a key of the configuration like the others
// (flag, SOCKRUN_LIVE, the config file's live), says where its page is,
// and a bad address, a port in use or the prompt are usage errors.
func TestLiveConfig(t *testing.T) {
	dir := t.TempDir()
	chunk := []string{"-e", `print("ran")`}
	check := func(how string, stdout, stderr string, code int) {
		t.Helper()
		if code != 0 || stdout != "ran" || !regexp.MustCompile(`(?m)^sockrun: live view on http://127\.0\.0\.1:[1-9]\d*/$`).MatchString(stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", how, code, stdout, stderr)
		}
	}
	out, errs, code := runSockrun(t, "", append([]string{"--live", "127.0.0.1:0"}, chunk...)...)
	check("--live", out, errs, code)
	p := startIn(t, dir, []string{"SOCKRUN_LIVE=:0"}, sockrunBin, chunk...)
	p.closeStdin()
	code = p.wait(30 * time.Second)
	check("SOCKRUN_LIVE", strings.Join(p.Stdout(), "\n"), p.Stderr(), code)
	if err := os.WriteFile(filepath.Join(dir, "sockrun.yaml"), []byte("live: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p = startIn(t, dir, nil, sockrunBin, chunk...)
	p.closeStdin()
	code = p.wait(30 * time.Second)
	check("live in sockrun.yaml", strings.Join(p.Stdout(), "\n"), p.Stderr(), code)

	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--live", "nowhere"}, `sockrun: config: live "nowhere": want host:port`},
		{[]string{"--live", held.Addr().String()}, "sockrun: live: listen tcp " + held.Addr().String() + ": bind: address already in use"},
		{[]string{"--live", "127.0.0.1:0", "-i"}, "sockrun: --live shows a script's run: it does not apply to the prompt"},
	} {
		_, errs, code := runSockrun(t, "", append(c.args, chunk...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}
