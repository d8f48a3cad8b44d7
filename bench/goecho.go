package main

import (
	"flag"
	"fmt"
	"net"
	"os"
)

// goEchoMain is the reference server: the plain Go way to write a
// thread-per-client echo server, a goroutine per connection reading into
// its own 4 KiB buffer (the size the Lua script passes to recv) and writing
// back what it read.
func goEchoMain(args []string) int {
	fs := flag.NewFlagSet("goecho", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if fs.Parse(args) != nil {
		return 2
	}
	raiseNoFile(0)
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
		go serveEcho(c)
	}
}

func serveEcho(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
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
