package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/mastodon/mastodontest"
	"github.com/anliegen/anliegen/storage"
)

// Simulator is a Mastodon-compatible instance on which simulated citizens
// write to the town's account. It is the same fake the connector tests use,
// so the demo channel runs through the real Mastodon connector; its page at
// "/" shows the town's account as a citizen would see it.
type Simulator struct {
	fake     *mastodontest.Server
	logger   *slog.Logger
	rnd      *rand.Rand
	texts    []simText
	posts    []string // ids of the town's posts that citizens answer
	citizens map[string]mastodontest.Account
}

type simText struct {
	author, text string
	dm           bool
}

// NewSimulator returns a simulator with the town's account and a few town
// posts. seed makes the sequence of citizen messages reproducible.
func NewSimulator(logger *slog.Logger, seed uint64) *Simulator {
	s := &Simulator{
		fake:     mastodontest.NewUnstarted(mastodontest.Options{Domain: "musterstadt.social", TownUsername: "stadt", TownToken: "demo-town-token", Seed: seed}),
		logger:   logger,
		rnd:      rand.New(rand.NewPCG(seed, seed+1)),
		citizens: map[string]mastodontest.Account{},
	}
	for _, line := range bytes.Split(inquiries, []byte("\n")) {
		var r struct{ Author, Text, Kind, Platform string }
		if json.Unmarshal(line, &r) != nil || r.Text == "" || len([]rune(r.Text)) > 450 {
			continue
		}
		s.texts = append(s.texts, simText{author: r.Author, text: r.Text, dm: r.Kind == "dm"})
	}
	town := s.fake.Town()
	for _, p := range []string{
		"Am Samstag ist Stadtfest in der Altstadt! Ab 11 Uhr Bühnenprogramm auf dem Marktplatz, ab 18 Uhr Live-Musik. Die Hauptstraße ist von 8 bis 24 Uhr gesperrt.",
		"Wegen Bauarbeiten ist die Brückenstraße ab Montag für drei Wochen nur einspurig befahrbar. Bitte nutzen Sie die Umleitung über die Ringstraße.",
		"Der neue Abfallkalender für das kommende Jahr ist da: musterstadt.de/abfall. Die gelben Säcke gibt es wie immer im Bürgeramt und in den Ortsteilbüros.",
	} {
		if st, err := s.fake.Post(town, mastodontest.Post{Text: p}); err == nil {
			s.posts = append(s.posts, st.ID)
		}
	}
	return s
}

// Token is the town account's access token for the demo channel.
func (s *Simulator) Token() string { return s.fake.Town().Token }

// Fake exposes the underlying fake instance, for tests.
func (s *Simulator) Fake() *mastodontest.Server { return s.fake }

// Handler serves the Mastodon API and the citizen's view at "/".
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", s.fake.Handler())
	mux.HandleFunc("GET /{$}", s.handlePage)
	return mux
}

// Run makes a citizen write every interval (jittered ±30 %) until ctx ends.
func (s *Simulator) Run(ctx context.Context, every time.Duration) {
	for {
		wait := time.Duration(float64(every) * (0.7 + 0.6*s.rnd.Float64()))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := s.Step(); err != nil {
			s.logger.Warn("simulator post failed", "err", err)
		}
	}
}

// Preload posts the given inquiries at once, as the citizens' messages of
// the last hours: direct messages stay direct, the rest mention the town or
// answer one of its posts.
func (s *Simulator) Preload(recs []storage.HistoryRecord) error {
	for i, r := range recs {
		t := simText{author: r.Author, text: r.Text, dm: r.Kind == anliegen.KindDM || r.Kind == anliegen.KindMail}
		if err := s.post(t, i%3); err != nil {
			return err
		}
	}
	return nil
}

// Step posts one citizen message: a mention, a reply under a town post or
// a direct message.
func (s *Simulator) Step() error {
	return s.post(s.texts[s.rnd.IntN(len(s.texts))], s.rnd.IntN(4))
}

func (s *Simulator) post(t simText, roll int) error {
	author := s.citizen(t.author)
	var err error
	switch {
	case t.dm || roll == 0:
		_, err = s.fake.DirectMessage(author, t.text)
	case roll == 1 && len(s.posts) > 0:
		_, err = s.fake.Reply(author, s.posts[s.rnd.IntN(len(s.posts))], t.text)
	default:
		_, err = s.fake.Mention(author, t.text)
	}
	return err
}

// citizen returns the account for a sample author, creating it: handles
// with a domain stay as they are, names become handles on the instance.
func (s *Simulator) citizen(author string) mastodontest.Account {
	if a, ok := s.citizens[author]; ok {
		return a
	}
	handle := strings.TrimPrefix(author, "@")
	if !strings.Contains(handle, "@") {
		handle = slug(handle) + "@musterstadt.social"
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(author, "@"), "@")
	a := s.fake.AddAccount(handle, name)
	s.citizens[author] = a
	return a
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == 'ä':
			b.WriteString("ae")
		case r == 'ö':
			b.WriteString("oe")
		case r == 'ü':
			b.WriteString("ue")
		case r == 'ß':
			b.WriteString("ss")
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '_':
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "buerger"
	}
	return b.String()
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>@stadt – Musterstadt (Simulator)</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
article{border-bottom:1px solid #ccc;padding:.75rem 0}.town{background:#eef4ff}.meta{color:#555;font-size:.875rem}</style>
</head><body><main><h1>@stadt@musterstadt.social</h1>
<p>Simulierte Mastodon-Instanz der Anliegen-Demo. Bürgerinnen und Bürger schreiben hier der Stadt; Antworten aus dem Posteingang erscheinen hier.</p>
{{range .}}<article class="{{if .Town}}town{{end}}"><p class="meta"><strong>{{.Author}}</strong> · {{.When}} · {{.Visibility}}{{if .InReplyTo}} · Antwort{{end}}</p><p>{{.Text}}</p></article>
{{end}}</main></body></html>`))

type pageItem struct {
	Author, When, Visibility, Text string
	Town, InReplyTo                bool
	at                             time.Time
}

func (s *Simulator) handlePage(w http.ResponseWriter, r *http.Request) {
	town := s.fake.Town()
	var items []pageItem
	add := func(st mastodontest.Status) {
		items = append(items, pageItem{Author: "@" + st.Account.Acct, When: st.CreatedAt.Local().Format("02.01. 15:04:05"),
			Visibility: st.Visibility, Text: st.Text, Town: st.Account.ID == town.ID, InReplyTo: st.InReplyToID != "", at: st.CreatedAt})
	}
	seen := map[string]bool{}
	for _, st := range s.fake.StatusesBy(town.ID) {
		seen[st.ID] = true
		add(st)
	}
	for _, n := range s.fake.Notifications(town.ID) {
		if st, ok := s.fake.Status(n.StatusID); ok && n.Visible && !seen[st.ID] {
			seen[st.ID] = true
			add(st)
		}
	}
	slices.SortFunc(items, func(a, b pageItem) int { return b.at.Compare(a.at) })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, items)
}
