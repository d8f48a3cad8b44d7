package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
)

// goEchoMain is the reference server: the plain Go way to write a
// thread-per-client echo server, a goroutine per connection reading into
// its own buffer (4 KiB by default, the size the Lua script passes to recv;
// 32 KiB for the bulk rows) and writing back what it read: a plain loop,
// not io.Copy, which splices on Linux and would skip user space. With
// -udp it is the plain Go UDP echo server: one goroutine, ReadFrom then
// WriteTo.
func goEchoMain(args []string) int {
	fs := flag.NewFlagSet("goecho", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	size := fs.Int("buf", 4096, "read buffer size of each connection")
	udp := fs.Bool("udp", false, "a UDP echo server")
	lines := fs.Bool("lines", false, "echo whole lines: read up to each \"\\n\" and write the line back")
	if fs.Parse(args) != nil {
		return 2
	}
	raiseNoFile(0)
	if *udp {
		return serveUDPEcho(*addr)
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goecho:", err)
		return 1
	}
	fmt.Printf("listening on %s\n", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "goecho:", err)
			return 1
		}
		if *lines {
			go serveLines(c, *size)
		} else {
			go serveEcho(c, *size)
		}
	}
}

// serveLines is the plain Go line echo: a bufio.Reader gathers each line
// (ReadBytes grows its result as lines need), and the line goes back whole.
func serveLines(c net.Conn, size int) {
	defer c.Close()
	r := bufio.NewReaderSize(c, size)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if _, err := c.Write(line); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func serveEcho(c net.Conn, size int) {
	defer c.Close()
	buf := make([]byte, size)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func serveUDPEcho(addr string) int {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goecho:", err)
		return 1
	}
	fmt.Printf("listening on %s\n", c.LocalAddr())
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "goecho:", err)
			return 1
		}
		c.WriteTo(buf[:n], from)
	}
}
