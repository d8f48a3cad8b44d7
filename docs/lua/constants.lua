---@meta
-- The constants of sockrun's modules, for lua-language-server (LuaLS).
-- Generated from sockrun's registry by `sockrun lsp-defs DIR` (in this
-- repository: `go run . lsp-defs docs/lua`); do not edit.
-- The values are those of the system that generated the file: compare
-- names (err.name == "ECONNREFUSED") or these constants, never raw numbers.

-- signal

signal.SIGHUP = 1

signal.SIGINT = 2

signal.SIGTERM = 15

signal.SIGUSR1 = 10

signal.SIGUSR2 = 12

signal.SIG_DFL = 0

signal.SIG_IGN = 1

-- socket

---An address family, for `socket.socket`.
socket.AF_INET = 2

---An address family, for `socket.socket`.
socket.AF_INET6 = 10

---An address family, for `socket.socket`.
socket.AF_UNIX = 1

---An address family, for `socket.socket`.
socket.AF_UNSPEC = 0

---A flag of `socket.getaddrinfo`.
socket.AI_CANONNAME = 2

---A flag of `socket.getaddrinfo`.
socket.AI_NUMERICHOST = 4

---A flag of `socket.getaddrinfo`.
socket.AI_PASSIVE = 1

---An errno: a raised error has `err.name == "E2BIG"`.
socket.E2BIG = 7

---An errno: a raised error has `err.name == "EACCES"`.
socket.EACCES = 13

---An errno: a raised error has `err.name == "EADDRINUSE"`.
socket.EADDRINUSE = 98

---An errno: a raised error has `err.name == "EADDRNOTAVAIL"`.
socket.EADDRNOTAVAIL = 99

---An errno: a raised error has `err.name == "EADV"`.
socket.EADV = 68

---An errno: a raised error has `err.name == "EAFNOSUPPORT"`.
socket.EAFNOSUPPORT = 97

---An errno: a raised error has `err.name == "EAGAIN"`.
socket.EAGAIN = 11

---A name resolution error: `err.errno` of a `socket.gaierror` (compare `err.name`).
socket.EAI_ADDRFAMILY = -9

---A name resolution error: `err.errno` of a `socket.gaierror` (compare `err.name`).
socket.EAI_AGAIN = -3

---A name resolution error: `err.errno` of a `socket.gaierror` (compare `err.name`).
socket.EAI_FAIL = -4

---A name resolution error: `err.errno` of a `socket.gaierror` (compare `err.name`).
socket.EAI_FAMILY = -6

---A name resolution error: `err.errno` of a `socket.gaierror` (compare `err.name`).
socket.EAI_NONAME = -2

---A name resolution error: `err.errno` of a `socket.gaierror` (compare `err.name`).
socket.EAI_SERVICE = -8

---An errno: a raised error has `err.name == "EALREADY"`.
socket.EALREADY = 114

---An errno: a raised error has `err.name == "EBADE"`.
socket.EBADE = 52

---An errno: a raised error has `err.name == "EBADF"`.
socket.EBADF = 9

---An errno: a raised error has `err.name == "EBADFD"`.
socket.EBADFD = 77

---An errno: a raised error has `err.name == "EBADMSG"`.
socket.EBADMSG = 74

---An errno: a raised error has `err.name == "EBADR"`.
socket.EBADR = 53

---An errno: a raised error has `err.name == "EBADRQC"`.
socket.EBADRQC = 56

---An errno: a raised error has `err.name == "EBADSLT"`.
socket.EBADSLT = 57

---An errno: a raised error has `err.name == "EBFONT"`.
socket.EBFONT = 59

---An errno: a raised error has `err.name == "EBUSY"`.
socket.EBUSY = 16

---An errno: a raised error has `err.name == "ECANCELED"`.
socket.ECANCELED = 125

---An errno: a raised error has `err.name == "ECHILD"`.
socket.ECHILD = 10

---An errno: a raised error has `err.name == "ECHRNG"`.
socket.ECHRNG = 44

---An errno: a raised error has `err.name == "ECOMM"`.
socket.ECOMM = 70

---An errno: a raised error has `err.name == "ECONNABORTED"`.
socket.ECONNABORTED = 103

---An errno: a raised error has `err.name == "ECONNREFUSED"`.
socket.ECONNREFUSED = 111

---An errno: a raised error has `err.name == "ECONNRESET"`.
socket.ECONNRESET = 104

---An errno: a raised error has `err.name == "EDEADLK"`.
socket.EDEADLK = 35

---An errno: a raised error has `err.name == "EDEADLOCK"`.
socket.EDEADLOCK = 35

