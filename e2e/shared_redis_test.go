package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sockrun/sockrun/internal/testredis"
)

// The shared module with its store in Redis (--shared-url), run as users
// run it: sockrun processes and a real redis-server, which the tests stop,
// restart and stall.

// sharedScript is the path of e2e/testdata/shared/NAME.
func sharedScript(name string) string {
	return filepath.Join(repoRoot, "e2e", "testdata", "shared", name)
}

// TestSharedRedisIncrProcesses: shared.incr from two processes of two
// workers of ten threads each counts every increment exactly once; a third
// process, told where Redis is by SOCKRUN_SHARED_URL, and a fourth by its
// sockrun.yaml, read the sum.
func TestSharedRedisIncrProcesses(t *testing.T) {
	srv := testredis.Start(t)
	url := srv.TCPURL(1)
	const procs, workers, threads, rounds = 2, 2, 10, 250
	var ps []*proc
	for range procs {
		ps = append(ps, start(t, "--shared-url", url, "--workers", fmt.Sprint(workers),
			"--var", fmt.Sprint("threads=", threads), "--var", fmt.Sprint("rounds=", rounds), sharedScript("incr.lua")))
	}
	for _, p := range ps {
		if code := p.wait(120 * time.Second); code != 0 {
			t.Fatalf("exit %d: %s", code, p.Stderr())
		}
	}
	want := fmt.Sprintf("^%d$", procs*workers*threads*rounds)
	env := startIn(t, "", []string{"SOCKRUN_SHARED_URL=" + url}, sockrunBin, "-e", `print(shared.get("n"))`)
	env.closeStdin()
	env.waitLine(want, 20*time.Second)

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sockrun.yaml"), []byte("shared:\n  url: "+url+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := startIn(t, dir, nil, sockrunBin, "-e", `print(shared.get("n"))`)
	file.closeStdin()
	file.waitLine(want, 20*time.Second)
}

// TestSharedRedisBadURL: a shared.url that is no Redis URL stops the run
// before the script starts, with a usage error naming the key, and
// without the password.
func TestSharedRedisBadURL(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1/", "redis://:s3cret@127.0.0.1/x", "redis://127.0.0.1/0?bogus=1"} {
		_, stderr, code := runSockrun(t, "", "--shared-url", url, "-e", `print("ran")`)
		if code != 2 || !strings.Contains(stderr, "sockrun: config: shared.url") || strings.Contains(stderr, "s3cret") {
			t.Errorf("--shared-url %s: exit %d, stderr %q", url, code, stderr)
		}
	}
}

// lineLog reads a process's output lines in order and finds lines in it
// without losing the ones it passes over: another wait may want them.
type lineLog struct {
	p       *proc
	seen    []string
	claimed []bool
}

// want waits for a line matching pattern that no earlier want took, and
// returns its submatches.
func (l *lineLog) want(pattern string, timeout time.Duration) []string {
	l.p.t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.After(timeout)
	for i := 0; ; i++ {
		for ; i < len(l.seen); i++ {
			if m := re.FindStringSubmatch(l.seen[i]); m != nil && !l.claimed[i] {
				l.claimed[i] = true
				return m
			}
		}
		select {
		case line, ok := <-l.p.lines:
			if !ok {
				l.p.t.Fatalf("output ended before a line matching %q; stderr:\n%s", pattern, l.p.Stderr())
			}
			l.seen = append(l.seen, line)
			l.claimed = append(l.claimed, false)
			i--
		case <-deadline:
			l.p.t.Fatalf("no line matching %q within %v; output:\n%s\nstderr:\n%s", pattern, timeout, strings.Join(l.seen, "\n"), l.p.Stderr())
		}
	}
}

