package ssl

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/sockrun/sockrun/luaapi/api"
	"github.com/sockrun/sockrun/luaapi/core"
	"golang.org/x/sys/unix"
)

// Errors of the TLS layer, in the handshake and after it, are Python's ssl
// errors: an ssl.SSLError (ssl.SSLEOFError, ssl.SSLCertVerificationError)
// whose library is "SSL" and whose reason is OpenSSL's name for what went
// wrong, worded as OpenSSL words it:
//
//	ssl.SSLError: [SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed or bad record mac (recv 127.0.0.1:51000)
//
// Go's crypto/tls says the same things in its own words ("local error:
// tls: bad record MAC"); the tables below translate them. Errors of the
// socket under the TLS layer (a reset, a timeout) stay what they are.

// Python's errno of an ssl error: SSL_ERROR_SSL, SSL_ERROR_EOF.
const (
	errnoSSL = 1
	errnoEOF = 8
)

// reasonText is OpenSSL's text for a reason: its name in lower case,
// words apart ("SSLV3_ALERT_BAD_RECORD_MAC": "sslv3 alert bad record mac").
func reasonText(reason string) string {
	return strings.ToLower(strings.ReplaceAll(reason, "_", " "))
}

// newSSLError is the ssl.SSLError of reason, worded as OpenSSL words it.
func newSSLError(reason string, err error) *api.OSError {
	return &api.OSError{Class: "ssl.SSLError", Errno: errnoSSL, Name: reason, Library: "SSL", Reason: reason,
		Message: "[SSL: " + reason + "] " + reasonText(reason), Err: err}
}

// eofError is Python's error for a stream that ended in the middle of the
// handshake.
func eofError(err error) *api.OSError {
	const reason = "UNEXPECTED_EOF_WHILE_READING"
	return &api.OSError{Class: "ssl.SSLEOFError", Errno: errnoEOF, Name: reason, Library: "SSL", Reason: reason,
		Message: "[SSL: " + reason + "] EOF occurred in violation of protocol", Err: err}
}

// alertByText is each TLS alert crypto/tls knows, by the text of its
// errors ("tls: bad record MAC": 20). It is made at the first TLS error,
// not at package init: 256 error texts cost every start-up.
var alertByText = sync.OnceValue(func() map[string]uint8 {
	m := make(map[string]uint8)
	for code := range 256 {
		text := tls.AlertError(code).Error()
		if !strings.HasPrefix(text, "tls: alert(") {
			m[text] = uint8(code)
		}
	}
	return m
})

// remoteReasons is OpenSSL's reason for an alert the peer sent, by the
// alert's code (RFC 8446 section 6).
var remoteReasons = map[uint8]string{
	10:  "SSLV3_ALERT_UNEXPECTED_MESSAGE",
	20:  "SSLV3_ALERT_BAD_RECORD_MAC",
	21:  "TLSV1_ALERT_DECRYPTION_FAILED",
	22:  "TLSV1_ALERT_RECORD_OVERFLOW",
	30:  "SSLV3_ALERT_DECOMPRESSION_FAILURE",
	40:  "SSLV3_ALERT_HANDSHAKE_FAILURE",
	41:  "SSLV3_ALERT_NO_CERTIFICATE",
	42:  "SSLV3_ALERT_BAD_CERTIFICATE",
	43:  "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
	44:  "SSLV3_ALERT_CERTIFICATE_REVOKED",
	45:  "SSLV3_ALERT_CERTIFICATE_EXPIRED",
	46:  "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
	47:  "SSLV3_ALERT_ILLEGAL_PARAMETER",
	48:  "TLSV1_ALERT_UNKNOWN_CA",
	49:  "TLSV1_ALERT_ACCESS_DENIED",
	50:  "TLSV1_ALERT_DECODE_ERROR",
	51:  "TLSV1_ALERT_DECRYPT_ERROR",
	60:  "TLSV1_ALERT_EXPORT_RESTRICTION",
	70:  "TLSV1_ALERT_PROTOCOL_VERSION",
	71:  "TLSV1_ALERT_INSUFFICIENT_SECURITY",
	80:  "TLSV1_ALERT_INTERNAL_ERROR",
	86:  "TLSV1_ALERT_INAPPROPRIATE_FALLBACK",
	90:  "TLSV1_ALERT_USER_CANCELLED",
	100: "TLSV1_ALERT_NO_RENEGOTIATION",
	109: "TLSV13_ALERT_MISSING_EXTENSION",
	110: "TLSV1_UNSUPPORTED_EXTENSION",
	111: "TLSV1_CERTIFICATE_UNOBTAINABLE",
	112: "TLSV1_UNRECOGNIZED_NAME",
	113: "TLSV1_BAD_CERTIFICATE_STATUS_RESPONSE",
	114: "TLSV1_BAD_CERTIFICATE_HASH_VALUE",
	115: "TLSV1_ALERT_UNKNOWN_PSK_IDENTITY",
	116: "TLSV13_ALERT_CERTIFICATE_REQUIRED",
	120: "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
}

