package core

import (
	"bufio"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Addresses and names as Go values, for both faces: IP literals as the C
// library reads them, socket addresses and their text, name lookups that
// release the interpreter lock while they wait, the services database,
// and the errors of name resolution.

// GaiError is a name-resolution error, numbered as glibc's getaddrinfo
// numbers them; its text is glibc's gai_strerror.
type GaiError int

// The name-resolution errors.
const (
	EAINoName     GaiError = -2
	EAIAgain      GaiError = -3
	EAIFail       GaiError = -4
	EAIFamily     GaiError = -6
	EAIService    GaiError = -8
	EAIAddrFamily GaiError = -9
)

var gaiNames = map[GaiError][2]string{
	EAINoName:     {"EAI_NONAME", "Name or service not known"},
	EAIAgain:      {"EAI_AGAIN", "Temporary failure in name resolution"},
	EAIFail:       {"EAI_FAIL", "Non-recoverable failure in name resolution"},
	EAIFamily:     {"EAI_FAMILY", "ai_family not supported"},
	EAIService:    {"EAI_SERVICE", "Servname not supported for ai_socktype"},
	EAIAddrFamily: {"EAI_ADDRFAMILY", "Address family for hostname not supported"},
}

// Known reports whether e is one of the errors above.
func (e GaiError) Known() bool {
	_, ok := gaiNames[e]
	return ok
}

// Name is e's name: "EAI_NONAME".
func (e GaiError) Name() string { return gaiNames[e][0] }

func (e GaiError) Error() string { return gaiNames[e][1] }

var familyNames = map[int]string{
	unix.AF_UNSPEC: "AF_UNSPEC",
	unix.AF_INET:   "AF_INET",
	unix.AF_INET6:  "AF_INET6",
	unix.AF_UNIX:   "AF_UNIX",
}

var typeNames = map[int]string{
	unix.SOCK_STREAM:    "SOCK_STREAM",
	unix.SOCK_DGRAM:     "SOCK_DGRAM",
	unix.SOCK_SEQPACKET: "SOCK_SEQPACKET",
	unix.SOCK_RAW:       "SOCK_RAW",
}

// FamilyName is the name of an address family: "AF_INET"; ok is false
// for one without a name.
func FamilyName(family int) (name string, ok bool) {
	name, ok = familyNames[family]
	return name, ok
}

// TypeName is the name of a socket type: "SOCK_STREAM"; ok is false for
// one without a name.
func TypeName(stype int) (name string, ok bool) {
	name, ok = typeNames[stype]
	return name, ok
}

// FamilyOf is the address family of ip.
func FamilyOf(ip netip.Addr) int {
	if ip.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// JoinHostPort prints an address as 127.0.0.1:9999, or [::1]:9999 for IPv6.
func JoinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// UnixName is the path of an AF_UNIX address: "" for an unnamed socket (as
// Python has it), "@name" for a name in Linux's abstract namespace.
func UnixName(a *unix.SockaddrUnix) string {
	// x/sys writes the leading NUL of an abstract name as "@", and so an
	// unnamed socket's empty address as "@" alone.
	if a.Name == "@" {
		return ""
	}
	return a.Name
}

// IPString is the text of ip as the C library's inet_ntop writes it. It is
// Go's text except for an IPv4-compatible IPv6 address (96 zero bits, then
// an IPv4 address that is not 0.0.x.x): glibc writes its last 32 bits as
// an IPv4 address, "::1.2.3.4", where Go writes "::102:304".
func IPString(ip netip.Addr) string {
	if ip.Is6() && !ip.Is4In6() {
		b := ip.As16()
		if [12]byte(b[:12]) == [12]byte{} && b[12]|b[13] != 0 {
			s := "::" + netip.AddrFrom4([4]byte(b[12:])).String()
			if z := ip.Zone(); z != "" {
				s += "%" + z
			}
			return s
		}
	}
	return ip.String()
}

// SockaddrString prints a socket address for messages and reprs.
func SockaddrString(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return JoinHostPort(netip.AddrFrom4(a.Addr).String(), a.Port)
	case *unix.SockaddrInet6:
		return JoinHostPort(IPString(netip.AddrFrom16(a.Addr)), a.Port)
	case *unix.SockaddrUnix:
		return UnixName(a)
	}
	return ""
}

// ParseLiteral resolves the addresses that need no lookup for family
// (AF_UNSPEC: either): an IP literal, in the forms inet_aton accepts for
// IPv4 ("127.1"), "" (any address) and "<broadcast>". ok is false for a name
// to look up. A literal of the other family is EAI_ADDRFAMILY, as
// getaddrinfo answers it; an IPv4-mapped IPv6 literal counts as IPv4.
func ParseLiteral(family int, host string) (ip netip.Addr, ok bool, err error) {
	switch host {
	case "":
		if family == unix.AF_INET6 {
			return netip.IPv6Unspecified(), true, nil
		}
		return netip.IPv4Unspecified(), true, nil
	case "<broadcast>":
		ip = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	default:
		if ip, err = netip.ParseAddr(host); err != nil {
			if ip, ok = InetAton(host, true); !ok {
				return netip.Addr{}, false, nil
			}
		}
	}
	switch {
	case family == unix.AF_INET && !ip.Unmap().Is4(),
		family == unix.AF_INET6 && ip.Is4():
		return netip.Addr{}, true, EAIAddrFamily
	case family == unix.AF_INET:
		ip = ip.Unmap()
	}
	return ip, true, nil
}

// InetAton parses an IPv4 address as the C library's inet_aton does: one
// to four parts separated by dots, each decimal, octal (leading 0) or hex
// (leading 0x), the last part filling the bytes left ("127.1" is
// 127.0.0.1). Unless exact, what follows a space is ignored.
func InetAton(s string, exact bool) (netip.Addr, bool) {
	var parts []uint32
	i := 0
	for {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return netip.Addr{}, false
		}
		base, val, digits := uint64(10), uint64(0), false
		if s[i] == '0' {
			i++
			if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
				base = 16
				i++
			} else {
				base, digits = 8, true
			}
		}
		for ; i < len(s); i++ {
			var d uint64
			switch c := s[i]; {
			case c >= '0' && c <= '9':
				d = uint64(c - '0')
			case base == 16 && c >= 'a' && c <= 'f':
				d = uint64(c-'a') + 10
			case base == 16 && c >= 'A' && c <= 'F':
				d = uint64(c-'A') + 10
			default:
				d = 99
			}
			if d >= base {
				if d < 10 { // 8 or 9 in an octal part
					return netip.Addr{}, false
				}
				break
			}
			val, digits = val*base+d, true
			if val > 0xffffffff {
				return netip.Addr{}, false
			}
		}
		if !digits {
			return netip.Addr{}, false
		}
		parts = append(parts, uint32(val))
		if i < len(s) && s[i] == '.' {
			if len(parts) == 4 || val > 0xff {
				return netip.Addr{}, false
			}
			i++
			continue
		}
		break
	}
	if i < len(s) && (exact || !strings.ContainsRune(" \t\n\v\f\r", rune(s[i]))) {
		return netip.Addr{}, false
	}
	last := parts[len(parts)-1]
	if last > 0xffffffff>>(8*(len(parts)-1)) {
		return netip.Addr{}, false
	}
	v := last
	for k, p := range parts[:len(parts)-1] {
		v |= p << (24 - 8*k)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b), true
}

