package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics are the request counter and latency histogram, labelled by
// method, route pattern (never the raw path) and status class, plus the
// /metrics handler for the registry they live in.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  http.Handler
}

func newHTTPMetrics(reg *prometheus.Registry, jobCounts func(context.Context) (map[string]int64, error), log *slog.Logger) (*httpMetrics, error) {
	labels := []string{"method", "route", "status"}
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lectern_http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status class (2xx, 4xx, ...).",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lectern_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by method, route pattern and status class.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, labels),
	}
	collectors := []prometheus.Collector{m.requests, m.duration}
	if jobCounts != nil {
		collectors = append(collectors, &jobsCollector{
			desc:   prometheus.NewDesc("lectern_jobs", "Background jobs in the queue, by state.", []string{"state"}, nil),
			counts: jobCounts,
			log:    log,
		})
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpserver: register metrics: %w", err)
		}
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	})
	return m, nil
}

func (m *httpMetrics) observe(method, route string, status int, d time.Duration) {
	method = metricMethod(method)
	class := strconv.Itoa(status/100) + "xx"
	m.requests.WithLabelValues(method, route, class).Inc()
	m.duration.WithLabelValues(method, route, class).Observe(d.Seconds())
}

// metricMethod keeps the method label to the standard set.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// jobCountsTimeout bounds the job-count query during a scrape.
const jobCountsTimeout = 5 * time.Second

// jobsCollector reads the job counts at scrape time, so that every serve
// node reports the shared queue without polling it in the background.
type jobsCollector struct {
	desc   *prometheus.Desc
	counts func(context.Context) (map[string]int64, error)
	log    *slog.Logger
}

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobCountsTimeout)
	defer cancel()
	counts, err := c.counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("count jobs: %w", err))
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}
