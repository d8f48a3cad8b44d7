package ssl

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	"github.com/sockrun/sockrun/luaapi/pysocket"
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/sys/unix"
)

// The ssl module: Python's ssl over Go's crypto/tls. A context holds the
// settings (certificates, what to verify, ALPN, versions); wrap_socket
// lays TLS over a socket through the core's transport, so every socket
// method (recv, sendall, recvline, makefile, ...) works unchanged on the
// wrapped socket, which also has version, cipher, getpeercert and
// selected_alpn_protocol.

// Python's verify modes.
const (
	certNone     = 0
	certOptional = 1
	certRequired = 2
)

// SSLContext is ssl.SSLContext: the settings of the TLS connections it
// wraps. Touched under the interpreter lock.
type SSLContext struct {
	server        bool // made for the server side (PROTOCOL_TLS_SERVER, Purpose.CLIENT_AUTH)
	checkHostname bool
	verifyMode    int
	certs         []tls.Certificate
	cas           *x509.CertPool // loaded with load_verify_locations; nil: none
	defaultCAs    bool           // verify against the system's CAs as well
	alpn          []string
	minVersion    uint16
	maxVersion    uint16
}

// sslState is what a socket knows of its TLS layer.
type sslState struct {
	ctx      *SSLContext
	server   bool
	hostname string
	conn     *tls.Conn // nil until the handshake is done
}

const (
	sslContextMetaName = "ssl.context"
	sslSocketMetaName  = "ssl.socket"
)

// Module is the ssl module's state in one VM: the VM its errors are
// raised through.
type Module struct {
	vm *api.VM
}

func init() {
	api.Register(&api.Module{
		Name:    "ssl",
		Network: true,
		New:     func(vm *api.VM) any { return &Module{vm: vm} },
		Summary: "Python's ssl module: TLS over sockets, with Go's crypto/tls",
		Doc:     "docs/ssl.md",
		Funcs: []api.Func{
			api.Fn("create_default_context", "ssl.create_default_context([purpose])", "a context with secure defaults: for a client (Purpose.SERVER_AUTH, default) or a server (Purpose.CLIENT_AUTH)", sslCreateDefaultContext).
				Params(api.Str).Returns(api.Obj("ssl.context")),
			api.Fn("SSLContext", "ssl.SSLContext([protocol])", "a context for PROTOCOL_TLS_CLIENT (default) or PROTOCOL_TLS_SERVER", sslNewContext).
				Params(api.OneOf("PROTOCOL_*")).Returns(api.Obj("ssl.context")),
		},
		Types:  []*api.Type{sslContextType, sslSocketType},
		Consts: sslConsts,
		Setup:  setupSSL,
		Families: []*api.Family{
			{Name: "PROTOCOL_*", Prefixes: []string{"PROTOCOL_"}, Summary: "the side a context is for"},
		},
		Values: []api.Value{
			{Name: "Purpose", Type: "{SERVER_AUTH: string, CLIENT_AUTH: string}", Summary: "what `create_default_context` makes a context for"},
			{Name: "TLSVersion", Type: "{TLSv1: integer, TLSv1_1: integer, TLSv1_2: integer, TLSv1_3: integer, MINIMUM_SUPPORTED: integer, MAXIMUM_SUPPORTED: integer}", Summary: "TLS versions, for `minimum_version` and `maximum_version`"},
		},
		Shapes: []api.Shape{
			{Name: "ssl.wrapoptions", Summary: "options of `ctx:wrap_socket`", Fields: []api.Value{
				{Name: "server_side?", Type: "boolean", Summary: "this is the server's end"},
				{Name: "server_hostname?", Type: "string", Summary: "the name the server's certificate must match"},
				{Name: "do_handshake_on_connect?", Type: "boolean", Summary: "`false` to run the handshake later, with `do_handshake`"},
			}},
		},
	})
}