---An errno: a raised error has `err.name == "EDESTADDRREQ"`.
socket.EDESTADDRREQ = 89

---An errno: a raised error has `err.name == "EDOM"`.
socket.EDOM = 33

---An errno: a raised error has `err.name == "EDOTDOT"`.
socket.EDOTDOT = 73

---An errno: a raised error has `err.name == "EDQUOT"`.
socket.EDQUOT = 122

---An errno: a raised error has `err.name == "EEXIST"`.
socket.EEXIST = 17

---An errno: a raised error has `err.name == "EFAULT"`.
socket.EFAULT = 14

---An errno: a raised error has `err.name == "EFBIG"`.
socket.EFBIG = 27

---An errno: a raised error has `err.name == "EHOSTDOWN"`.
socket.EHOSTDOWN = 112

---An errno: a raised error has `err.name == "EHOSTUNREACH"`.
socket.EHOSTUNREACH = 113

---An errno: a raised error has `err.name == "EHWPOISON"`.
socket.EHWPOISON = 133

---An errno: a raised error has `err.name == "EIDRM"`.
socket.EIDRM = 43

---An errno: a raised error has `err.name == "EILSEQ"`.
socket.EILSEQ = 84

---An errno: a raised error has `err.name == "EINPROGRESS"`.
socket.EINPROGRESS = 115

---An errno: a raised error has `err.name == "EINTR"`.
socket.EINTR = 4

---An errno: a raised error has `err.name == "EINVAL"`.
socket.EINVAL = 22

---An errno: a raised error has `err.name == "EIO"`.
socket.EIO = 5

---An errno: a raised error has `err.name == "EISCONN"`.
socket.EISCONN = 106

---An errno: a raised error has `err.name == "EISDIR"`.
socket.EISDIR = 21

---An errno: a raised error has `err.name == "EISNAM"`.
socket.EISNAM = 120

---An errno: a raised error has `err.name == "EKEYEXPIRED"`.
socket.EKEYEXPIRED = 127

---An errno: a raised error has `err.name == "EKEYREJECTED"`.
socket.EKEYREJECTED = 129

---An errno: a raised error has `err.name == "EKEYREVOKED"`.
socket.EKEYREVOKED = 128

---An errno: a raised error has `err.name == "EL2HLT"`.
socket.EL2HLT = 51

---An errno: a raised error has `err.name == "EL2NSYNC"`.
socket.EL2NSYNC = 45

---An errno: a raised error has `err.name == "EL3HLT"`.
socket.EL3HLT = 46

---An errno: a raised error has `err.name == "EL3RST"`.
socket.EL3RST = 47

---An errno: a raised error has `err.name == "ELIBACC"`.
socket.ELIBACC = 79

---An errno: a raised error has `err.name == "ELIBBAD"`.
socket.ELIBBAD = 80

---An errno: a raised error has `err.name == "ELIBEXEC"`.
socket.ELIBEXEC = 83

---An errno: a raised error has `err.name == "ELIBMAX"`.
socket.ELIBMAX = 82

---An errno: a raised error has `err.name == "ELIBSCN"`.
socket.ELIBSCN = 81

---An errno: a raised error has `err.name == "ELNRNG"`.
socket.ELNRNG = 48

---An errno: a raised error has `err.name == "ELOOP"`.
socket.ELOOP = 40

---An errno: a raised error has `err.name == "EMEDIUMTYPE"`.
socket.EMEDIUMTYPE = 124

---An errno: a raised error has `err.name == "EMFILE"`.
socket.EMFILE = 24

---An errno: a raised error has `err.name == "EMLINK"`.
socket.EMLINK = 31

---An errno: a raised error has `err.name == "EMSGSIZE"`.
socket.EMSGSIZE = 90

---An errno: a raised error has `err.name == "EMULTIHOP"`.
socket.EMULTIHOP = 72

---An errno: a raised error has `err.name == "ENAMETOOLONG"`.
socket.ENAMETOOLONG = 36

---An errno: a raised error has `err.name == "ENAVAIL"`.
socket.ENAVAIL = 119

---An errno: a raised error has `err.name == "ENETDOWN"`.
socket.ENETDOWN = 100

---An errno: a raised error has `err.name == "ENETRESET"`.
socket.ENETRESET = 102

---An errno: a raised error has `err.name == "ENETUNREACH"`.
socket.ENETUNREACH = 101

---An errno: a raised error has `err.name == "ENFILE"`.
socket.ENFILE = 23

---An errno: a raised error has `err.name == "ENOANO"`.
socket.ENOANO = 55