// Lookup resolves host for family (AF_UNSPEC: both) and returns its
// addresses. A name is looked up with the interpreter lock of c's thread
// released (the lookup ends when c's wait context does); a literal needs
// no lookup and keeps it.
func Lookup(h Host, c Caller, family int, host string) ([]netip.Addr, error) {
	if ip, ok, err := ParseLiteral(family, host); ok {
		return []netip.Addr{ip}, err
	}
	network := "ip"
	switch family {
	case unix.AF_INET:
		network = "ip4"
	case unix.AF_INET6:
		network = "ip6"
	}
	var ips []netip.Addr
	var err error
	Release(h, c, func(ctx context.Context) {
		ips, err = net.DefaultResolver.LookupNetIP(ctx, network, host)
	})
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, EAINoName
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

// LookupAddr is the names of ip by reverse lookup, looked up with the lock
// of c's thread released.
func LookupAddr(h Host, c Caller, ip string) ([]string, error) {
	var names []string
	var err error
	Release(h, c, func(ctx context.Context) {
		names, err = net.DefaultResolver.LookupAddr(ctx, ip)
	})
	return names, err
}

// ReverseLookup is the name and aliases of ip as the C library's
// gethostbyaddr gives them, looked up with the lock of c's thread
// released: from the first line of /etc/hosts with that address (its
// first name, and that line's other names as the aliases), else by
// reverse lookup in DNS (the first name, the others as aliases). Go's
// resolver alone would gather the names of every /etc/hosts line with the
// address, where gethostbyaddr stops at the first.
func ReverseLookup(h Host, c Caller, ip netip.Addr) (string, []string, error) {
	var names []string
	var err error
	Release(h, c, func(ctx context.Context) {
		if names = hostsNames(hostsPath, ip); names == nil {
			names, err = net.DefaultResolver.LookupAddr(ctx, ip.String())
		}
	})
	if err != nil {
		return "", nil, err
	}
	if len(names) == 0 {
		return "", nil, EAINoName
	}
	for i, n := range names {
		names[i] = strings.TrimSuffix(n, ".")
	}
	return names[0], names[1:], nil
}

// hostsPath is the hosts file ReverseLookup reads.
var hostsPath = "/etc/hosts"

// hostsNames is the names on the first line of the hosts file at path
// whose address is ip, nil if there is none (or no file).
func hostsNames(path string, ip netip.Addr) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		if a, err := netip.ParseAddr(fields[0]); err == nil && a.WithZone("") == ip.WithZone("") {
			return fields[1:]
		}
	}
	return nil
}