func sslConsts() []api.Const {
	return []api.Const{
		{Name: "CERT_NONE", Value: lua.LNumber(certNone)},
		{Name: "CERT_OPTIONAL", Value: lua.LNumber(certOptional)},
		{Name: "CERT_REQUIRED", Value: lua.LNumber(certRequired)},
		{Name: "PROTOCOL_TLS_CLIENT", Value: lua.LNumber(16)},
		{Name: "PROTOCOL_TLS_SERVER", Value: lua.LNumber(17)},
		{Name: "HAS_ALPN", Value: lua.LTrue},
		{Name: "OPENSSL_VERSION", Value: lua.LString("Go crypto/tls")},
	}
}

// setupSSL adds the tables Purpose and TLSVersion.
func setupSSL(_ any, L *lua.LState, mod *lua.LTable) {
	purpose := L.CreateTable(0, 2)
	purpose.RawSetString("SERVER_AUTH", lua.LString("SERVER_AUTH"))
	purpose.RawSetString("CLIENT_AUTH", lua.LString("CLIENT_AUTH"))
	mod.RawSetString("Purpose", purpose)
	versions := L.CreateTable(0, 6)
	for name, v := range tlsVersions {
		versions.RawSetString(name, lua.LNumber(v))
	}
	versions.RawSetString("MINIMUM_SUPPORTED", lua.LNumber(tls.VersionTLS10))
	versions.RawSetString("MAXIMUM_SUPPORTED", lua.LNumber(tls.VersionTLS13))
	mod.RawSetString("TLSVersion", versions)
}

var tlsVersions = map[string]uint16{
	"TLSv1":   tls.VersionTLS10,
	"TLSv1_1": tls.VersionTLS11,
	"TLSv1_2": tls.VersionTLS12,
	"TLSv1_3": tls.VersionTLS13,
}

func versionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

var sslContextType = &api.Type{
	Name:    "SSLContext",
	Meta:    sslContextMetaName,
	Summary: "a TLS context: certificates, verification, versions",
	Methods: func() []api.Func {
		return []api.Func{
			api.Method("load_cert_chain", "ctx:load_cert_chain(certfile [, keyfile])", "loads this side's certificate chain and private key (PEM)", (*Module).sslLoadCertChain).
				Params(api.Str, api.Str),
			api.Method("load_verify_locations", "ctx:load_verify_locations(cafile)", "trusts the CA certificates in cafile (PEM) for verifying the peer", (*Module).sslLoadVerifyLocations).
				Params(api.Str),
			api.Fn("load_default_certs", "ctx:load_default_certs()", "trusts the system's CA certificates too", sslLoadDefaultCerts),
			api.Fn("set_alpn_protocols", "ctx:set_alpn_protocols(protocols)", "the ALPN protocols to offer or accept, most preferred first", sslSetALPN).
				Params(api.T("string[]")),
			api.Method("wrap_socket", "ctx:wrap_socket(sock [, options])", "lays TLS over sock and returns it as an SSL socket; options server_side, server_hostname, do_handshake_on_connect", (*Module).sslWrapSocket).
				Params(api.Obj("socket.socket"), api.T("ssl.wrapoptions")).Returns(api.Obj("ssl.socket")),
		}
	},
	Fields: []api.Field{
		{Name: "check_hostname", Type: "boolean", Summary: "whether the peer's certificate must match server_hostname",
			Get: func(L *lua.LState, ud *lua.LUserData) lua.LValue {
				return lua.LBool(ud.Value.(*SSLContext).checkHostname)
			},
			Set: func(L *lua.LState, ud *lua.LUserData, v lua.LValue) {
				c := ud.Value.(*SSLContext)
				c.checkHostname = lua.LVAsBool(v)
				if c.checkHostname && c.verifyMode == certNone {
					c.verifyMode = certRequired // as Python does
				}
			}},
		{Name: "verify_mode", Type: "integer", Summary: "CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED",
			Get: func(L *lua.LState, ud *lua.LUserData) lua.LValue {
				return lua.LNumber(ud.Value.(*SSLContext).verifyMode)
			},
			Set: func(L *lua.LState, ud *lua.LUserData, v lua.LValue) {
				c := ud.Value.(*SSLContext)
				n, ok := v.(lua.LNumber)
				if !ok || n < certNone || n > certRequired || n != lua.LNumber(int(n)) {
					api.Misuse(L, "verify_mode must be ssl.CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED, got %s", lua.LVAsString(L.ToStringMeta(v)))
				}
				if int(n) == certNone && c.checkHostname {
					api.RaiseOS(L, &api.OSError{Class: "ValueError", Message: "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.", Op: "verify_mode"})
				}
				c.verifyMode = int(n)
			}},
		{Name: "minimum_version", Type: "integer", Summary: "the lowest TLS version allowed (ssl.TLSVersion)",
			Get: func(L *lua.LState, ud *lua.LUserData) lua.LValue {
				return lua.LNumber(ud.Value.(*SSLContext).minVersion)
			},
			Set: func(L *lua.LState, ud *lua.LUserData, v lua.LValue) {
				ud.Value.(*SSLContext).minVersion = checkTLSVersion(L, v, "minimum_version")
			}},
		{Name: "maximum_version", Type: "integer", Summary: "the highest TLS version allowed (ssl.TLSVersion)",
			Get: func(L *lua.LState, ud *lua.LUserData) lua.LValue {
				return lua.LNumber(ud.Value.(*SSLContext).maxVersion)
			},
			Set: func(L *lua.LState, ud *lua.LUserData, v lua.LValue) {
				ud.Value.(*SSLContext).maxVersion = checkTLSVersion(L, v, "maximum_version")
			}},
	},
	Metamethods: map[string]lua.LGFunction{
		"__tostring": func(L *lua.LState) int {
			c := api.CheckSelf[*SSLContext](L, "__tostring", "SSLContext", "ctx")
			side := "client"
			if c.server {
				side = "server"
			}
			L.Push(lua.LString(fmt.Sprintf("<SSLContext %s, verify_mode=%d, check_hostname=%v>", side, c.verifyMode, c.checkHostname)))
			return 1
		},
	},
}

