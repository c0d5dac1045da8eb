// Package connectors runs the platform connectors: a registry of connector
// factories, a scheduler that polls every enabled channel on its own
// goroutine and hands what it fetched to the store, and the sender that
// works off the outbound queue. It knows no platform: each
// connectors/<platform> package provides an anliegen.Connector, and main
// registers it here.
package connectors

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/anliegen/anliegen"
)

// Factory builds the connector of one channel from its settings and secret.
// It returns an error (anliegen.Invalid where the settings are at fault)
// when the channel cannot be connected as configured.
type Factory func(ch anliegen.Channel, logger *slog.Logger) (anliegen.Connector, error)

// Registry maps platforms to connector factories. Register every platform
// before the Runtime starts; it is not safe to register concurrently with
// use.
type Registry struct {
	factories map[anliegen.Platform]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{factories: map[anliegen.Platform]Factory{}}
}

// Register sets the factory for platform, replacing an earlier one.
func (r *Registry) Register(platform anliegen.Platform, f Factory) {
	r.factories[platform] = f
}

// Platforms returns the registered platforms, sorted.
func (r *Registry) Platforms() []anliegen.Platform {
	out := make([]anliegen.Platform, 0, len(r.factories))
	for p := range r.factories {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Has reports whether platform has a factory.
func (r *Registry) Has(platform anliegen.Platform) bool {
	_, ok := r.factories[platform]
	return ok
}

// New builds the connector for ch. An unregistered platform is an
// anliegen.Invalid error on field "platform".
func (r *Registry) New(ch anliegen.Channel, logger *slog.Logger) (anliegen.Connector, error) {
	f, ok := r.factories[ch.Platform]
	if !ok {
		return nil, anliegen.Invalid("platform", "no connector for platform %q", ch.Platform)
	}
	c, err := f(ch, logger)
	if err != nil {
		return nil, fmt.Errorf("connect channel %d: %w", ch.ID, err)
	}
	return c, nil
}
