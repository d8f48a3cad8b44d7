package e2e

// The tutorial programs of scripts/ proven against the Python originals in
// testdata/python: every pair runs Python server + Python client (which shows
// that the expected transcript below is what the original prints), Lua server
// + Python client, Python server + Lua client, and Lua + Lua, the server on
// a port the kernel picks, and what each side prints, normalized, must be
// the expected transcript.

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// tutorialPair is a tutorial's server and client, and what they print when
// the client runs with the given inputs.
type tutorialPair struct {
	server, client string // the scripts: scripts/NAME.lua, and the originals testdata/python/NAME.py
	udp            bool
	// ready is the number of lines the server prints before it can be
	// reached (0: it prints nothing first). The port it listens on is
	// looked up in the kernel's tables (boundPort): it prints none.
	ready int
	runs  []clientRun // the client runs one after the other
	want  []string    // what the server prints over all the runs, normalized
}

// clientRun is one run of a client: its arguments, its standard input (which
// it reads to the end) and what it prints, normalized.
type clientRun struct {
	args  []string
	stdin string
	want  []string
}

// The transcripts are the tutorials' own output lines. Python's
// print('Client: ', data) puts a space between its arguments, after the one
// in the text: hence the double spaces. input(prompt) writes the prompt
// without a newline, so a prompt starts the line of what is printed next.
var tutorialPairs = []tutorialPair{
	{
		server: "tcp_echo_server.lua", client: "tcp_echo_client.lua",
		runs: []clientRun{
			{want: []string{"received 'This is the mess'", "received 'age.  It will be'", "received ' repeated.'"}},
			{args: []string{"你好, sockrun"}, want: []string{"received '你好, sockrun'"}},
		},
	},
	{
		server: "tcp_server.lua", client: "tcp_client.lua",
		runs: []clientRun{
			{stdin: "hello\n你好\nq\nnot sent\n", want: []string{"你好欢迎你", "请输入信息hello好", "请输入信息你好好", "请输入信息"}},
			{stdin: "bye\n", want: []string{"你好欢迎你", "请输入信息bye好", "请输入信息"}}, // ends at end of input, without q
		},
		want: []string{
			"<socket laddr=127.0.0.1:PORT, raddr=127.0.0.1:EPHEMERAL> 127.0.0.1:EPHEMERAL", "hello", "你好", "q",
			"<socket laddr=127.0.0.1:PORT, raddr=127.0.0.1:EPHEMERAL> 127.0.0.1:EPHEMERAL", "bye",
		},
	},
	{
		server: "tcp_time_server.lua", client: "tcp_time_client.lua", ready: 1,
		runs: []clientRun{
			{stdin: "hello\n你好\n\nnot sent\n", want: []string{">Server:  [CTIME] hello", ">Server:  [CTIME] 你好", ">"}},
			{stdin: "again\n", want: []string{">Server:  [CTIME] again", ">"}}, // ends at end of input
		},
		want: []string{
			"Waiting for connection ....", "Connected client from :  127.0.0.1:EPHEMERAL", "Client:  hello", "Client:  你好",
			"Waiting for connection ....", "Connected client from :  127.0.0.1:EPHEMERAL", "Client:  again",
			"Waiting for connection ....",
		},
	},
	{
		server: "udp_time_server.lua", client: "udp_time_client.lua", udp: true, ready: 1,
		runs: []clientRun{
			{stdin: "hello\n你好\n\nnot sent\n", want: []string{">Server :  [CTIME] hello", ">Server :  [CTIME] 你好", ">"}},
		},
		want: []string{
			"Waiting for message ....", "Get client msg is:  hello", "Received from and returned to:  127.0.0.1:EPHEMERAL",
			"Waiting for message ....", "Get client msg is:  你好", "Received from and returned to:  127.0.0.1:EPHEMERAL",
			"Waiting for message ....",
		},
	},
	{
		// One recv per connection: each client run's first line is printed.
		server: "tcp_print_server.lua", client: "tcp_input_client.lua",
		runs: []clientRun{{stdin: "hello\n"}, {stdin: "你好\n"}},
		want: []string{"Received:  hello", "Received:  你好"},
	},
	{
		server: "udp_print_server.lua", client: "udp_input_client.lua", udp: true,
		runs: []clientRun{{stdin: "hello\n你好\n", want: []string{"hello", "你好"}}},
		want: []string{"received:  hello from 127.0.0.1:EPHEMERAL", "received:  你好 from 127.0.0.1:EPHEMERAL"},
	},
	{
		server: "udp_upper_server.lua", client: "udp_upper_client.lua", udp: true, ready: 1,
		runs: []clientRun{
			{stdin: "hello world\nhéllo 你好\n", want: []string{
				"Input a lowercase sentence", "The peersocket is: 127.0.0.1:PORT", "The return message is: HELLO WORLD",
				"Input a lowercase sentence", "The peersocket is: 127.0.0.1:PORT", "The return message is: HÉLLO 你好",
				"Input a lowercase sentence",
			}},
			// An empty line is an empty datagram; the empty reply ends the client.
			{stdin: "\nnot sent\n", want: []string{"Input a lowercase sentence"}},
		},
		want: []string{"Waiting for connection...", "Receive Message: hello world", "Receive Message: héllo 你好", "Receive Message: "},
	},
	{
		server: "tcp_ctime_server.lua", client: "tcp_ctime_client.lua", ready: 1,
		runs: []clientRun{
			{want: []string{"Return time is:CTIMEclient message", "Return time is:CTIMEclient message", "Return time is:CTIMEclient message"}},
			{args: []string{"1"}, want: []string{"Return time is:CTIMEclient message"}},
		},
		want: []string{
			"waiting for connection...", "conneted form: 127.0.0.1",
			"waiting for connection...", "conneted form: 127.0.0.1",
			"waiting for connection...",
		},
	},
}