func checkTLSVersion(L *lua.LState, v lua.LValue, field string) uint16 {
	n, ok := v.(lua.LNumber)
	if !ok || n < tls.VersionTLS10 || n > tls.VersionTLS13 {
		api.Misuse(L, "%s must be an ssl.TLSVersion, got %s", field, lua.LVAsString(L.ToStringMeta(v)))
	}
	return uint16(n)
}

var sslSocketType = &api.Type{
	Name:     "SSLSocket",
	Meta:     sslSocketMetaName,
	Summary:  "a socket with a TLS layer: every socket method, and these",
	Inherits: pysocket.SocketType,
	Methods: func() []api.Func {
		return []api.Func{
			api.Method("version", "ssock:version()", "the TLS version in use: \"TLSv1.3\"", (*Module).sslVersion).
				Returns(api.Str),
			api.Method("cipher", "ssock:cipher()", "the cipher suite in use: {name, version, bits}", (*Module).sslCipher).
				Returns(api.T("{[1]: string, [2]: string, [3]: integer}")),
			api.Method("getpeercert", "ssock:getpeercert([binary_form])", "the peer's certificate as a table, or its DER bytes", (*Module).sslGetpeercert).
				Params(api.Bool).Returns(api.T("table|string|nil")),
			api.Method("selected_alpn_protocol", "ssock:selected_alpn_protocol()", "the protocol ALPN agreed on, or nil", (*Module).sslSelectedALPN).
				Returns(api.T("string?")),
			api.Fn("do_handshake", "ssock:do_handshake()", "runs the TLS handshake now, if it has not run", sslDoHandshake),
		}
	},
	Metamethods: map[string]lua.LGFunction{
		"__tostring": func(L *lua.LState) int {
			s := pysocket.CheckSocketAny(L, "__tostring")
			L.Push(lua.LString("<ssl." + strings.TrimPrefix(s.String(), "<")))
			return 1
		},
		"__eq": pysocket.SocketType.Metamethods["__eq"],
	},
}