// localReasons is OpenSSL's reason for what crypto/tls found wrong in what
// the peer sent, by the alert it answered with. An alert not here is
// named after crypto/tls's text for it.
var localReasons = map[uint8]string{
	10: "UNEXPECTED_MESSAGE",
	20: "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
	22: "PACKET_LENGTH_TOO_LONG",
	70: "WRONG_VERSION_NUMBER",
}

// handshakeReasons is OpenSSL's reason for a handshake that crypto/tls
// ends with a message of its own, by a piece of the message.
var handshakeReasons = []struct{ text, reason string }{
	{"unsupported versions", "UNSUPPORTED_PROTOCOL"},
	{"unsupported protocol version", "UNSUPPORTED_PROTOCOL"},
	{"protocol version not supported", "UNSUPPORTED_PROTOCOL"},
	{"didn't provide a certificate", "PEER_DID_NOT_RETURN_A_CERTIFICATE"},
	{"no cipher suite supported by both", "NO_SHARED_CIPHER"},
	{"unsupported application protocols", "NO_APPLICATION_PROTOCOL"},
}

// recordLayer is a TLS connection as a socket's transport: what its reads
// and writes fail with is Python's ssl errors.
type recordLayer struct{ *tls.Conn }

// Read reads decrypted bytes. A stream that ends in the middle of a
// record ends as one that ends between records, as Python's recv does
// (suppress_ragged_eofs).
func (r recordLayer) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, tlsError(err, false)
}

// Write encrypts and sends p.
func (r recordLayer) Write(p []byte) (int, error) {
	n, err := r.Conn.Write(p)
	return n, tlsError(err, false)
}

// tlsError is err, from the TLS layer in its handshake or after it, as
// Python's ssl module raises it. An error that is not the TLS layer's own
// (end of stream after the handshake, a timeout, an errno, the run's
// end) is returned as it is.
func tlsError(err error, handshake bool) error {
	if err == nil {
		return nil
	}
	var ne net.Error
	var errno unix.Errno
	var oe *api.OSError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, core.ErrTimeout), errors.As(err, &ne) && ne.Timeout():
		if handshake {
			return core.ErrTimeout
		}
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &errno), errors.As(err, &oe):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if handshake {
			return eofError(err)
		}
		return err
	}
	if e := verifyError(err); e != nil {
		return e
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		if code, ok := alertByText()[op.Err.Error()]; ok {
			switch op.Op {
			case "remote error":
				if reason, ok := remoteReasons[code]; ok {
					return newSSLError(reason, err)
				}
			case "local error":
				if reason, ok := localReasons[code]; ok {
					return newSSLError(reason, err)
				}
				text := strings.TrimPrefix(op.Err.Error(), "tls: ")
				e := newSSLError(strings.ToUpper(strings.ReplaceAll(text, " ", "_")), err)
				e.Message = "[SSL: " + e.Reason + "] " + text
				return e
			}
		}
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return newSSLError(recordReason(rh), err)
	}
	msg := err.Error()
	for _, r := range handshakeReasons {
		if strings.Contains(msg, r.text) {
			return newSSLError(r.reason, err)
		}
	}
	if strings.HasPrefix(msg, "tls: ") || strings.HasPrefix(msg, "x509: ") {
		// No reason OpenSSL would give: Go's own words, as Python words
		// an error without a reason ("[SSL] ...").
		return &api.OSError{Class: "ssl.SSLError", Errno: errnoSSL, Name: "SSL", Library: "SSL", Message: "[SSL] " + msg, Err: err}
	}
	return err
}

// recordReason is OpenSSL's reason for a record whose header is wrong:
// plain HTTP where TLS was due, an SSL 2 or other record of no TLS
// version, a record longer than TLS allows.
func recordReason(rh tls.RecordHeaderError) string {
	switch {
	case strings.Contains(rh.Msg, "oversized record"):
		return "PACKET_LENGTH_TOO_LONG"
	case strings.Contains(rh.Msg, "does not look like a TLS handshake"):
		head := string(rh.RecordHeader[:])
		for _, method := range []string{"GET ", "POST ", "HEAD ", "PUT "} {
			if strings.HasPrefix(head, method) {
				return "HTTP_REQUEST"
			}
		}
		if strings.HasPrefix(head, "CONNE") {
			return "HTTPS_PROXY_REQUEST"
		}
	}
	return "WRONG_VERSION_NUMBER"
}

// verifyError is the ssl.SSLCertVerificationError of a certificate that
// failed verification, nil if err is not one.
func verifyError(err error) *api.OSError {
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ie x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) {
		err = ve.Err
	}
	verify := func(why string) *api.OSError {
		const reason = "CERTIFICATE_VERIFY_FAILED"
		return &api.OSError{Class: "ssl.SSLCertVerificationError", Errno: errnoSSL, Name: reason, Library: "SSL", Reason: reason,
			Message: "[SSL: " + reason + "] certificate verify failed: " + why, Err: err}
	}
	switch {
	case errors.As(err, &ue):
		return verify("unable to get local issuer certificate (unknown authority)")
	case errors.As(err, &he):
		return verify("Hostname mismatch, certificate is not valid for '" + he.Host + "'")
	case errors.As(err, &ie) && ie.Reason == x509.Expired:
		return verify("certificate has expired")
	case errors.As(err, &ie):
		return verify(ie.Error())
	}
	return nil
}
