package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testenv"
)

// respOOM is Redis's reply to a write past its maxmemory (redis-server 7,
// noeviction), which resp_server.lua gives when the shared store is full.
const respOOM = "-OOM command not allowed when used memory > 'maxmemory'."

// TestRESPStoreFull: one client SETting 64 KiB values without end fills
// the shared store to limits.max_shared and gets Redis's OOM reply,
// instead of growing the process until limits.max_memory ends the run
// for every client. Its connection and the server go on: a second client
// gets PING and GET answered, DEL makes room for a new SET, redis-cli
// sees the OOM error too, and the process's peak resident memory stays
// within 25% of limits.max_memory.
func TestRESPStoreFull(t *testing.T) {
	testenv.Tool(t, "redis-cli")
	const maxMemory = 128 << 20
	p, port := startRESP(t, "--max-memory", "128MiB", "--max-shared", "8MiB")
	peak := watchPeak(p)
	value := strings.Repeat("v", 64<<10)

	greedy := dialRESP(t, port)
	n := 0
	for ; n < 2*maxMemory/len(value); n++ { // twice the memory limit, if nothing stops it
		greedy.send(respCommand("SET", fmt.Sprintf("k%d", n), value))
		got, err := readReply(greedy.r)
		if err != nil {
			t.Fatalf("SET number %d: %v; stderr:\n%s", n+1, err, p.Stderr())
		}
		if got == respOOM {
			break
		}
		if got != "+OK" {
			t.Fatalf("SET number %d: %s", n+1, got)
		}
	}
	t.Logf("the store was full after %d SETs of 64 KiB", n)
	if n == 2*maxMemory/len(value) || n < 64 {
		t.Fatalf("%d SETs of 64 KiB taken under --max-shared 8MiB", n)
	}
	// The greedy client's connection goes on: reads, and the OOM again.
	greedy.send(respCommand("GET", "k0"))
	greedy.expect(strconv.Quote(value))
	greedy.send(respCommand("SET", "more", value))
	greedy.expect(respOOM)
	greedy.send(respCommand("INCR", "counter-of-a-full-store") + respCommand("MSET", "a", value, "b", value))
	if got, _ := readReply(greedy.r); got != respOOM && !strings.HasPrefix(got, ":") {
		t.Errorf("INCR of a new key: %s", got)
	}
	greedy.expect(respOOM)

	// Another client is answered, and DEL makes room.
	other := dialRESP(t, port)
	other.send(respCommand("PING"))
	other.expect("+PONG")
	other.send(respCommand("GET", fmt.Sprintf("k%d", n-1)))
	other.expect(strconv.Quote(value))
	if got := cli(t, port, "SET", "from-cli", value); got != "(error) "+respOOM[1:] {
		t.Errorf("redis-cli SET: %.200s", got)
	}
	other.send(respCommand("DEL", "k0", "k1"))
	other.expect(":2")
	other.send(respCommand("SET", "fresh", value, "EX", "100"))
	other.expect("+OK")
	other.send(respCommand("TTL", "fresh"))
	other.expect(":100")

	select {
	case <-p.done:
		t.Fatalf("the server ended: %s", p.Stderr())
	default:
	}
	p.signal(syscall.SIGINT)
	p.wait(30 * time.Second)
	noGoCrash(t, p.Stderr())
	checkPeak(t, peak(), maxMemory)
}

// TestSharedStoreFullError: a write past limits.max_shared raises a
// shared.StoreError named ENOSPC that pcall catches and whose message
// names the limit; delete makes room again.
func TestSharedStoreFullError(t *testing.T) {
	out, stderr, code := runSockrun(t, "", "--max-shared", "1KiB", "-e", `
local n = 0
local ok, err = pcall(function() for i = 1, 100 do shared.set("k" .. i, ("x"):rep(100)); n = i end end)
print(n, err.class, err.name, err.errno)
print(tostring(err))
print(shared.get("k1") == ("x"):rep(100), shared.delete("k1"), pcall(shared.set, "k1", "back"))`)
	want := "4\tshared.StoreError\tENOSPC\t28\n" +
		"shared.StoreError: [Errno 28] shared store is full: limits.max_shared is 1 KiB (set in-process)\n" +
		"true\ttrue\ttrue"
	if code != 0 || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr %q", code, out, want, stderr)
	}
}
