// Command gen regenerates the traces and sequence diagrams that
// docs/tutorial.md shows: it builds sockrun, runs each step's server from
// scripts/ with --trace-file (once as text, once as SVG) and its clients
// against it on loopback, then stops the server with Ctrl-C (SIGINT) as a
// user would. Run it from the repository's top directory, on Linux (it
// waits for a server's port in /proc/net/tcp, without connecting to it):
//
//	go run ./docs/tutorial/gen
//
// The files go to docs/tutorial/, and each trace also into the code block
// of docs/tutorial.md under its "<!-- trace: FILE -->" marker. Ports are
// chosen free for each run and then written as the scripts' defaults
// (10000, 10001) and the clients' as 50001, 50002, ..., so that only the
// times change from one run to the next.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// step is one step of the tutorial: a server and what its clients do.
type step struct {
	name        string // file names start with it: "step1-echo"
	server      string // the script in scripts/
	defaultPort int    // the port the script listens on by default
	clientTrace bool   // also trace the first client, as text
	clients     func(r *run)
}

var steps = []step{
	{name: "step1-echo", server: "tcp_echo_server.lua", defaultPort: 10000, clientTrace: true, clients: func(r *run) {
		r.client("tcp_echo_client.lua").wait()
	}},
	{name: "step2-threaded", server: "threaded_echo_server.lua", defaultPort: 10000, clients: func(r *run) {
		r.client("tcp_echo_client.lua", "first client").wait()
		r.client("tcp_echo_client.lua", "second client").wait()
	}},
	{name: "step3-chat", server: "chat_server.lua", defaultPort: 10001, clients: func(r *run) {
		a := r.client("chat_client.lua")
		a.waitLine("* welcome guest1")
		b := r.client("chat_client.lua")
		b.waitLine("* welcome guest2")
		a.waitLine("* guest2 joined")
		a.say("hello, anyone here?")
		b.waitLine("[guest1] hello, anyone here?")
		b.say("/quit")
		b.wait()
		a.waitLine("* guest2 left")
		a.stdin.Close() // end of input: the client says goodbye
		a.wait()
	}},
}

func main() {
	if _, err := os.Stat("scripts/chat_server.lua"); err != nil {
		fail(errors.New("run it from the repository's top directory: go run ./docs/tutorial/gen"))
	}
	tmp, err := os.MkdirTemp("", "sockrun-tutorial")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "sockrun")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fail(fmt.Errorf("building sockrun: %v\n%s", err, out))
	}
	traces := map[string]string{}
	for _, s := range steps {
		for _, ext := range []string{".txt", ".svg"} {
			file := filepath.Join("docs", "tutorial", s.name+"-server"+ext)
			r := &run{bin: bin, port: freePort(), step: s}
			if s.clientTrace && ext == ".txt" {
				r.clientTraceFile = filepath.Join("docs", "tutorial", s.name+"-client.txt")
			}
			r.start(file)
			s.clients(r)
			r.stop()
			for _, f := range append([]string{file}, r.clientTraceFile) {
				if f == "" {
					continue
				}
				text := r.normalize(read(f))
				write(f, text)
				if ext == ".txt" {
					traces[filepath.Base(f)] = text
				}
			}
			fmt.Println("wrote", file)
		}
	}
	write("docs/tutorial.md", fillTraces(read("docs/tutorial.md"), traces))
	fmt.Println("updated docs/tutorial.md")
}

// run is one run of a step: its server and clients.
type run struct {
	bin             string
	port            int
	step            step
	server          *proc
	clientTraceFile string
	clients         int
}

func (r *run) vars() []string {
	return []string{"--var", "host=127.0.0.1", "--var", "port=" + strconv.Itoa(r.port)}
}

