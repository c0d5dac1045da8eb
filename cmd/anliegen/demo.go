package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/cmd/anliegen/demo"
	"github.com/anliegen/anliegen/connectors/mastodon"
)

// demoChannelName marks the simulator's channel, so a demo restarted on the
// same data directory repoints it at the new simulator port.
const demoChannelName = "Mastodon @stadt (Simulator)"

// runDemo starts the full server with the sample town, demo users and a
// simulated Mastodon instance that keeps sending citizen messages through the
// real Mastodon connector. It needs no network, Node or other process.
func runDemo(ctx context.Context, g *Global, args []string) error {
	var o serveOptions
	fs := newFlagSet("demo", g.Env)
	o.register(fs, "127.0.0.1:8080")
	simListen := fs.String("sim-listen", "127.0.0.1:0", "listen `address` of the simulated Mastodon instance")
	password := fs.String("demo-password", "demo", "password of the demo users")
	every := fs.Duration("sim-interval", 6*time.Second, "how often a simulated citizen writes (at most 10s apart)")
	poll := fs.Duration("poll", 5*time.Second, "poll interval of the demo channel")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the simulated citizens")
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	if *every <= 0 || *every > 10*time.Second {
		return usageErr("--sim-interval must be in (0, 10s]")
	}
	if !g.DataGiven {
		dir, err := os.MkdirTemp("", "anliegen-demo-")
		if err != nil {
			return fmt.Errorf("create demo data directory: %w", err)
		}
		defer os.RemoveAll(dir)
		g.Data = dir
	}

	sim := demo.NewSimulator(g.Logger, *seed)
	simLn, err := net.Listen("tcp", *simListen)
	if err != nil {
		return fmt.Errorf("simulator listen: %w", err)
	}
	simURL := "http://" + simLn.Addr().String()
	simSrv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := simSrv.Serve(simLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.Logger.Error("simulator", "err", err)
		}
	}()
	defer simSrv.Close()

	recent, err := demo.Recent(time.Now())
	if err != nil {
		return err
	}
	if err := sim.Preload(recent); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	if err := seedDemo(ctx, g, *password, simURL, sim.Token(), *poll); err != nil {
		return err
	}
	a, err := openApp(ctx, g, o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		a.close()
		return fmt.Errorf("listen: %w", err)
	}
	w := g.Env.Stdout
	fmt.Fprintf(w, "Anliegen demo at http://%s\n", ln.Addr())
	fmt.Fprintf(w, "  logins (password %q): %s (admin), %s (front office), %s (department abfall)\n",
		*password, demo.AdminLogin, demo.AgentLogin, demo.DeptLogin)
	fmt.Fprintf(w, "simulator at %s\n", simURL)
	fmt.Fprintf(w, "data in %s\n", g.Data)
	go sim.Run(ctx, *every)
	return a.run(ctx, ln)
}

// seedDemo seeds the store and points the demo channel at the simulator.
func seedDemo(ctx context.Context, g *Global, password, simURL, token string, poll time.Duration) error {
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMinPasswordLength(len(password)) // demo passwords are short on purpose
	if _, err := demo.Seed(ctx, db, password, time.Now()); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	settings, _ := json.Marshal(mastodon.Settings{Instance: simURL})
	chs, err := db.Channels(ctx)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	for _, ch := range chs {
		if ch.Name == demoChannelName {
			// UpdateChannel keeps the stored cursor: a simulator restarted on
			// a kept --data directory may hide its first messages behind it.
			ch.Settings, ch.Secret, ch.Enabled, ch.PollInterval = settings, []byte(token), true, poll
			return db.UpdateChannel(ctx, &ch)
		}
	}
	ch := anliegen.Channel{Platform: anliegen.PlatformMastodon, Name: demoChannelName, Account: "@stadt@musterstadt.social",
		Settings: settings, Secret: []byte(token), Enabled: true, PollInterval: poll, BackfillSince: time.Now().Add(-time.Hour)}
	if err := db.CreateChannel(ctx, &ch); err != nil {
		return fmt.Errorf("create demo channel: %w", err)
	}
	return nil
}