---An errno: a raised error has `err.name == "ENOBUFS"`.
socket.ENOBUFS = 105

---An errno: a raised error has `err.name == "ENOCSI"`.
socket.ENOCSI = 50

---An errno: a raised error has `err.name == "ENODATA"`.
socket.ENODATA = 61

---An errno: a raised error has `err.name == "ENODEV"`.
socket.ENODEV = 19

---An errno: a raised error has `err.name == "ENOENT"`.
socket.ENOENT = 2

---An errno: a raised error has `err.name == "ENOEXEC"`.
socket.ENOEXEC = 8

---An errno: a raised error has `err.name == "ENOKEY"`.
socket.ENOKEY = 126

---An errno: a raised error has `err.name == "ENOLCK"`.
socket.ENOLCK = 37

---An errno: a raised error has `err.name == "ENOLINK"`.
socket.ENOLINK = 67

---An errno: a raised error has `err.name == "ENOMEDIUM"`.
socket.ENOMEDIUM = 123

---An errno: a raised error has `err.name == "ENOMEM"`.
socket.ENOMEM = 12

---An errno: a raised error has `err.name == "ENOMSG"`.
socket.ENOMSG = 42

---An errno: a raised error has `err.name == "ENONET"`.
socket.ENONET = 64

---An errno: a raised error has `err.name == "ENOPKG"`.
socket.ENOPKG = 65

---An errno: a raised error has `err.name == "ENOPROTOOPT"`.
socket.ENOPROTOOPT = 92

---An errno: a raised error has `err.name == "ENOSPC"`.
socket.ENOSPC = 28

---An errno: a raised error has `err.name == "ENOSR"`.
socket.ENOSR = 63

---An errno: a raised error has `err.name == "ENOSTR"`.
socket.ENOSTR = 60

---An errno: a raised error has `err.name == "ENOSYS"`.
socket.ENOSYS = 38

---An errno: a raised error has `err.name == "ENOTBLK"`.
socket.ENOTBLK = 15

---An errno: a raised error has `err.name == "ENOTCONN"`.
socket.ENOTCONN = 107

---An errno: a raised error has `err.name == "ENOTDIR"`.
socket.ENOTDIR = 20

---An errno: a raised error has `err.name == "ENOTEMPTY"`.
socket.ENOTEMPTY = 39

---An errno: a raised error has `err.name == "ENOTNAM"`.
socket.ENOTNAM = 118

---An errno: a raised error has `err.name == "ENOTRECOVERABLE"`.
socket.ENOTRECOVERABLE = 131

---An errno: a raised error has `err.name == "ENOTSOCK"`.
socket.ENOTSOCK = 88

---An errno: a raised error has `err.name == "ENOTSUP"`.
socket.ENOTSUP = 95

---An errno: a raised error has `err.name == "ENOTTY"`.
socket.ENOTTY = 25

---An errno: a raised error has `err.name == "ENOTUNIQ"`.
socket.ENOTUNIQ = 76

---An errno: a raised error has `err.name == "ENXIO"`.
socket.ENXIO = 6

---An errno: a raised error has `err.name == "EOPNOTSUPP"`.
socket.EOPNOTSUPP = 95

---An errno: a raised error has `err.name == "EOVERFLOW"`.
socket.EOVERFLOW = 75

---An errno: a raised error has `err.name == "EOWNERDEAD"`.
socket.EOWNERDEAD = 130

---An errno: a raised error has `err.name == "EPERM"`.
socket.EPERM = 1

---An errno: a raised error has `err.name == "EPFNOSUPPORT"`.
socket.EPFNOSUPPORT = 96

---An errno: a raised error has `err.name == "EPIPE"`.
socket.EPIPE = 32

---An errno: a raised error has `err.name == "EPROTO"`.
socket.EPROTO = 71

---An errno: a raised error has `err.name == "EPROTONOSUPPORT"`.
socket.EPROTONOSUPPORT = 93

---An errno: a raised error has `err.name == "EPROTOTYPE"`.
socket.EPROTOTYPE = 91

---An errno: a raised error has `err.name == "ERANGE"`.
socket.ERANGE = 34

---An errno: a raised error has `err.name == "EREMCHG"`.
socket.EREMCHG = 78

---An errno: a raised error has `err.name == "EREMOTE"`.
socket.EREMOTE = 66

---An errno: a raised error has `err.name == "EREMOTEIO"`.
socket.EREMOTEIO = 121

---An errno: a raised error has `err.name == "ERESTART"`.
socket.ERESTART = 85

---An errno: a raised error has `err.name == "ERFKILL"`.
socket.ERFKILL = 132