func newContext(server bool) *SSLContext {
	c := &SSLContext{server: server, minVersion: tls.VersionTLS12, maxVersion: tls.VersionTLS13}
	if !server {
		c.checkHostname, c.verifyMode, c.defaultCAs = true, certRequired, true
	}
	return c
}

// sslCreateDefaultContext is ssl.create_default_context([purpose]).
func sslCreateDefaultContext(L *lua.LState) int {
	purpose := "SERVER_AUTH"
	if L.Get(1) != lua.LNil {
		purpose = api.CheckString(L, 1, "create_default_context")
	}
	switch purpose {
	case "SERVER_AUTH":
		L.Push(api.NewObject(L, newContext(false), sslContextMetaName))
	case "CLIENT_AUTH":
		L.Push(api.NewObject(L, newContext(true), sslContextMetaName))
	default:
		api.ArgError(L, 1, "create_default_context", "ssl.Purpose.SERVER_AUTH or ssl.Purpose.CLIENT_AUTH expected, got "+purpose)
	}
	return 1
}

// sslNewContext is ssl.SSLContext([protocol]).
func sslNewContext(L *lua.LState) int {
	switch api.OptInt(L, 1, "SSLContext", 0, 16) {
	case 16:
		c := newContext(false)
		c.defaultCAs = false // as Python: SSLContext() loads no CAs by itself
		L.Push(api.NewObject(L, c, sslContextMetaName))
	case 17:
		L.Push(api.NewObject(L, newContext(true), sslContextMetaName))
	default:
		api.ArgError(L, 1, "SSLContext", "ssl.PROTOCOL_TLS_CLIENT or ssl.PROTOCOL_TLS_SERVER expected")
	}
	return 1
}

func checkContext(L *lua.LState, fn string) *SSLContext {
	return api.CheckSelf[*SSLContext](L, fn, "SSLContext", "ctx")
}