func TestTutorialPairs(t *testing.T) {
	for _, pair := range tutorialPairs {
		t.Run(pair.server, func(t *testing.T) {
			t.Parallel()
			for _, server := range []string{"python", "lua"} {
				for _, client := range []string{"python", "lua"} {
					t.Run(server+"-server+"+client+"-client", func(t *testing.T) {
						t.Parallel()
						runPair(t, pair, server, client)
					})
				}
			}
		})
	}
}

// runPair runs pair's server in language server ("lua" or "python") and its
// client runs in language client, and checks both transcripts.
func runPair(t *testing.T, pair tutorialPair, server, client string) {
	srv := &output{p: startTutorial(t, server, pair.server, 0)}
	srv.await(pair.ready, 10*time.Second)
	port := boundPort(t, srv.p, pair.udp, 10*time.Second)
	for i, run := range pair.runs {
		c := startTutorial(t, client, pair.client, port, run.args...)
		c.write(run.stdin)
		c.closeStdin()
		if code := c.wait(20 * time.Second); code != 0 {
			t.Fatalf("%s run %d: exit %d; stderr:\n%s", pair.client, i+1, code, c.Stderr())
		}
		checkTranscript(t, fmt.Sprintf("%s %s, run %d", client, pair.client, i+1), c.Stdout(), run.want, port)
	}
	// Everything the server should print, then nothing more until Ctrl-C.
	srv.await(len(pair.want), 20*time.Second)
	srv.p.signal(syscall.SIGINT)
	code := srv.p.wait(10 * time.Second)
	checkTranscript(t, server+" "+pair.server, srv.p.Stdout(), pair.want, port)
	// Ctrl-C ends a sockrun script with 130, even one whose loop catches
	// errors, as Python's "except Exception" lets KeyboardInterrupt through.
	if server == "lua" && code != 130 {
		t.Errorf("%s: exit %d after Ctrl-C, want 130; stderr:\n%s", pair.server, code, srv.p.Stderr())
	}
}