---An errno: a raised error has `err.name == "EROFS"`.
socket.EROFS = 30

---An errno: a raised error has `err.name == "ESHUTDOWN"`.
socket.ESHUTDOWN = 108

---An errno: a raised error has `err.name == "ESOCKTNOSUPPORT"`.
socket.ESOCKTNOSUPPORT = 94

---An errno: a raised error has `err.name == "ESPIPE"`.
socket.ESPIPE = 29

---An errno: a raised error has `err.name == "ESRCH"`.
socket.ESRCH = 3

---An errno: a raised error has `err.name == "ESRMNT"`.
socket.ESRMNT = 69

---An errno: a raised error has `err.name == "ESTALE"`.
socket.ESTALE = 116

---An errno: a raised error has `err.name == "ESTRPIPE"`.
socket.ESTRPIPE = 86

---An errno: a raised error has `err.name == "ETIME"`.
socket.ETIME = 62

---An errno: a raised error has `err.name == "ETIMEDOUT"`.
socket.ETIMEDOUT = 110

---An errno: a raised error has `err.name == "ETOOMANYREFS"`.
socket.ETOOMANYREFS = 109

---An errno: a raised error has `err.name == "ETXTBSY"`.
socket.ETXTBSY = 26

---An errno: a raised error has `err.name == "EUCLEAN"`.
socket.EUCLEAN = 117

---An errno: a raised error has `err.name == "EUNATCH"`.
socket.EUNATCH = 49

---An errno: a raised error has `err.name == "EUSERS"`.
socket.EUSERS = 87

---An errno: a raised error has `err.name == "EWOULDBLOCK"`.
socket.EWOULDBLOCK = 11

---An errno: a raised error has `err.name == "EXDEV"`.
socket.EXDEV = 18

---An errno: a raised error has `err.name == "EXFULL"`.
socket.EXFULL = 54

---An IPv4 address as a number.
socket.INADDR_ALLHOSTS_GROUP = 3758096385

---An IPv4 address as a number.
socket.INADDR_ANY = 0

---An IPv4 address as a number.
socket.INADDR_BROADCAST = 4294967295

---An IPv4 address as a number.
socket.INADDR_LOOPBACK = 2130706433

---An IPv4 address as a number.
socket.INADDR_NONE = 4294967295

---A protocol, for `socket.socket`, or a level of `setsockopt`.
socket.IPPROTO_ICMP = 1

---A protocol, for `socket.socket`, or a level of `setsockopt`.
socket.IPPROTO_ICMPV6 = 58

---A protocol, for `socket.socket`, or a level of `setsockopt`.
socket.IPPROTO_IP = 0

---A protocol, for `socket.socket`, or a level of `setsockopt`.
socket.IPPROTO_IPV6 = 41

---A protocol, for `socket.socket`, or a level of `setsockopt`.
socket.IPPROTO_RAW = 255

---A protocol, for `socket.socket`, or a level of `setsockopt`.
socket.IPPROTO_TCP = 6

---A protocol, for `socket.socket`, or a level of `setsockopt`.
socket.IPPROTO_UDP = 17

---An IPv6 option (level `IPPROTO_IPV6`).
socket.IPV6_JOIN_GROUP = 20

---An IPv6 option (level `IPPROTO_IPV6`).
socket.IPV6_LEAVE_GROUP = 21

---An IPv6 option (level `IPPROTO_IPV6`).
socket.IPV6_MULTICAST_HOPS = 18

---An IPv6 option (level `IPPROTO_IPV6`).
socket.IPV6_MULTICAST_IF = 17

---An IPv6 option (level `IPPROTO_IPV6`).
socket.IPV6_MULTICAST_LOOP = 19

---An IPv6 option (level `IPPROTO_IPV6`).
socket.IPV6_UNICAST_HOPS = 16

---An IPv6 option (level `IPPROTO_IPV6`).
socket.IPV6_V6ONLY = 26

---An IPv4 option (level `IPPROTO_IP`).
socket.IP_ADD_MEMBERSHIP = 35

---An IPv4 option (level `IPPROTO_IP`).
socket.IP_DROP_MEMBERSHIP = 36

---An IPv4 option (level `IPPROTO_IP`).
socket.IP_MULTICAST_IF = 32

---An IPv4 option (level `IPPROTO_IP`).
socket.IP_MULTICAST_LOOP = 34

---An IPv4 option (level `IPPROTO_IP`).
socket.IP_MULTICAST_TTL = 33

---An IPv4 option (level `IPPROTO_IP`).
socket.IP_TOS = 1

---An IPv4 option (level `IPPROTO_IP`).
socket.IP_TTL = 2

