package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/anliegen/anliegen"
	"github.com/anliegen/anliegen/connectors/email"
	"github.com/anliegen/anliegen/connectors/mastodon"
)

// runChannel adds and lists channels. Secrets come from files, never from
// flags, and are never printed.
func runChannel(ctx context.Context, g *Global, args []string) error {
	if len(args) == 0 {
		return usageErr("expected 'channel add mastodon|email ...' or 'channel list'")
	}
	switch {
	case args[0] == "list":
		return channelList(ctx, g)
	case args[0] == "add" && len(args) > 1 && args[1] == "mastodon":
		return channelAddMastodon(ctx, g, args[2:])
	case args[0] == "add" && len(args) > 1 && args[1] == "email":
		return channelAddEmail(ctx, g, args[2:])
	}
	return usageErr("expected 'channel add mastodon|email ...' or 'channel list'")
}

func channelAddMastodon(ctx context.Context, g *Global, args []string) error {
	fs := newFlagSet("channel add mastodon", g.Env)
	instance := fs.String("instance", "", "instance base `URL`, e.g. https://social.example")
	tokenFile := fs.String("token-file", "", "`file` holding the account's access token; - reads it from stdin")
	name := fs.String("name", "", "name shown to staff")
	account := fs.String("account", "", "the town's handle, e.g. @stadt@social.example")
	interval := fs.Duration("interval", 30*time.Second, "poll interval")
	since := fs.Duration("backfill", 30*24*time.Hour, "fetch history this far back")
	maxChars := fs.Int("max-chars", 0, "status length limit of replies (default: ask the instance)")
	visibility := fs.String("visibility", "", "visibility of public replies: public (default) or unlisted; replies to DMs stay direct")
	skipTest := fs.Bool("no-test", false, "do not verify the token against the instance")
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	if *tokenFile == "" {
		return usageErr("--token-file is required")
	}
	token, err := readSecret(g.Env, *tokenFile)
	if err != nil {
		return err
	}
	s := mastodon.Settings{Instance: *instance, MaxChars: *maxChars, Visibility: *visibility}
	if err := s.Validate(); err != nil {
		return usageErr("%v", err)
	}
	if !*skipTest {
		if err := mastodon.Test(ctx, s, token); err != nil {
			return fmt.Errorf("connection test (use --no-test to skip): %w", err)
		}
	}
	raw, _ := json.Marshal(s)
	ch := anliegen.Channel{Platform: anliegen.PlatformMastodon, Name: *name, Account: *account, Settings: raw,
		Secret: []byte(token), Enabled: true, PollInterval: *interval, BackfillSince: time.Now().Add(-*since)}
	if ch.Name == "" {
		ch.Name = "Mastodon " + *account
	}
	return createChannel(ctx, g, &ch)
}