// startTutorial starts the tutorial program name in lang, talking to (or
// listening on: 0 for a port the kernel picks) port, as a user would: `sockrun --var port=N
// scripts/NAME.lua ARGS` from the repository's top, or the Python original
// with the port in SOCKRUN_VARS_PORT (the variable sockrun reads as
// vars.port). Hosts stay the tutorials' defaults.
func startTutorial(t *testing.T, lang, script string, port int, args ...string) *proc {
	t.Helper()
	if lang == "lua" {
		return start(t, append([]string{"--var", "port=" + strconv.Itoa(port), "scripts/" + script}, args...)...)
	}
	py := filepath.Join(repoRoot, "e2e", "testdata", "python", strings.TrimSuffix(script, ".lua")+".py")
	return startIn(t, "", []string{"SOCKRUN_VARS_PORT=" + strconv.Itoa(port)}, testenv.Tool(t, "python3"), append([]string{"-u", py}, args...)...)
}

// output counts the lines a process has printed, reading them from its
// lines channel (so no other reader may share it).
type output struct {
	p    *proc
	seen int
}

// await waits until the process has printed n lines in all.
func (o *output) await(n int, timeout time.Duration) {
	o.p.t.Helper()
	deadline := time.After(timeout)
	for o.seen < n {
		select {
		case _, ok := <-o.p.lines:
			if !ok {
				o.p.t.Fatalf("%s: output ended after %d lines, want %d:\n%s\nstderr:\n%s", o.p.name, o.seen, n, strings.Join(o.p.Stdout(), "\n"), o.p.Stderr())
			}
			o.seen++
		case <-deadline:
			o.p.t.Fatalf("%s: %d lines after %v, want %d:\n%s\nstderr:\n%s", o.p.name, o.seen, timeout, n, strings.Join(o.p.Stdout(), "\n"), o.p.Stderr())
		}
	}
}

// checkTranscript compares what a program printed, normalized, with want.
func checkTranscript(t *testing.T, who string, got, want []string, port int) {
	t.Helper()
	norm := make([]string, len(got))
	for i, line := range got {
		norm[i] = normalize(t, line, port)
	}
	if strings.Join(norm, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s printed (normalized):\n%s\nwant:\n%s\nas printed:\n%s", who, quoteLines(norm), quoteLines(want), quoteLines(got))
	}
}

func quoteLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "  %q\n", l)
	}
	return b.String()
}

// What must differ between two runs, or between Python and sockrun, and how
// normalize makes it the same:
var (
	// Addresses: Python prints a tuple, ('127.0.0.1', 5555); sockrun prints
	// an address as 127.0.0.1:5555. The tuple becomes the sockrun form.
	pyAddrRe = regexp.MustCompile(`\('([^']*)', (\d+)\)`)
	// Ports: the kernel picks the server's for each run, and a client's.
	// The server's becomes PORT, any other EPHEMERAL.
	ipPortRe = regexp.MustCompile(`\b(\d{1,3}(?:\.\d{1,3}){3}):(\d+)\b`)
	// Socket objects: Python prints <socket.socket fd=4, family=2, type=1,
	// proto=0, laddr=..., raddr=...>, sockrun <socket fd=7, family=AF_INET,
	// type=SOCK_STREAM, laddr=..., raddr=...>: descriptor numbers and the
	// spelling of constants differ. Only the two addresses are kept.
	sockReprRe = regexp.MustCompile(`<socket[^<>]*?laddr=([^,<>]+), raddr=([^,<>]+)>`)
	// Times: time.ctime()'s "Sat Nov 21 07:35:18 2026" becomes CTIME, once
	// checked to be exactly ctime's format (weekday right, day padded with a
	// space) and the time of the run.
	ctimeRe = regexp.MustCompile(`[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}`)
)

// testsBegan is when the package's tests began: every time a tutorial
// prints comes after it.
var testsBegan = time.Now()

