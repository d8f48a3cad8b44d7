package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/sockrun/sockrun/internal/testredis"
)

// TestChatServerTwoHosts: two chat_server.lua processes sharing one Redis
// form one room: a client of one hears the clients of the other, joins
// and leaves included, and no one hears their own lines twice.
func TestChatServerTwoHosts(t *testing.T) {
	srv := testredis.Start(t)
	url := srv.TCPURL(1)
	a := start(t, "--shared-url", url, "--var", "port=0", script("chat_server.lua"))
	b := start(t, "--shared-url", url, "--var", "port=0", script("chat_server.lua"))
	addrA := a.waitLine(`^listening on (127\.0\.0\.1:\d+)$`, 10*time.Second)[1]
	addrB := b.waitLine(`^listening on (127\.0\.0\.1:\d+)$`, 10*time.Second)[1]

	// A join is published to the other server as it happens, and may
	// reach it after a client that joined there later: such a client may
	// see an earlier guest's join before what it expects (two servers have
	// no common order of events). Every peer skips the joins of guests
	// numbered below its own; anything else out of place fails.
	alice := goChatPeer(t, "alice", addrA)
	alice.expect("* welcome guest1" + chatWelcome)
	bob := goChatPeer(t, "bob", addrB)
	bob.expect("* welcome guest2" + chatWelcome)
	after := func(p *chatPeer, own int, want ...string) {
		t.Helper()
		for _, w := range want {
			for {
				got := p.next()
				var k int
				if n, _ := fmt.Sscanf(got, "* guest%d joined", &k); n == 1 && k < own && got != w {
					continue
				}
				if got != w {
					t.Fatalf("%s received %q, want %q", p.name, got, w)
				}
				break
			}
		}
	}
	after(alice, 1, "* guest2 joined")
	bob.send("hello from B\n")
	after(alice, 1, "[guest2] hello from B")
	alice.send("hi from A\n")
	after(bob, 2, "[guest1] hi from A")
	carol := goChatPeer(t, "carol", addrA)
	carol.expect("* welcome guest3" + chatWelcome)
	after(alice, 1, "* guest3 joined")
	after(bob, 2, "* guest3 joined")
	bob.send("/nick bob\n")
	after(bob, 2, "* guest2 is now known as bob")
	after(alice, 1, "* guest2 is now known as bob")
	after(carol, 3, "* guest2 is now known as bob")
	carol.send("bye all\n")
	after(alice, 1, "[guest3] bye all")
	after(bob, 2, "[guest3] bye all")
	bob.send("/quit\n")
	after(bob, 2, "* bye")
	after(alice, 1, "* bob left")
	after(carol, 3, "* bob left")
}
