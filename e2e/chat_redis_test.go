package e2e

import (
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

	alice := goChatPeer(t, "alice", addrA)
	alice.expect("* welcome guest1" + chatWelcome)
	bob := goChatPeer(t, "bob", addrB)
	bob.expect("* welcome guest2" + chatWelcome)
	alice.expect("* guest2 joined")
	bob.send("hello from B\n")
	alice.expect("[guest2] hello from B")
	alice.send("hi from A\n")
	bob.expect("[guest1] hi from A")
	carol := goChatPeer(t, "carol", addrA)
	carol.expect("* welcome guest3" + chatWelcome)
	all([]*chatPeer{alice, bob}, "* guest3 joined")
	bob.send("/nick bob\n")
	bob.expect("* guest2 is now known as bob")
	all([]*chatPeer{alice, carol}, "* guest2 is now known as bob")
	carol.send("bye all\n")
	all([]*chatPeer{alice, bob}, "[guest3] bye all")
	bob.send("/quit\n")
	bob.expect("* bye")
	all([]*chatPeer{alice, carol}, "* bob left")
}
