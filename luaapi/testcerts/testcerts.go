// Package testcerts makes the certificates sockrun's TLS tests use: a CA
// and certificates it signed, good, expired and for another name, so
// every test makes its own rather than relying on committed files.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Make makes the certificates of the TLS tests in dir, and returns
// their paths by name: ca (a CA certificate), server_cert/server_key (for
// localhost, 127.0.0.1 and ::1, signed by ca), expired_cert/expired_key
// (the same names, expired), other_cert/other_key (for other.example
// only), client_cert/client_key (a client certificate signed by ca), and
// rogue_ca, a CA that signed nothing here.
func Make(dir string) (paths map[string]string, err error) {
	// Any failure ends the making at once: fatal panics, recovered here.
	type failure struct{ err error }
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			paths, err = nil, f.err
		}
	}()
	t := fatalf(func(err error) { panic(failure{err}) })
	paths = map[string]string{}
	write := func(name, typ string, der []byte) {
		path := filepath.Join(dir, name+".pem")
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = path
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serial := int64(1)
	makeCert := func(tmpl *x509.Certificate, parent *x509.Certificate, key, signer *ecdsa.PrivateKey) *x509.Certificate {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		if tmpl.NotBefore.IsZero() {
			tmpl.NotBefore = time.Now().Add(-time.Hour)
			tmpl.NotAfter = time.Now().Add(24 * time.Hour)
		}
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	caKey := newKey()
	ca := makeCert(&x509.Certificate{
		Subject: pkix.Name{CommonName: "sockrun test CA", Organization: []string{"sockrun"}},
		IsCA:    true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, caKey, caKey)
	write("ca", "CERTIFICATE", ca.Raw)
	rogueKey := newKey()
	rogue := makeCert(&x509.Certificate{
		Subject: pkix.Name{CommonName: "rogue CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}, nil, rogueKey, rogueKey)
	write("rogue_ca", "CERTIFICATE", rogue.Raw)

	leaf := func(name string, tmpl *x509.Certificate) {
		k := newKey()
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		c := makeCert(tmpl, ca, k, caKey)
		write(name+"_cert", "CERTIFICATE", c.Raw)
		write(name+"_key", "PRIVATE KEY", keyDER(k))
	}
	localhost := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	leaf("server", &x509.Certificate{
		Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}, IPAddresses: localhost,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	leaf("expired", &x509.Certificate{
		Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"}, IPAddresses: localhost,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore:   time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour),
	})
	leaf("other", &x509.Certificate{
		Subject: pkix.Name{CommonName: "other.example"}, DNSNames: []string{"other.example"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	leaf("client", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "sockrun test client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return paths, nil
}

// fatalf is the Fatal of Make.
type fatalf func(error)

func (f fatalf) Fatal(err error) { f(err) }
