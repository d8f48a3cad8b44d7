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
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// server is a server process the benchmark started: the Go echo server or
// sockrun. Its PID is the server's own (taskset execs it), so /proc/PID is
// the server.
type server struct {
	name   string
	cmd    *exec.Cmd
	addr   string // host:port it listens on
	stderr bytes.Buffer
	mu     sync.Mutex
	done   chan struct{}
	// borrowed: a server another part of the run owns (the redis-server
	// of the shared rows, measured by redis-benchmark in a row of its
	// own), which the comparison neither pauses nor stops.
	borrowed bool
}

// borrow is s as a row of a comparison that must leave it running.
func (s *server) borrow(name string) *server {
	return &server{name: name, cmd: s.cmd, addr: s.addr, done: s.done, borrowed: true}
}

// listeningRE finds the port in a "listening on HOST:PORT" line.
var listeningRE = regexp.MustCompile(`listening.*:(\d+)\s*$`)

// startServer runs argv (pinned to cpu unless cpu < 0) and waits until it
// has printed want lines saying it listens.
func startServer(name string, cpu int, env []string, want int, argv ...string) (*server, error) {
	if cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
	}
	s := &server{name: name, cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.stderr}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	raiseNoFile(s.cmd.Process.Pid)
	ports := make(chan string, want)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case ports <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
		s.cmd.Wait()
		close(s.done)
	}()
	timeout := time.After(15 * time.Second)
	for i := 0; i < want; i++ {
		select {
		case p := <-ports:
			s.addr = net.JoinHostPort("127.0.0.1", p)
		case <-s.done:
			return nil, fmt.Errorf("%s exited before listening: %s", name, s.errText())
		case <-timeout:
			s.stop()
			return nil, fmt.Errorf("%s did not say it listens within 15s: %s", name, s.errText())
		}
	}
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) errText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.stderr.String())
}

// stop ends the server: SIGTERM, then SIGKILL if it lingers.
func (s *server) stop() {
	if s.borrowed {
		return
	}
	s.resume() // a stopped process would not see SIGTERM
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// pause stops the server's process (SIGSTOP) while another server of its
// comparison is measured, and resume lets it go on. The servers of a
// comparison all run for its whole length, and a reference that spins
// while idle would take the CPU the measured server is pinned to: the
// Copas UDP servers each took a third of it, so that every UDP round of
// every server was dropped.
func (s *server) pause() {
	if s.alive() && !s.borrowed {
		s.cmd.Process.Signal(syscall.SIGSTOP)
	}
}

func (s *server) resume() {
	if s.alive() && !s.borrowed {
		s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// alive reports whether the server is still running.
func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// raiseNoFile lifts a process's open-file limit to its hard limit (pid 0:
// this process), so that it can hold the idle connections.
func raiseNoFile(pid int) {
	var lim unix.Rlimit
	if unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &lim) != nil {
		return
	}
	lim.Cur = lim.Max
	unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil)
}

// cpuTime is a process's user and system CPU time so far, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).
func cpuTime(pid int) (user, sys time.Duration, err error) {
	user, sys, _, err = procTimes(pid)
	return user, sys, err
}

// procTimes is cpuTime and the process's minor page faults so far (field
// 10 of /proc/PID/stat): faults that found the page in memory but had to
// map it, as a heap page the runtime gave back and touches again does.
func procTimes(pid int) (user, sys time.Duration, minflt int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	// The command name (field 2) may hold spaces: fields count from the
	// last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, 0, errors.New("cannot parse /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); minflt is field 10, utime 14, stime 15.
	if len(f) < 13 {
		return 0, 0, 0, errors.New("cannot parse /proc/PID/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	flt, err3 := strconv.ParseInt(f[7], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, 0, errors.New("cannot parse /proc/PID/stat")
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(ut) * tick, time.Duration(st) * tick, flt, nil
}

// busyTime is the CPU time all processes have used so far, on every CPU,
// from the first line of /proc/stat: what other processes take shows as
// the part the benchmark's own processes did not use.
func busyTime() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, errors.New("cannot parse /proc/stat")
	}
	var busy int64
	// user nice system idle iowait irq softirq steal: all but idle and iowait.
	for i, v := range f[1:9] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, errors.New("cannot parse /proc/stat")
		}
		busy += n
	}
	const tick = 10 * time.Millisecond
	return time.Duration(busy) * tick, nil
}

// rss is a process's resident set size in bytes, from VmRSS in
// /proc/PID/status.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

// freePort finds a TCP port free on 127.0.0.1, for servers that several
// workers bind with SO_REUSEPORT.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// moduleRoot is the directory of sockrun's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the benchmark inside the sockrun module")
	}
	return filepath.Dir(mod), nil
}

// buildSockrun builds sockrun from root into dir.
func buildSockrun(root, dir string) (string, error) {
	bin := filepath.Join(dir, "sockrun")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building sockrun: %v\n%s", err, out)
	}
	return bin, nil
}

// hasTaskset reports whether taskset can pin processes here: it exists and
// the machine has CPUs 0 and 1.
func hasTaskset() bool {
	if _, err := exec.LookPath("taskset"); err != nil {
		return false
	}
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return false
	}
	return set.IsSet(0) && set.IsSet(1)
}