// normalize rewrites what must differ between runs (see above); everything
// else must be the same, character for character.
func normalize(t *testing.T, line string, port int) string {
	t.Helper()
	line = pyAddrRe.ReplaceAllString(line, "$1:$2")
	line = sockReprRe.ReplaceAllString(line, "<socket laddr=$1, raddr=$2>")
	line = ipPortRe.ReplaceAllStringFunc(line, func(s string) string {
		m := ipPortRe.FindStringSubmatch(s)
		if m[2] == strconv.Itoa(port) {
			return m[1] + ":PORT"
		}
		return m[1] + ":EPHEMERAL"
	})
	return ctimeRe.ReplaceAllStringFunc(line, func(s string) string {
		tm, err := time.ParseInLocation(time.ANSIC, s, time.Local)
		if err != nil || tm.Format(time.ANSIC) != s {
			t.Errorf("%q is not time.ctime()'s format (that would be %q)", s, tm.Format(time.ANSIC))
			return s
		}
		// Between the start of the tests and now: ctime has whole seconds.
		if tm.Before(testsBegan.Truncate(time.Second)) || tm.After(time.Now()) {
			t.Errorf("ctime %q is not a time of the run (%s to %s)", s, testsBegan.Format(time.ANSIC), time.Now().Format(time.ANSIC))
		}
		return "CTIME"
	})
}

// TestTutorialHTTPClient runs tcp_http_client (www.google.com:80 by
// default; the tests have no network) against a local HTTP server, and with
// a name that cannot resolve.
func TestTutorialHTTPClient(t *testing.T) {
	// The reply as the client prints it (the harness reads lines without
	// their \r\n).
	want := []string{
		"Socket Created",
		"Ip address of localhost is 127.0.0.1",
		"Socket Connected to localhost on ip 127.0.0.1",
		"HTTP/1.1 200 OK",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Length: 27",
		"Connection: close",
		"",
		"你好 from the test server",
	}
	for _, lang := range []string{"python", "lua"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			type request struct{ method, path, proto, host string }
			requests := make(chan request, 10)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests <- request{r.Method, r.URL.Path, r.Proto, r.Host}
				w.Header()["Date"] = nil // no Date header: the reply is the same every time
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				fmt.Fprint(w, "你好 from the test server")
			}))
			t.Cleanup(srv.Close)
			port := srv.Listener.Addr().(*net.TCPAddr).Port

			p := startHTTPClient(t, lang, "localhost", port)
			p.closeStdin()
			if code := p.wait(20 * time.Second); code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, p.Stderr())
			}
			checkTranscript(t, lang+" tcp_http_client", p.Stdout(), want, port)
			select {
			case r := <-requests:
				if r != (request{"GET", "/", "HTTP/1.1", "localhost"}) {
					t.Errorf("the server got %+v, want GET / HTTP/1.1 with Host: localhost", r)
				}
			default:
				t.Errorf("the server got no request")
			}
		})
		t.Run(lang+"-unresolvable", func(t *testing.T) {
			t.Parallel()
			p := startHTTPClient(t, lang, "no-such-host.invalid", 80)
			p.closeStdin()
			if code := p.wait(20 * time.Second); code != 1 {
				t.Errorf("exit %d, want 1; stderr:\n%s", code, p.Stderr())
			}
			checkTranscript(t, lang+" tcp_http_client", p.Stdout(), []string{"Socket Created", "Hostname could not be resolved. Exiting"}, 80)
		})
	}
}

// startHTTPClient runs tcp_http_client in lang with host and port.
func startHTTPClient(t *testing.T, lang, host string, port int) *proc {
	t.Helper()
	if lang == "lua" {
		return start(t, "--var", "host="+host, "--var", "port="+strconv.Itoa(port), "scripts/tcp_http_client.lua")
	}
	py := filepath.Join(repoRoot, "e2e", "testdata", "python", "tcp_http_client.py")
	return startIn(t, "", []string{"SOCKRUN_VARS_HOST=" + host, "SOCKRUN_VARS_PORT=" + strconv.Itoa(port)}, testenv.Tool(t, "python3"), "-u", py)
}