// start starts the server, tracing to file, and waits until it listens.
func (r *run) start(file string) {
	args := append([]string{"--trace-file", file}, r.vars()...)
	r.server = startProc(r.bin, append(args, "scripts/"+r.step.server)...)
	deadline := time.Now().Add(10 * time.Second)
	for !listening(r.port) {
		if time.Now().After(deadline) {
			fail(fmt.Errorf("%s does not listen on %d: %s", r.step.server, r.port, r.server.stderr.String()))
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel's table of sockets
	}
}

// client starts a client script with args; the first of a step with a
// client trace is traced.
func (r *run) client(script string, args ...string) *proc {
	r.clients++
	flags := r.vars()
	if r.clients == 1 && r.clientTraceFile != "" {
		flags = append([]string{"--trace-file", r.clientTraceFile}, flags...)
	}
	return startProc(r.bin, append(append(flags, "scripts/"+script), args...)...)
}

// stop interrupts the server as Ctrl-C does and waits for it to end.
func (r *run) stop() {
	r.server.cmd.Process.Signal(syscall.SIGINT)
	r.server.wait()
}

var portRe = regexp.MustCompile(`127\.0\.0\.1:(\d+)`)

// normalize writes the server's port as the script's default and the
// clients' ports as 50001, 50002, ... in order of appearance.
func (r *run) normalize(text string) string {
	ports := map[string]string{strconv.Itoa(r.port): strconv.Itoa(r.step.defaultPort)}
	next := 50001
	for _, m := range portRe.FindAllStringSubmatch(text, -1) {
		if _, ok := ports[m[1]]; !ok {
			ports[m[1]] = strconv.Itoa(next)
			next++
		}
	}
	return regexp.MustCompile(`\b\d{4,5}\b`).ReplaceAllStringFunc(text, func(n string) string {
		if p, ok := ports[n]; ok {
			return p
		}
		return n
	})
}

// fillTraces puts each trace into the code block under its marker in the
// tutorial: "<!-- trace: step1-echo-server.txt -->".
func fillTraces(md string, traces map[string]string) string {
	re := regexp.MustCompile("(?s)(<!-- trace: ([\\w.-]+) -->\n```console\n).*?(```)")
	return re.ReplaceAllStringFunc(md, func(block string) string {
		m := re.FindStringSubmatch(block)
		text, ok := traces[m[2]]
		if !ok {
			fail(fmt.Errorf("docs/tutorial.md names %s, which no step writes", m[2]))
		}
		return m[1] + strings.TrimRight(text, "\n") + "\n" + m[3]
	})
}

// listening says whether a TCP socket listens on port (any address), from
// /proc/net/tcp: without connecting, which would show in the trace.
func listening(port int) bool {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		fail(fmt.Errorf("this generator needs Linux's /proc/net/tcp: %v", err))
	}
	want := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && strings.HasSuffix(f[1], want) && f[3] == "0A" { // 0A: LISTEN
			return true
		}
	}
	return false
}

// proc is a running sockrun whose output is read line by line.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr bytes.Buffer
	done   chan struct{}
}

func startProc(bin string, args ...string) *proc {
	p := &proc{cmd: exec.Command(bin, args...), lines: make(chan string, 100), done: make(chan struct{})}
	p.cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		fail(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		fail(err)
	}
	if err := p.cmd.Start(); err != nil {
		fail(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

// waitLine waits for a line of output that contains s.
func (p *proc) waitLine(s string) {
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				fail(fmt.Errorf("%v ended before printing %q: %s", p.cmd.Args, s, p.stderr.String()))
			}
			if strings.Contains(line, s) {
				return
			}
		case <-timeout:
			fail(fmt.Errorf("%v did not print %q", p.cmd.Args, s))
		}
	}
}

// say types a line into the client.
func (p *proc) say(line string) { io.WriteString(p.stdin, line+"\n") }

// wait waits for the process to end, reading the rest of its output.
func (p *proc) wait() {
	for range p.lines {
	}
	p.cmd.Wait()
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func read(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		fail(err)
	}
	return string(b)
}

func write(file, text string) {
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