// sslLoadCertChain is ctx:load_cert_chain(certfile [, keyfile]).
func (m *Module) sslLoadCertChain(L *lua.LState) int {
	c := checkContext(L, "load_cert_chain")
	certfile := api.CheckBytes(L, 2, "load_cert_chain", 1)
	keyfile := certfile
	if L.Get(3) != lua.LNil {
		keyfile = api.CheckBytes(L, 3, "load_cert_chain", 1)
	}
	certPEM, err := os.ReadFile(certfile)
	if err != nil {
		m.vm.Raise(L, err, "load_cert_chain", certfile)
	}
	keyPEM, err := os.ReadFile(keyfile)
	if err != nil {
		m.vm.Raise(L, err, "load_cert_chain", keyfile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		api.RaiseOS(L, &api.OSError{Class: "ssl.SSLError", Name: "PEM_LIB", Library: "SSL", Message: "[SSL] PEM lib: " + err.Error(), Op: "load_cert_chain", Addr: certfile, Err: err})
	}
	c.certs = []tls.Certificate{cert}
	return 0
}

// sslLoadVerifyLocations is ctx:load_verify_locations(cafile).
func (m *Module) sslLoadVerifyLocations(L *lua.LState) int {
	c := checkContext(L, "load_verify_locations")
	cafile := api.CheckBytes(L, 2, "load_verify_locations", 1)
	pem, err := os.ReadFile(cafile)
	if err != nil {
		m.vm.Raise(L, err, "load_verify_locations", cafile)
	}
	if c.cas == nil {
		c.cas = x509.NewCertPool()
	}
	if !c.cas.AppendCertsFromPEM(pem) {
		const reason = "NO_CERTIFICATE_OR_CRL_FOUND"
		api.RaiseOS(L, &api.OSError{Class: "ssl.SSLError", Name: reason, Library: "X509", Reason: reason,
			Message: "[X509: " + reason + "] no certificate or crl found", Op: "load_verify_locations", Addr: cafile})
	}
	return 0
}

// sslLoadDefaultCerts is ctx:load_default_certs().
func sslLoadDefaultCerts(L *lua.LState) int {
	checkContext(L, "load_default_certs").defaultCAs = true
	return 0
}

// sslSetALPN is ctx:set_alpn_protocols(protocols).
func sslSetALPN(L *lua.LState) int {
	c := checkContext(L, "set_alpn_protocols")
	list, ok := L.Get(2).(*lua.LTable)
	if !ok {
		api.ArgError(L, 1, "set_alpn_protocols", "table of strings expected, got "+api.TypeName(L.Get(2)))
	}
	var protos []string
	for i := 1; i <= list.Len(); i++ {
		p, ok := list.RawGetInt(i).(lua.LString)
		if !ok || len(p) == 0 || len(p) > 255 {
			api.ArgError(L, 1, "set_alpn_protocols", "each protocol must be a string of 1 to 255 bytes")
		}
		protos = append(protos, string(p))
	}
	c.alpn = protos
	return 0
}

// config is the crypto/tls configuration of one connection of c.
func (c *SSLContext) config(server bool, hostname string) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:   c.minVersion,
		MaxVersion:   c.maxVersion,
		Certificates: c.certs,
		NextProtos:   c.alpn,
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		// Go's crypto/tls still speaks TLS 1.0 and 1.1 when asked.
		cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS10)
	}
	// The roots a peer's chain may lead to: the loaded CAs, and the
	// system's if asked for (or if none were loaded). A pool has no
	// union, so each is tried in turn.
	var roots []*x509.CertPool
	if c.cas != nil {
		roots = append(roots, c.cas)
	}
	if c.defaultCAs || c.cas == nil {
		if sys, err := x509.SystemCertPool(); err == nil && sys != nil {
			roots = append(roots, sys)
		}
	}
	if server {
		if len(c.certs) == 0 {
			return nil, errors.New("a server-side context needs load_cert_chain first")
		}
		cfg.ClientCAs = c.cas
		switch c.verifyMode {
		case certRequired:
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		case certOptional:
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		}
		return cfg, nil
	}
	if c.checkHostname && hostname == "" {
		return nil, errors.New("check_hostname requires server_hostname")
	}
	cfg.ServerName = hostname
	if c.verifyMode == certNone {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	// Verify the chain against the system's CAs and the loaded ones, and
	// the name only if check_hostname: crypto/tls can do neither alone.
	cfg.InsecureSkipVerify = true
	checkName := c.checkHostname
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the server sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, ic := range cs.PeerCertificates[1:] {
			inter.AddCert(ic)
		}
		opts := x509.VerifyOptions{Intermediates: inter}
		leaf := cs.PeerCertificates[0]
		err := error(x509.UnknownAuthorityError{Cert: leaf})
		for _, pool := range roots {
			opts.Roots = pool
			if _, err = leaf.Verify(opts); err == nil {
				break
			}
		}
		if err != nil {
			return err
		}
		if checkName {
			return leaf.VerifyHostname(hostname)
		}
		return nil
	}
	return cfg, nil
}