func channelAddEmail(ctx context.Context, g *Global, args []string) error {
	fs := newFlagSet("channel add email", g.Env)
	var s email.Settings
	fs.StringVar(&s.IMAPAddr, "imap", "", "IMAP server `host:port`")
	fs.StringVar(&s.IMAPTLS, "imap-tls", email.TLSImplicit, "IMAP transport security: tls or starttls")
	fs.StringVar(&s.IMAPUsername, "imap-user", "", "IMAP login")
	fs.StringVar(&s.Mailbox, "mailbox", email.DefaultMailbox, "mailbox to read")
	fs.StringVar(&s.SentMailbox, "sent-mailbox", "", "mailbox that receives copies of replies and is searched before a retry (optional)")
	fs.BoolVar(&s.SentCopyByServer, "sent-copy-by-server", false,
		"the SMTP server files sent mail into --sent-mailbox itself (Exchange): search it, append no copy")
	fs.StringVar(&s.SMTPAddr, "smtp", "", "SMTP submission server `host:port`")
	fs.StringVar(&s.SMTPTLS, "smtp-tls", email.TLSStartTLS, "SMTP transport security: tls or starttls")
	fs.StringVar(&s.SMTPUsername, "smtp-user", "", "SMTP login (default: the IMAP login)")
	fs.StringVar(&s.FromAddress, "from", "", "From `address` of replies")
	fs.StringVar(&s.FromName, "from-name", "", "From name of replies")
	fs.StringVar(&s.Domain, "domain", "", "`domain` of the Message-IDs of replies (default: the domain of --from)")
	caFile := fs.String("tls-ca-file", "", "PEM `file` with extra CA certificates for a town-internal mail server")
	fs.Int64Var(&s.MaxMessageBytes, "max-message-bytes", email.DefaultMaxMessageBytes,
		"fetch at most this many `bytes` of one message (text comes first; attachments beyond are listed without size)")
	fs.IntVar(&s.BatchSize, "batch-size", email.DefaultBatchSize, "messages fetched by one poll at most")
	fs.StringVar(&s.Auth, "auth", email.AuthPassword, "login method: password, or xoauth2 for hosted mail with OAuth 2")
	tokenFile := fs.String("oauth-token-file", "", "with --auth xoauth2: `file` holding the access token, re-read at every login so a refresher can replace it")
	pwFile := fs.String("password-file", "", "`file` holding the IMAP password (also used for SMTP); - reads a line from stdin")
	smtpPwFile := fs.String("smtp-password-file", "", "`file` holding the SMTP password, if it differs; - reads the next line from stdin")
	name := fs.String("name", "", "name shown to staff")
	interval := fs.Duration("interval", email.DefaultPollInterval,
		"poll interval; with IMAP IDLE new mail arrives at once and this is the fallback")
	since := fs.Duration("backfill", 30*24*time.Hour, "fetch history this far back")
	skipTest := fs.Bool("no-test", false, "do not test the IMAP and SMTP logins")
	if err := parseFlags(fs, args, g.Env); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *pwFile == "" && s.Auth != email.AuthXOAUTH2 {
		return usageErr("--password-file is required")
	}
	if *tokenFile != "" {
		// The server reads it later, from its own working directory.
		abs, err := filepath.Abs(*tokenFile)
		if err != nil {
			return fmt.Errorf("--oauth-token-file: %w", err)
		}
		s.OAuthTokenFile = abs
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("read --tls-ca-file: %w", err)
		}
		s.TLSCAPEM = string(pem)
	}
	var sec email.Secret
	var err error
	if *pwFile != "" {
		if sec.IMAPPassword, err = readSecret(g.Env, *pwFile); err != nil {
			return err
		}
	}
	if *smtpPwFile != "" {
		if sec.SMTPPassword, err = readSecret(g.Env, *smtpPwFile); err != nil {
			return err
		}
	}
	raw, _ := json.Marshal(s)
	secret, _ := json.Marshal(sec)
	if _, _, err := email.ParseSettings(raw, secret); err != nil {
		return usageErr("%v", err)
	}
	if !*skipTest {
		if err := email.Test(ctx, raw, secret); err != nil {
			return fmt.Errorf("connection test (use --no-test to skip): %w", err)
		}
	}
	ch := anliegen.Channel{Platform: anliegen.PlatformEmail, Name: *name, Account: s.FromAddress, Settings: raw,
		Secret: secret, Enabled: true, PollInterval: *interval, BackfillSince: time.Now().Add(-*since)}
	if ch.Name == "" {
		ch.Name = "E-Mail " + s.FromAddress
	}
	return createChannel(ctx, g, &ch)
}

func createChannel(ctx context.Context, g *Global, ch *anliegen.Channel) error {
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CreateChannel(ctx, ch); err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	fmt.Fprintf(g.Env.Stdout, "channel %d (%s) added; a running server picks it up within a minute\n", ch.ID, ch.Name)
	return nil
}

func channelList(ctx context.Context, g *Global) error {
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	chs, err := db.Channels(ctx)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	tw := tabwriter.NewWriter(g.Env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPLATFORM\tNAME\tENABLED\tSTATE\tLAST SUCCESS\tFAILURES\tLAST ERROR")
	for _, ch := range chs {
		last := "never"
		if t := ch.Health.LastSuccessAt; t != nil {
			last = time.Since(*t).Round(time.Second).String() + " ago"
		}
		state := ch.Health.State
		if state == "" {
			state = "new"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%s\t%s\t%d\t%s\n", ch.ID, ch.Platform, ch.Name, ch.Enabled, state, last,
			ch.Health.ConsecutiveFailures, ch.Health.LastError)
	}
	return tw.Flush()
}
