// Package tutorialgen makes the traces and sequence diagrams that
// docs/tutorial.md shows, from real runs: it starts each step's server
// from scripts/ with --trace-file (once as text, once as SVG), as the
// tutorial tells a reader to, runs the step's clients against it on
// loopback, and stops the server with Ctrl-C (SIGINT) as a reader would.
// `go run ./docs/tutorial/gen` writes what it makes into docs/tutorial/
// and the tutorial's code blocks; a test (e2e) makes them again and fails
// when the committed ones differ from a run in more than what changes
// from one run to the next (Differences).
//
// A server is given port 0 and the kernel picks a free one, which the
// clients are told; the traces then write it as the script's default
// (10000, 10001) and the clients' ports as 50001, 50002 ..., so that a
// reader's run differs in its times, descriptors and the order of
// concurrent threads' lines, and in nothing else.
package tutorialgen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
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
		a.stdin.Close() // end of input (Ctrl-D): the client says goodbye
		a.wait()
	}},
}

// timeout bounds every wait of a run: for a port, a line, a process.
const timeout = 20 * time.Second

// Generate runs every step with bin, the sockrun binary, in repo (the
// repository's top directory), writes the traces and diagrams into dir,
// and returns each file's content by its name ("step1-echo-server.txt").
func Generate(bin, repo, dir string) (files map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			ge, ok := r.(genError)
			if !ok {
				panic(r)
			}
			err = ge.error
		}
	}()
	files = map[string]string{}
	for _, s := range steps {
		for _, ext := range []string{".txt", ".svg"} {
			r := &run{bin: bin, repo: repo, step: s}
			file := filepath.Join(dir, s.name+"-server"+ext)
			if s.clientTrace && ext == ".txt" {
				r.clientTraceFile = filepath.Join(dir, s.name+"-client.txt")
			}
			r.start(file)
			s.clients(r)
			r.stop()
			for _, f := range []string{file, r.clientTraceFile} {
				if f == "" {
					continue
				}
				text := r.normalize(read(f))
				write(f, text)
				files[filepath.Base(f)] = text
			}
		}
	}
	return files, nil
}

// genError is how a run gives up: Generate returns it.
type genError struct{ error }

func check(err error) {
	if err != nil {
		panic(genError{err})
	}
}

func failf(format string, args ...any) { panic(genError{fmt.Errorf(format, args...)}) }

// run is one run of a step: its server and clients.
type run struct {
	bin, repo       string
	step            step
	port            int // the port the kernel gave the server
	server          *proc
	clientTraceFile string
	clients         int
}