// sslWrapSocket is ctx:wrap_socket(sock [, options]): sock becomes an SSL
// socket (the same object, with the SSL methods). On a connected socket
// the handshake runs now (unless do_handshake_on_connect is false); on a
// socket not yet connected it runs when connect succeeds; on a listening
// socket every socket accept returns is wrapped and its handshake run.
func (m *Module) sslWrapSocket(L *lua.LState) int {
	c := checkContext(L, "wrap_socket")
	s := pysocket.SocketOf(L.Get(2))
	if s == nil {
		api.ArgError(L, 1, "wrap_socket", "socket expected, got "+api.TypeName(L.Get(2)))
	}
	if s.IsClosed() {
		m.vm.Raise(L, unix.EBADF, "wrap_socket", "")
	}
	if s.TLS() != nil {
		api.RaiseOS(L, &api.OSError{Class: "ValueError", Message: "the socket is already wrapped", Op: "wrap_socket"})
	}
	if s.Type() != unix.SOCK_STREAM {
		api.ArgError(L, 1, "wrap_socket", "only stream sockets can carry TLS")
	}
	st := &sslState{ctx: c, server: c.server}
	handshake := true
	if opts, isTable := L.Get(3).(*lua.LTable); isTable {
		opts.ForEach(func(k, v lua.LValue) {
			switch lua.LVAsString(k) {
			case "server_side":
				st.server = lua.LVAsBool(v)
			case "server_hostname":
				if v != lua.LNil {
					st.hostname = lua.LVAsString(v)
				}
			case "do_handshake_on_connect":
				handshake = lua.LVAsBool(v)
			default:
				api.ArgError(L, 2, "wrap_socket", "unknown option "+lua.LVAsString(k)+" (options are server_side, server_hostname, do_handshake_on_connect)")
			}
		})
	} else if L.Get(3) != lua.LNil {
		api.ArgError(L, 2, "wrap_socket", "options table expected, got "+api.TypeName(L.Get(3)))
	}
	if st.server && !c.server && len(c.certs) == 0 {
		api.ArgError(L, 2, "wrap_socket", "server_side needs a context with load_cert_chain")
	}
	if _, err := c.config(st.server, st.hostname); err != nil {
		api.RaiseOS(L, &api.OSError{Class: "ValueError", Message: err.Error(), Op: "wrap_socket"})
	}
	s.SetTLS(st)
	s.SetClass(L, sslSocketMetaName)
	if handshake && (s.State() == core.Connected || s.State() == core.WrShut) {
		doHandshake(L, s, "wrap_socket")
	}
	L.Push(s.Value())
	return 1
}

// doHandshake runs s's TLS handshake now, raising what went wrong as
// Python's ssl errors.
func doHandshake(L *lua.LState, s *pysocket.Socket, op string) {
	st := s.TLS().(*sslState)
	cfg, err := st.ctx.config(st.server, st.hostname)
	if err == nil {
		st.conn, err = s.StartTLS(L, cfg, st.server)
	}
	if err != nil {
		s.VM().Raise(L, tlsError(err, true), op, s.PeerString())
	}
	// From now on the socket's reads and writes fail with ssl errors.
	s.SetTransport(recordLayer{st.conn})
}

// Accepted implements pysocket.TLS: a socket an SSL listening socket
// accepted is an SSL socket of the server side, its handshake done.
func (st *sslState) Accepted(L *lua.LState, conn *pysocket.Socket) {
	conn.SetTLS(&sslState{ctx: st.ctx, server: true})
	conn.SetClass(L, sslSocketMetaName)
	doHandshake(L, conn, "accept")
}

// Connected implements pysocket.TLS: a client's handshake runs once its
// connect succeeds, unless it has run.
func (st *sslState) Connected(L *lua.LState, s *pysocket.Socket) {
	if st.conn == nil && !st.server {
		doHandshake(L, s, "connect")
	}
}

// checkSSL returns the SSL socket fn was called on, with its handshake
// done.
func (m *Module) checkSSL(L *lua.LState, fn string) (*pysocket.Socket, *tls.ConnectionState) {
	s := pysocket.CheckSocket(L, fn)
	st, _ := s.TLS().(*sslState)
	if st == nil {
		api.Misuse(L, "%s is a method of SSL sockets (wrap the socket with an ssl context first)", fn)
	}
	if st.conn == nil {
		api.RaiseOS(L, &api.OSError{Class: "ValueError", Message: "the TLS handshake has not been done yet", Op: fn})
	}
	cs := st.conn.ConnectionState()
	return s, &cs
}

// sslVersion is ssock:version().
func (m *Module) sslVersion(L *lua.LState) int {
	_, cs := m.checkSSL(L, "version")
	L.Push(lua.LString(versionName(cs.Version)))
	return 1
}