// TestTutorialCtime checks os.date("%c"), the time servers' ctime(), against
// Python's time.ctime(secs) in local time, on instants a run cannot choose:
// days of one digit (padded with a space), every weekday, a leap day, in
// more than one time zone.
func TestTutorialCtime(t *testing.T) {
	var instants []int64
	for secs := int64(0); secs < 8*86400; secs += 86400 + 3661 { // Jan 1-8 1970: every weekday
		instants = append(instants, secs)
	}
	instants = append(instants, 951782400 /* 2000-02-29 */, 1000000000, 1709251199, 1772668800, 4102444799)
	list := strings.Trim(fmt.Sprint(instants), "[]")
	list = strings.ReplaceAll(list, " ", ", ")
	for _, tz := range []string{"UTC", "America/New_York", "Asia/Shanghai"} {
		t.Run(tz, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(tz)
			if err != nil {
				testenv.Missing(t, "no zoneinfo for %s: %v", tz, err)
			}
			// Go's time.ANSIC layout is ctime's format.
			var want []string
			for _, secs := range instants {
				want = append(want, time.Unix(secs, 0).In(loc).Format(time.ANSIC))
			}
			env := []string{"TZ=" + tz}
			lua := startIn(t, "", env, sockrunBin, "-e", "for _, secs in ipairs({"+list+"}) do print(os.date('%c', secs)) end")
			lua.closeStdin()
			if code := lua.wait(20 * time.Second); code != 0 {
				t.Fatalf("sockrun: exit %d: %s", code, lua.Stderr())
			}
			if got := lua.Stdout(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("os.date('%%c'):\n%s\nwant:\n%s", quoteLines(got), quoteLines(want))
			}
			t.Run("python", func(t *testing.T) {
				py := startIn(t, "", env, testenv.Tool(t, "python3"), "-c", "import time\nfor secs in ["+list+"]: print(time.ctime(secs))")
				py.closeStdin()
				if code := py.wait(20 * time.Second); code != 0 {
					t.Fatalf("python3: exit %d: %s", code, py.Stderr())
				}
				if got := py.Stdout(); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("Python's time.ctime:\n%s\nwant:\n%s", quoteLines(got), quoteLines(want))
				}
			})
		})
	}
}

// TestTutorialServerSurvivesReset: tcp_time_server's try/except (pcall in
// Lua) prints a client's error and goes on serving, as the original does.
func TestTutorialServerSurvivesReset(t *testing.T) {
	for _, lang := range []string{"python", "lua"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			srv := &output{p: startTutorial(t, lang, "tcp_time_server.lua", 0)}
			srv.await(1, 10*time.Second)
			port := boundPort(t, srv.p, false, 10*time.Second)
			c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				t.Fatal(err)
			}
			srv.await(2, 10*time.Second) // Connected client from : ...
			c.(*net.TCPConn).SetLinger(0)
			c.Close() // a reset (RST), not a close: the server's recv fails
			srv.await(4, 10*time.Second)
			lines := srv.p.Stdout()
			if !regexp.MustCompile(`^Error:  .*Connection reset by peer`).MatchString(lines[2]) || lines[3] != "Waiting for connection ...." {
				t.Fatalf("after a reset the server printed:\n%s", quoteLines(lines))
			}
			client := startTutorial(t, "lua", "tcp_time_client.lua", port)
			client.write("still there?\n")
			client.closeStdin()
			if code := client.wait(20 * time.Second); code != 0 {
				t.Fatalf("client: exit %d: %s", code, client.Stderr())
			}
			checkTranscript(t, "lua tcp_time_client", client.Stdout(), []string{">Server:  [CTIME] still there?", ">"}, port)
		})
	}
}