// start starts the server with port 0, tracing to file, and waits until
// it listens.
func (r *run) start(file string) {
	r.server = r.startProc("--trace-file", file, "--var", "port=0", "scripts/"+r.step.server)
	deadline := time.Now().Add(timeout)
	for {
		if port := listeningPort(r.server.cmd.Process.Pid); port != 0 {
			r.port = port
			return
		}
		select {
		case <-r.server.done:
			failf("%s ended before it listened: %s", r.step.server, r.server.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			failf("%s does not listen after %v: %s", r.step.server, timeout, r.server.stderr.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the kernel's table of sockets
	}
}

// client starts a client script with args, told the server's port; the
// first of a step with a client trace is traced.
func (r *run) client(script string, args ...string) *proc {
	r.clients++
	flags := []string{"--var", "port=" + strconv.Itoa(r.port)}
	if r.clients == 1 && r.clientTraceFile != "" {
		flags = append([]string{"--trace-file", r.clientTraceFile}, flags...)
	}
	return r.startProc(append(append(flags, "scripts/"+script), args...)...)
}

// stop interrupts the server as Ctrl-C does and waits for it to end.
func (r *run) stop() {
	check(r.server.cmd.Process.Signal(syscall.SIGINT))
	r.server.wait()
}

var (
	portRe     = regexp.MustCompile(`127\.0\.0\.1:(\d+)`)
	numberRe   = regexp.MustCompile(`\b\d{4,5}\b`)
	portZeroRe = regexp.MustCompile(`(\{"[^"]*", )0\}`)
)

// normalize writes the server's port (0, as the run gave it, or the one
// the kernel chose) as the script's default and the clients' ports as
// 50001, 50002, ... in order of appearance.
func (r *run) normalize(text string) string {
	def := strconv.Itoa(r.step.defaultPort)
	text = portZeroRe.ReplaceAllString(text, "${1}"+def+"}")
	ports := map[string]string{strconv.Itoa(r.port): def}
	next := 50001
	for _, m := range portRe.FindAllStringSubmatch(text, -1) {
		if _, ok := ports[m[1]]; !ok {
			ports[m[1]] = strconv.Itoa(next)
			next++
		}
	}
	return numberRe.ReplaceAllStringFunc(text, func(n string) string {
		if p, ok := ports[n]; ok {
			return p
		}
		return n
	})
}

// FillTraces puts each text trace of files into the code block under its
// marker in md, the tutorial: "<!-- trace: step1-echo-server.txt -->".
func FillTraces(md string, files map[string]string) (string, error) {
	re := regexp.MustCompile("(?s)(<!-- trace: ([\\w.-]+) -->\n```console\n).*?(```)")
	var err error
	md = re.ReplaceAllStringFunc(md, func(block string) string {
		m := re.FindStringSubmatch(block)
		text, ok := files[m[2]]
		if !ok {
			err = fmt.Errorf("docs/tutorial.md names %s, which no step writes", m[2])
			return block
		}
		return m[1] + strings.TrimRight(text, "\n") + "\n" + m[3]
	})
	return md, err
}

// Differences lists how fresh, a file of a new run, differs from
// committed, the same file made earlier, in more than what changes from
// one run to the next: the times, the descriptors, the calls that had to
// wait (waiting...) and the waits for the interpreter lock, whether a
// read found more bytes behind the ones it took, and how the lines of
// concurrent threads interleave (a text trace is compared thread by
// thread; a diagram's texts as a set).
func Differences(name, committed, fresh string) []string {
	if strings.HasSuffix(name, ".svg") {
		return setDifferences(diagramTexts(committed), diagramTexts(fresh))
	}
	a, b := threadLines(committed), threadLines(fresh)
	var threads []string
	for t := range a {
		threads = append(threads, t)
	}
	for t := range b {
		if _, ok := a[t]; !ok {
			threads = append(threads, t)
		}
	}
	sort.Strings(threads)
	var diffs []string
	for _, t := range threads {
		x, y := a[t], b[t]
		for i := 0; i < max(len(x), len(y)); i++ {
			if i < len(x) && i < len(y) && x[i] == y[i] {
				continue
			}
			line := func(lines []string) string {
				if i < len(lines) {
					return lines[i]
				}
				return "(no more lines of " + t + ")"
			}
			diffs = append(diffs, fmt.Sprintf("%s's line %d:\n  committed: %s\n  a run now: %s", t, i+1, line(x), line(y)))
			break
		}
	}
	return diffs
}

// setDifferences are the texts only one of a and b (sorted) has.
func setDifferences(a, b []string) []string {
	var diffs []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || i < len(a) && a[i] < b[j]:
			diffs = append(diffs, "only in the committed file: "+a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			diffs = append(diffs, "only in a run now: "+b[j])
			j++
		default:
			i++
			j++
		}
	}
	return diffs
}

var (
	timeRe     = regexp.MustCompile(`^\d+\.\d{4}$`)
	lineTimeRe = regexp.MustCompile(`^\d+\.\d{4} `)
	fdRe       = regexp.MustCompile(`\bfd[= ]\d+`)
	moreRe     = regexp.MustCompile(` \(\+\d+ more received, waiting for the next read\)`)
	textRe     = regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)
)

// mask writes a line's descriptors as fd=N and drops what depends on
// timing within it.
func mask(s string) string {
	s = fdRe.ReplaceAllStringFunc(s, func(fd string) string { return fd[:3] + "N" })
	return moreRe.ReplaceAllString(s, "")
}

// threadLines are the lines of a text trace, without times, by thread
// ("main", "t2", "signal"), each thread's in its order; lines that depend
// on timing (waiting..., lock waits) are left out.
func threadLines(trace string) map[string][]string {
	byThread := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(trace), "\n") {
		l = lineTimeRe.ReplaceAllString(l, "")
		thread, rest, _ := strings.Cut(l, " ")
		if strings.Contains(rest, " waiting...  ") || strings.HasSuffix(rest, " for the lock") || strings.Contains(rest, " for the lock (") {
			continue
		}
		byThread[thread] = append(byThread[thread], thread+" "+mask(rest))
	}
	return byThread
}