// sslCipher is ssock:cipher(): {name, version, secret bits}, as Python's
// tuple.
func (m *Module) sslCipher(L *lua.LState) int {
	_, cs := m.checkSSL(L, "cipher")
	name := tls.CipherSuiteName(cs.CipherSuite)
	bits := 128
	if strings.Contains(name, "AES_256") || strings.Contains(name, "CHACHA20") {
		bits = 256
	}
	t := L.CreateTable(3, 0)
	t.Append(lua.LString(name))
	t.Append(lua.LString(versionName(cs.Version)))
	t.Append(lua.LNumber(bits))
	L.Push(t)
	return 1
}

// sslGetpeercert is ssock:getpeercert([binary_form]).
func (m *Module) sslGetpeercert(L *lua.LState) int {
	_, cs := m.checkSSL(L, "getpeercert")
	if len(cs.PeerCertificates) == 0 {
		L.Push(lua.LNil)
		return 1
	}
	cert := cs.PeerCertificates[0]
	if lua.LVAsBool(L.Get(2)) {
		L.Push(lua.LString(cert.Raw))
		return 1
	}
	L.Push(certTable(L, cert))
	return 1
}

// certTable is a certificate as Python's getpeercert() dict: subject and
// issuer (by attribute name), notBefore and notAfter as OpenSSL prints
// them, serialNumber in hex, version, subjectAltName as {type, value}
// pairs.
func certTable(L *lua.LState, c *x509.Certificate) *lua.LTable {
	name := func(n []struct{ k, v string }) *lua.LTable {
		t := L.NewTable()
		for _, kv := range n {
			if kv.v != "" {
				t.RawSetString(kv.k, lua.LString(kv.v))
			}
		}
		return t
	}
	first := func(list []string) string {
		if len(list) > 0 {
			return list[0]
		}
		return ""
	}
	subject := name([]struct{ k, v string }{
		{"commonName", c.Subject.CommonName}, {"organizationName", first(c.Subject.Organization)},
		{"countryName", first(c.Subject.Country)}, {"localityName", first(c.Subject.Locality)},
	})
	issuer := name([]struct{ k, v string }{
		{"commonName", c.Issuer.CommonName}, {"organizationName", first(c.Issuer.Organization)},
		{"countryName", first(c.Issuer.Country)},
	})
	t := L.NewTable()
	t.RawSetString("subject", subject)
	t.RawSetString("issuer", issuer)
	const layout = "Jan _2 15:04:05 2006 GMT"
	t.RawSetString("notBefore", lua.LString(c.NotBefore.UTC().Format(layout)))
	t.RawSetString("notAfter", lua.LString(c.NotAfter.UTC().Format(layout)))
	t.RawSetString("serialNumber", lua.LString(strings.ToUpper(hex.EncodeToString(c.SerialNumber.Bytes()))))
	t.RawSetString("version", lua.LNumber(c.Version))
	alt := L.NewTable()
	for _, d := range c.DNSNames {
		alt.Append(pair(L, "DNS", d))
	}
	for _, ip := range c.IPAddresses {
		alt.Append(pair(L, "IP Address", ip.String()))
	}
	if alt.Len() > 0 {
		t.RawSetString("subjectAltName", alt)
	}
	return t
}

func pair(L *lua.LState, a, b string) *lua.LTable {
	t := L.CreateTable(2, 0)
	t.Append(lua.LString(a))
	t.Append(lua.LString(b))
	return t
}

// sslSelectedALPN is ssock:selected_alpn_protocol().
func (m *Module) sslSelectedALPN(L *lua.LState) int {
	_, cs := m.checkSSL(L, "selected_alpn_protocol")
	if cs.NegotiatedProtocol == "" {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LString(cs.NegotiatedProtocol))
	}
	return 1
}

// sslDoHandshake is ssock:do_handshake().
func sslDoHandshake(L *lua.LState) int {
	s := pysocket.CheckSocket(L, "do_handshake")
	st, _ := s.TLS().(*sslState)
	if st == nil {
		api.Misuse(L, "do_handshake is a method of SSL sockets (wrap the socket with an ssl context first)")
	}
	if st.conn == nil {
		doHandshake(L, s, "do_handshake")
	}
	return 0
}
