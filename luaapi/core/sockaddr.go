package core

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvfrom and accept4 are x/sys/unix's, but for the address they return:
// x/sys decodes an AF_INET address only after asking the kernel the
// socket's protocol (getsockopt(SO_PROTOCOL), to tell L2TP apart), one
// more system call per datagram received and per connection accepted. A
// sockrun socket is never L2TP, so the address is decoded here directly.

// recvfrom reads a datagram (or stream bytes) into p and returns its
// sender.
func recvfrom(fd int, p []byte, flags int) (int, unix.Sockaddr, error) {
	var rsa unix.RawSockaddrAny
	l := uint32(unix.SizeofSockaddrAny)
	base := bufBase(p)
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(base), uintptr(len(p)),
		uintptr(flags), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)))
	if e != 0 {
		return int(n), nil, e
	}
	return int(n), decodeSockaddr(&rsa, l), nil
}

// sendto sends p to sa (nil: the connected peer) with flags. An IPv4 or
// IPv6 address is encoded on the stack, so sa is only read: x/sys's
// Sendto and SendmsgN write their encoding into sa itself, which would
// make an address shared between threads (the one a UDP server keeps per
// client) a data race.
func sendto(fd int, p []byte, sa unix.Sockaddr, flags int) (int, error) {
	var raw unsafe.Pointer
	var l uintptr
	var r4 unix.RawSockaddrInet4
	var r6 unix.RawSockaddrInet6
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		if a.Port < 0 || a.Port > 0xFFFF {
			return 0, unix.EINVAL
		}
		r4.Family = unix.AF_INET
		putPort(&r4.Port, a.Port)
		r4.Addr = a.Addr
		raw, l = unsafe.Pointer(&r4), unix.SizeofSockaddrInet4
	case *unix.SockaddrInet6:
		if a.Port < 0 || a.Port > 0xFFFF {
			return 0, unix.EINVAL
		}
		r6.Family = unix.AF_INET6
		putPort(&r6.Port, a.Port)
		r6.Scope_id = a.ZoneId
		r6.Addr = a.Addr
		raw, l = unsafe.Pointer(&r6), unix.SizeofSockaddrInet6
	case nil:
	default:
		return unix.SendmsgN(fd, p, nil, sa, flags)
	}
	base := bufBase(p)
	n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(base), uintptr(len(p)),
		uintptr(flags), uintptr(raw), l)
	if e != 0 {
		return int(n), e
	}
	return int(n), nil
}

// bufBase is where a system call reads or writes p: its first byte, or
// a byte of its own for an empty p (a null pointer would be EFAULT).
func bufBase(p []byte) unsafe.Pointer {
	if len(p) > 0 {
		return unsafe.Pointer(&p[0])
	}
	return unsafe.Pointer(&zeroByte)
}

var zeroByte byte

// putPort writes port into a raw address's port field, in network order.
func putPort(dst *uint16, port int) {
	b := (*[2]byte)(unsafe.Pointer(dst))
	b[0], b[1] = byte(port>>8), byte(port)
}

// accept4 accepts a connection on fd with flags and returns the new
// descriptor and the peer's address.
func accept4(fd, flags int) (int, unix.Sockaddr, error) {
	var rsa unix.RawSockaddrAny
	l := uint32(unix.SizeofSockaddrAny)
	nfd, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&rsa)),
		uintptr(unsafe.Pointer(&l)), uintptr(flags), 0, 0)
	if e != 0 {
		return -1, nil, e
	}
	return int(nfd), decodeSockaddr(&rsa, l), nil
}

// decodeSockaddr is the address the kernel wrote in rsa, l bytes of it:
// nil if there is none (a connected stream's recvfrom).
func decodeSockaddr(rsa *unix.RawSockaddrAny, l uint32) unix.Sockaddr {
	if l < 2 {
		return nil
	}
	switch rsa.Addr.Family {
	case unix.AF_INET:
		pp := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&pp.Port))
		return &unix.SockaddrInet4{Port: int(p[0])<<8 | int(p[1]), Addr: pp.Addr}
	case unix.AF_INET6:
		pp := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		p := (*[2]byte)(unsafe.Pointer(&pp.Port))
		return &unix.SockaddrInet6{Port: int(p[0])<<8 | int(p[1]), ZoneId: pp.Scope_id, Addr: pp.Addr}
	case unix.AF_UNIX:
		pp := (*unix.RawSockaddrUnix)(unsafe.Pointer(rsa))
		n := int(l) - int(unsafe.Offsetof(pp.Path))
		if n <= 0 {
			return &unix.SockaddrUnix{} // an unnamed socket
		}
		path := unsafe.Slice((*byte)(unsafe.Pointer(&pp.Path[0])), min(n, len(pp.Path)))
		if path[0] == 0 {
			// An abstract name: a leading NUL, shown as "@", as x/sys does.
			return &unix.SockaddrUnix{Name: "@" + string(path[1:])}
		}
		end := 0
		for end < len(path) && path[end] != 0 {
			end++
		}
		return &unix.SockaddrUnix{Name: string(path[:end])}
	}
	return nil
}