// LookupPort is the port of the service named service on network ("tcp",
// "udp"), looked up with the lock of c's thread released.
func LookupPort(h Host, c Caller, network, service string) (int, error) {
	var port int
	var err error
	Release(h, c, func(ctx context.Context) {
		port, err = net.DefaultResolver.LookupPort(ctx, network, service)
	})
	return port, err
}

// CanonicalName is the canonical name of host, as getaddrinfo's
// AI_CANONNAME gives it: host itself for a literal or when the lookup
// fails. A name is looked up with the lock of c's thread released.
func CanonicalName(h Host, c Caller, host string) string {
	if _, literal, _ := ParseLiteral(unix.AF_UNSPEC, host); literal {
		return host
	}
	var cname string
	var err error
	Release(h, c, func(ctx context.Context) {
		cname, err = net.DefaultResolver.LookupCNAME(ctx, host)
	})
	if err != nil || cname == "" {
		return host
	}
	return strings.TrimSuffix(cname, ".")
}

// ToSockaddr turns an IP address and port into the family's sockaddr.
func ToSockaddr(family int, ip netip.Addr, port int) (unix.Sockaddr, error) {
	switch family {
	case unix.AF_INET:
		if !ip.Unmap().Is4() {
			return nil, EAIAddrFamily
		}
		return &unix.SockaddrInet4{Port: port, Addr: ip.Unmap().As4()}, nil
	case unix.AF_INET6:
		if ip.Is4() {
			return nil, EAIAddrFamily
		}
		sa := &unix.SockaddrInet6{Port: port, Addr: ip.As16()}
		if zone := ip.Zone(); zone != "" {
			if ifc, err := net.InterfaceByName(zone); err == nil {
				sa.ZoneId = uint32(ifc.Index)
			}
		}
		return sa, nil
	}
	return nil, unix.EAFNOSUPPORT
}

// MaxUnixPath is the longest AF_UNIX path: sun_path less its final NUL.
const MaxUnixPath = len(unix.RawSockaddrUnix{}.Path) - 1

// servKey keys the services database (/etc/services): by name and protocol, or by port
// and protocol.
type servKey struct {
	port  int
	name  string
	proto string
}

type servDB struct {
	byName map[servKey]int
	byPort map[servKey]string
}

// services is the services database, read from /etc/services once: the
// file the C library's getservbyname reads.
var services = sync.OnceValue(func() servDB {
	db := servDB{byName: map[servKey]int{}, byPort: map[servKey]string{}}
	f, err := os.Open("/etc/services")
	if err != nil {
		return db
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		portStr, proto, ok := strings.Cut(fields[1], "/")
		port, err := strconv.Atoi(portStr)
		if !ok || err != nil {
			continue
		}
		if _, seen := db.byPort[servKey{port: port, proto: proto}]; !seen {
			db.byPort[servKey{port: port, proto: proto}] = fields[0]
		}
		for _, name := range append([]string{fields[0]}, fields[2:]...) {
			if _, seen := db.byName[servKey{name: name, proto: proto}]; !seen {
				db.byName[servKey{name: name, proto: proto}] = port
			}
		}
	}
	return db
})

// ServicePort is the port of the service name for proto ("tcp", "udp")
// in the services database, as getservbyname finds it.
func ServicePort(name, proto string) (int, bool) {
	port, ok := services().byName[servKey{name: name, proto: proto}]
	return port, ok
}

// ServiceName is the name of the service on port for proto in the
// services database, as getservbyport finds it.
func ServiceName(port int, proto string) (string, bool) {
	name, ok := services().byPort[servKey{port: port, proto: proto}]
	return name, ok
}
