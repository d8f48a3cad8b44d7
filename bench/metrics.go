package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"
)

// metricsFlags serve the metrics on a port the system picks.
var metricsFlags = []string{"--metrics", "127.0.0.1:0"}

// metricsURL finds the address --metrics printed on standard error.
var metricsURL = regexp.MustCompile(`sockrun: metrics on (http://\S+/metrics)`)

// scrapeEvery is how often the --metrics rounds scrape: fifteen times as
// often as Prometheus' default, so that the scrapes' own cost shows.
const scrapeEvery = time.Second

// runMetrics measures the echo server without --metrics and with it
// (every call counted on the call path, /metrics scraped every second
// while the round runs), rounds interleaved, pinned as the echo rounds
// are.
func (b *benchmark) runMetrics() *comparison {
	c := &comparison{key: "metrics", title: "Metrics: `--metrics` against without",
		about:    fmt.Sprintf("The echo server, %d connections, without `--metrics` (the call path counts nothing) and with `--metrics 127.0.0.1:0` (every call and error counted, bytes and connections counted, `/metrics` scraped every %v during the round).", b.o.metricsConns, scrapeEvery),
		rateName: "req/s", rateScale: 1, cpuName: "µs/round trip", cpuScale: 1, latency: true,
		anchor: "without"}
	srv, gen := b.cpus(split)
	m := b.genMeasure(gen, genConfig{Mode: "echo", Conns: b.o.metricsConns, Size: b.o.size})
	on := b.sockrunServer("--metrics", "metrics-on", b.echoScript, srv, 1, metricsFlags, m)
	start := on.start
	on.start = func() (*server, error) {
		s, err := start()
		if err != nil {
			return nil, err
		}
		u := metricsURL.FindStringSubmatch(s.errText())
		if u == nil {
			s.stop()
			return nil, fmt.Errorf("--metrics printed no address: %s", s.errText())
		}
		go scrapeUntil(u[1], s.done)
		return s, nil
	}
	b.compare(c, split, []contender{
		b.sockrunServer("without", "metrics-off", b.echoScript, srv, 1, nil, m),
		on,
	})
	c.targets = []target{{num: "--metrics", den: "without", bound: 0.97}}
	return c
}

// scrapeUntil reads url every scrapeEvery until done is closed.
func scrapeUntil(url string, done <-chan struct{}) {
	client := http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(scrapeEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if resp, err := client.Get(url); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}