---A flag of send and recv.
socket.MSG_CMSG_CLOEXEC = 1073741824

---A flag of send and recv.
socket.MSG_CTRUNC = 8

---A flag of send and recv.
socket.MSG_DONTWAIT = 64

---A flag of send and recv.
socket.MSG_NOSIGNAL = 16384

---A flag of send and recv.
socket.MSG_OOB = 1

---A flag of send and recv.
socket.MSG_PEEK = 2

---A flag of send and recv.
socket.MSG_TRUNC = 32

---A flag of send and recv.
socket.MSG_WAITALL = 256

---A flag of `socket.getnameinfo`.
socket.NI_DGRAM = 16

---A flag of `socket.getnameinfo`.
socket.NI_NAMEREQD = 8

---A flag of `socket.getnameinfo`.
socket.NI_NOFQDN = 4

---A flag of `socket.getnameinfo`.
socket.NI_NUMERICHOST = 1

---A flag of `socket.getnameinfo`.
socket.NI_NUMERICSERV = 2

---A type of ancillary data (`sendmsg`, `recvmsg`).
socket.SCM_CREDENTIALS = 2

---A type of ancillary data (`sendmsg`, `recvmsg`).
socket.SCM_RIGHTS = 1

---What `sock:shutdown(how)` shuts down.
socket.SHUT_RD = 0

---What `sock:shutdown(how)` shuts down.
socket.SHUT_RDWR = 2

---What `sock:shutdown(how)` shuts down.
socket.SHUT_WR = 1

---A socket type, for `socket.socket`.
socket.SOCK_DGRAM = 2

---A socket type, for `socket.socket`.
socket.SOCK_RAW = 3

---A socket type, for `socket.socket`.
socket.SOCK_SEQPACKET = 5

---A socket type, for `socket.socket`.
socket.SOCK_STREAM = 1

---A level, for `setsockopt` and `getsockopt`.
socket.SOL_SOCKET = 1

---The largest backlog of `listen`.
socket.SOMAXCONN = 4096

---A socket option (level `SOL_SOCKET`).
socket.SO_ACCEPTCONN = 30

---A socket option (level `SOL_SOCKET`).
socket.SO_BINDTODEVICE = 25

---A socket option (level `SOL_SOCKET`).
socket.SO_BROADCAST = 6

---A socket option (level `SOL_SOCKET`).
socket.SO_DOMAIN = 39

---A socket option (level `SOL_SOCKET`).
socket.SO_ERROR = 4

---A socket option (level `SOL_SOCKET`).
socket.SO_KEEPALIVE = 9

---A socket option (level `SOL_SOCKET`).
socket.SO_LINGER = 13

---A socket option (level `SOL_SOCKET`).
socket.SO_PASSCRED = 16

---A socket option (level `SOL_SOCKET`).
socket.SO_PROTOCOL = 38

---A socket option (level `SOL_SOCKET`).
socket.SO_RCVBUF = 8

---A socket option (level `SOL_SOCKET`).
socket.SO_RCVTIMEO = 20

---A socket option (level `SOL_SOCKET`).
socket.SO_REUSEADDR = 2

---A socket option (level `SOL_SOCKET`).
socket.SO_REUSEPORT = 15

---A socket option (level `SOL_SOCKET`).
socket.SO_SNDBUF = 7

---A socket option (level `SOL_SOCKET`).
socket.SO_SNDTIMEO = 21

---A socket option (level `SOL_SOCKET`).
socket.SO_TYPE = 3

---A TCP option (level `IPPROTO_TCP`).
socket.TCP_KEEPCNT = 6

---A TCP option (level `IPPROTO_TCP`).
socket.TCP_KEEPIDLE = 4

---A TCP option (level `IPPROTO_TCP`).
socket.TCP_KEEPINTVL = 5

---A TCP option (level `IPPROTO_TCP`).
socket.TCP_NODELAY = 1

-- ssl

---A `verify_mode` of an SSL context.
ssl.CERT_NONE = 0

---A `verify_mode` of an SSL context.
ssl.CERT_OPTIONAL = 1

---A `verify_mode` of an SSL context.
ssl.CERT_REQUIRED = 2

---Whether ALPN is supported: `true`.
ssl.HAS_ALPN = true

---The TLS library: Go's crypto/tls.
ssl.OPENSSL_VERSION = "Go crypto/tls"

---The protocol of `ssl.SSLContext`.
ssl.PROTOCOL_TLS_CLIENT = 16

---The protocol of `ssl.SSLContext`.
ssl.PROTOCOL_TLS_SERVER = 17
