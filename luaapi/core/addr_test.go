package core

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestHostsNames: a reverse lookup in the hosts file stops at the first
// line with the address, as glibc's gethostbyaddr does: its first name is
// the name, its other names the aliases, and the names of later lines with
// the same address are not aliases (python3's gethostbyaddr("127.0.0.1")
// on a machine with "127.0.0.1 localhost" then "127.0.0.1 vm" is
// ('localhost', [], ['127.0.0.1'])).
func TestHostsNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	hosts := "# a comment\n127.0.0.1 localhost\n127.0.0.1 runsc\n127.0.0.1 vm\n" +
		"10.0.0.5\tweb.example.test web # and a comment\n::1 ip6-localhost ip6-loopback\nfe80::1%lo0 linklocal\n"
	if err := os.WriteFile(path, []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ip   string
		want []string
	}{
		{"127.0.0.1", []string{"localhost"}},
		{"10.0.0.5", []string{"web.example.test", "web"}},
		{"::1", []string{"ip6-localhost", "ip6-loopback"}},
		{"fe80::1", []string{"linklocal"}},
		{"10.0.0.6", nil},
	} {
		if got := hostsNames(path, netip.MustParseAddr(c.ip)); !slices.Equal(got, c.want) {
			t.Errorf("hostsNames(%s) = %q, want %q", c.ip, got, c.want)
		}
	}
	if got := hostsNames(filepath.Join(t.TempDir(), "none"), netip.MustParseAddr("127.0.0.1")); got != nil {
		t.Errorf("no hosts file: %q", got)
	}
}
