package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is the server's Prometheus registry; it is not the global
// default registry, so two servers in one process (tests) do not collide.
type metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "anliegen_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "anliegen_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	hs := s.hub
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "anliegen_websocket_clients", Help: "Connected websocket clients.",
		}, func() float64 { return float64(hs.Stats().Clients) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "anliegen_events_total", Help: "Events read from the events log by the hub; rate() is events/s.",
		}, func() float64 { return float64(hs.Stats().Events) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "anliegen_websocket_dropped_total", Help: "Websocket clients disconnected for not keeping up.",
		}, func() float64 { return float64(hs.Stats().Dropped) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "anliegen_events_last_id", Help: "Highest event id the hub has delivered.",
		}, func() float64 { return float64(hs.Stats().LastID) }),
		&opsCollector{s: s},
	)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return m
}

func (m *metrics) observeRequest(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// opsCollector reads the gauges that live outside the server at scrape
// time: channel health from the store, queue and lag figures from Gauges.
type opsCollector struct{ s *Server }

var (
	descChannelUp = prometheus.NewDesc("anliegen_channel_up",
		"1 when the channel's last poll succeeded.", []string{"channel", "platform"}, nil)
	descChannelAge = prometheus.NewDesc("anliegen_channel_last_success_age_seconds",
		"Seconds since the channel's last successful poll.", []string{"channel", "platform"}, nil)
	descChannelFailures = prometheus.NewDesc("anliegen_channel_consecutive_failures",
		"Failed polls in a row.", []string{"channel", "platform"}, nil)
	descChannelItems = prometheus.NewDesc("anliegen_channel_items_total",
		"Items the channel has delivered.", []string{"channel", "platform"}, nil)
	descOutboundPending = prometheus.NewDesc("anliegen_outbound_pending", "Replies waiting to be sent.", nil, nil)
	descOutboundFailed  = prometheus.NewDesc("anliegen_outbound_failed", "Replies that failed for good.", nil, nil)
	descIndexLag        = prometheus.NewDesc("anliegen_index_lag_events", "Events not yet in the search index.", nil, nil)
	descIngestLag       = prometheus.NewDesc("anliegen_ingest_lag_seconds", "Age of the oldest unprocessed inbound item.", nil, nil)
)

func (o *opsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descChannelUp, descChannelAge, descChannelFailures, descChannelItems,
		descOutboundPending, descOutboundFailed, descIndexLag, descIngestLag} {
		ch <- d
	}
}

func (o *opsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := o.s
	if s.deps.Channels != nil {
		chs, err := s.deps.Channels.Channels(ctx)
		if err != nil {
			s.logger.Warn("metrics: channels", "err", err)
		}
		now := s.cfg.Now()
		for _, c := range chs {
			id, p := strconv.FormatInt(c.ID, 10), string(c.Platform)
			up := 0.0
			if c.Health.State == "ok" {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(descChannelUp, prometheus.GaugeValue, up, id, p)
			if c.Health.LastSuccessAt != nil {
				ch <- prometheus.MustNewConstMetric(descChannelAge, prometheus.GaugeValue, now.Sub(*c.Health.LastSuccessAt).Seconds(), id, p)
			}
			ch <- prometheus.MustNewConstMetric(descChannelFailures, prometheus.GaugeValue, float64(c.Health.ConsecutiveFailures), id, p)
			ch <- prometheus.MustNewConstMetric(descChannelItems, prometheus.CounterValue, float64(c.Health.ItemsTotal), id, p)
		}
	}
	if s.deps.Gauges != nil {
		g, err := s.deps.Gauges.Gauges(ctx)
		if err != nil {
			s.logger.Warn("metrics: gauges", "err", err)
			return
		}
		ch <- prometheus.MustNewConstMetric(descOutboundPending, prometheus.GaugeValue, float64(g.OutboundPending))
		ch <- prometheus.MustNewConstMetric(descOutboundFailed, prometheus.GaugeValue, float64(g.OutboundFailed))
		ch <- prometheus.MustNewConstMetric(descIndexLag, prometheus.GaugeValue, float64(g.IndexLagEvents))
		ch <- prometheus.MustNewConstMetric(descIngestLag, prometheus.GaugeValue, g.IngestLagSecs)
	}
}