// TestSharedRedisOutage: a script's calls to a Redis that is gone raise a
// catchable shared.StoreError naming the store, at once; when Redis is
// back the calls work again by themselves, and a subscription comes back
// too, saying once that messages may have been lost; a stalled Redis
// gives a timeout within the URL's read_timeout, not a hang.
func TestSharedRedisOutage(t *testing.T) {
	srv := testredis.Start(t)
	store := regexp.QuoteMeta(fmt.Sprintf("redis://127.0.0.1:%d/1", srv.Port()))
	p := start(t, "--shared-url", srv.TCPURL(1)+"?read_timeout=300ms", sharedScript("commands.lua"))
	out := &lineLog{p: p}
	out.want(`^ready$`, 10*time.Second)
	do := func(cmd, pattern string) []string {
		t.Helper()
		p.write(cmd + "\n")
		return out.want(pattern, 20*time.Second)
	}
	do("incr", `^incr 1$`)
	do("publish before", `^published 1$`)
	out.want(`^got before$`, 10*time.Second)

	srv.Stop()
	do("incr", `^error shared\.StoreError ECONNREFUSED shared\.StoreError: \[Errno 111\] Connection refused \(incr `+store+`\)$`)
	do("publish lost", `^error shared\.StoreError ECONNREFUSED shared\.StoreError: \[Errno 111\] Connection refused \(publish `+store+`\)$`)

	srv.Restart() // empty: no persistence
	for i := 0; ; i++ {
		// The pool and the subscription come back by themselves: publish
		// until the subscription counts again (it pauses between tries).
		if m := do("publish after", `^(published|error) (\S+)`); m[1] == "published" && m[2] == "1" {
			break
		}
		if i == 100 {
			t.Fatal("the subscription did not come back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	out.want(`^lost shared\.StoreError: \[Errno \d+\] .*; messages may have been lost \(get `+store+`\)$`, 10*time.Second)
	out.want(`^got after$`, 10*time.Second)
	do("incr", `^incr 1$`)

	srv.Pause()
	do("incr", `^error shared\.StoreError ETIMEDOUT shared\.StoreError: timed out \(incr `+store+`\)$`)
	srv.Resume()
	do("incr", `^incr [23]$`) // the timed-out INCR may have run once Redis continued
	p.closeStdin()
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr())
	}
	lost := 0
	for _, line := range p.Stdout() {
		if strings.HasPrefix(line, "lost ") {
			lost++
		}
	}
	if lost != 1 {
		t.Errorf("the gap was reported %d times, want once:\n%s", lost, strings.Join(p.Stdout(), "\n"))
	}
}

// blocked waits until n clients of the Redis wait in a command it holds
// back (CLIENT PAUSE): the calls under test are inside Redis.
func blocked(t *testing.T, raw *redis.Client, n int) {
	t.Helper()
	re := regexp.MustCompile(`(?m)flags=\S*b\S* .* cmd=evalsha`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		list, err := raw.ClientList(context.Background()).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(re.FindAllString(list, -1)) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not %d clients waiting in Redis:\n%s", n, list)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSharedRedisReleasesLock: a thread waiting for Redis holds no lock:
// while Redis holds its incr back (CLIENT PAUSE WRITE, with timeouts of an
// hour), the main thread reads a line and prints; then Ctrl-C ends the
// run at once, the main thread's own incr included.
func TestSharedRedisReleasesLock(t *testing.T) {
	srv := testredis.Start(t)
	raw := redis.NewClient(&redis.Options{Network: "unix", Addr: srv.Sock()})
	defer raw.Close()
	ctx := context.Background()
	if err := raw.Do(ctx, "CLIENT", "PAUSE", "3600000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	defer raw.Do(ctx, "CLIENT", "UNPAUSE")
	p := start(t, "--shared-url", srv.URL(1)+"&read_timeout=1h&dial_timeout=1h", sharedScript("lock.lua"))
	p.waitLine(`^reading$`, 10*time.Second)
	blocked(t, raw, 1) // the thread is in shared.incr
	p.write("go\n")
	p.waitLine(`^main ran$`, 10*time.Second)
	blocked(t, raw, 2) // and the main thread too
	p.signal(syscall.SIGINT)
	if code := p.wait(10 * time.Second); code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130: %s", code, p.Stderr())
	}
	// The call itself raised the interrupt: the run did not have to give
	// up on it ("still busy ... exiting").
	if !strings.Contains(p.Stderr(), "KeyboardInterrupt: interrupted (incr)") || strings.Contains(p.Stderr(), "still busy") {
		t.Errorf("stderr: %s", p.Stderr())
	}
}
