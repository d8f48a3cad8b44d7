package api

import "testing"

// TestEditDistance checks the distance the suggestions use: an edit is a
// byte inserted, deleted or changed, or two adjacent bytes swapped.
func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"recv", "recv", 0},
		{"recv", "recvfrom", 4},
		{"SOCK_DGRAN", "SOCK_DGRAM", 1},
		{"spwan", "spawn", 1}, // a swap
		{"bnad", "band", 1},
		{"ab", "ba", 1},
		{"abc", "ca", 3}, // optimal string alignment: no edit of a swapped pair
		{"kitten", "sitting", 3},
	} {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := EditDistance(c.b, c.a); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.b, c.a, got, c.want)
		}
	}
}

// TestClosest checks which name a suggestion offers: the closest within a
// third of the name's length, a name the misspelt one begins, none for
// one far from every name.
func TestClosest(t *testing.T) {
	names := []string{"create_connection", "create_server", "socket", "SOCK_DGRAM", "SOCK_STREAM", "spawn"}
	for _, c := range []struct{ name, want string }{
		{"create_conection", "create_connection"},
		{"create_conn", "create_connection"},
		{"SOCK_DGRAN", "SOCK_DGRAM"},
		{"sock_dgram", "SOCK_DGRAM"},
		{"spwan", "spawn"},
		{"xyzzy", ""},
		{"", ""},
	} {
		if got := closest(c.name, names); got != c.want {
			t.Errorf("closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