// diagramTexts are the texts of an SVG diagram but its times, sorted.
func diagramTexts(svg string) []string {
	var texts []string
	for _, m := range textRe.FindAllStringSubmatch(svg, -1) {
		if !timeRe.MatchString(m[1]) {
			texts = append(texts, mask(m[1]))
		}
	}
	sort.Strings(texts)
	return texts
}

// listeningPort is the port of a TCP socket process pid listens on, 0 if
// none yet: from its descriptors (/proc/PID/fd) and the kernel's tables
// (/proc/net/tcp, tcp6), without connecting, which would show in the
// trace.
func listeningPort(pid int) int {
	inodes := map[string]bool{}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil && !os.IsNotExist(err) {
		failf("this generator needs Linux's /proc: %v", err)
	}
	for _, fd := range fds {
		if link, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			// local_address is f[1] (hex IP:port), st f[3] (0A: LISTEN), inode f[9].
			if len(f) > 9 && f[3] == "0A" && inodes[f[9]] {
				_, hexPort, _ := strings.Cut(f[1], ":")
				port, err := strconv.ParseUint(hexPort, 16, 16)
				if err == nil {
					return int(port)
				}
			}
		}
	}
	return 0
}

// proc is a running sockrun whose output is read line by line.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr bytes.Buffer
	done   chan struct{}
}

// startProc starts the binary with args in the repository.
func (r *run) startProc(args ...string) *proc {
	p := &proc{cmd: exec.Command(r.bin, args...), lines: make(chan string, 100), done: make(chan struct{})}
	p.cmd.Dir = r.repo
	p.cmd.Stderr = &p.stderr
	var err error
	p.stdin, err = p.cmd.StdinPipe()
	check(err)
	out, err := p.cmd.StdoutPipe()
	check(err)
	check(p.cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.cmd.Wait()
		close(p.done)
	}()
	return p
}

// waitLine waits for a line of output that contains s.
func (p *proc) waitLine(s string) {
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.kill()
				failf("%v ended before printing %q: %s", p.cmd.Args, s, p.stderr.String())
			}
			if strings.Contains(line, s) {
				return
			}
		case <-deadline:
			p.kill()
			failf("%v did not print %q within %v", p.cmd.Args, s, timeout)
		}
	}
}

// say types a line into the client.
func (p *proc) say(line string) {
	_, err := io.WriteString(p.stdin, line+"\n")
	check(err)
}

// wait waits for the process to end, reading the rest of its output.
func (p *proc) wait() {
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-p.lines:
			if ok {
				continue
			}
			select {
			case <-p.done:
				return
			case <-deadline:
			}
		case <-deadline:
		}
		p.kill()
		failf("%v still runs after %v", p.cmd.Args, timeout)
	}
}

// kill ends the process, so that a failed run leaves none behind.
func (p *proc) kill() { p.cmd.Process.Kill() }

func read(file string) string {
	b, err := os.ReadFile(file)
	check(err)
	return string(b)
}

func write(file, text string) { check(os.WriteFile(file, []byte(text), 0o644)) }
